import type { CiType } from "../../model/ci-types.js";
import type { RelationshipType } from "../../model/relationships.js";
import type { ProjectedEdge, ProjectedNode, Projection } from "./project.js";

/**
 * Pure planning of a sync: how rows are cut into batches (and cut smaller when Neo4j runs out of
 * transaction memory), what an incremental sync sends, and what a dry run counts.
 */

/** Rows per transaction to start with: small enough for a default-sized server, large enough to be quick. */
export const DEFAULT_BATCH_SIZE = 1000;
/** Rows per bounded delete. */
export const DEFAULT_DELETE_LIMIT = 5000;

/** Neo4j's answers that mean "this transaction was too big": the batch is halved and retried. */
const MEMORY_CODES = new Set([
  "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
  "Neo.ClientError.General.TransactionOutOfMemoryError",
  "Neo.TransientError.General.TransactionOutOfMemoryError",
]);
const MEMORY_GQL = new Set(["51N72", "51N73"]);

export function isMemoryError(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const e = error as { code?: unknown; gqlStatus?: unknown; cause?: unknown };
  if (typeof e.code === "string" && MEMORY_CODES.has(e.code)) return true;
  if (typeof e.gqlStatus === "string" && MEMORY_GQL.has(e.gqlStatus)) return true;
  return e.cause !== undefined && e.cause !== error && isMemoryError(e.cause);
}

export interface BatchOutcome {
  /** Transactions that committed. */
  batches: number;
  /** Times a batch was refused for memory and halved. */
  halvings: number;
  /** The size the run ended with: the next statement kind starts there, not at the first size again. */
  size: number;
}

/**
 * Sends `rows` in transactions of `size` rows. When Neo4j refuses one for memory, the same rows go
 * again in halves, and the smaller size sticks for the rest; a single row that does not fit is an
 * error (no smaller batch exists).
 */
export async function runBatched<T>(rows: readonly T[], size: number, send: (batch: T[]) => Promise<void>): Promise<BatchOutcome> {
  let current = Math.max(1, Math.floor(size));
  let offset = 0;
  let batches = 0;
  let halvings = 0;
  while (offset < rows.length) {
    const batch = rows.slice(offset, offset + current);
    try {
      await send(batch);
    } catch (error) {
      if (!isMemoryError(error) || batch.length === 1) throw error;
      current = Math.max(1, Math.floor(batch.length / 2));
      halvings++;
      continue;
    }
    offset += batch.length;
    batches++;
  }
  return { batches, halvings, size: current };
}

/**
 * Runs one bounded delete until it deletes fewer than `limit` rows, so no transaction deletes
 * more than `limit`. Returns how many it deleted in all.
 */
export async function runBoundedDelete(limit: number, once: () => Promise<number>): Promise<{ deleted: number; transactions: number }> {
  let deleted = 0;
  let transactions = 0;
  for (;;) {
    const n = await once();
    transactions++;
    deleted += n;
    if (n < limit) return { deleted, transactions };
  }
}

/** Nodes grouped by type and edges by relationship type: one MERGE statement serves each group. */
export function groupNodes(nodes: readonly ProjectedNode[]): Map<CiType, ProjectedNode[]> {
  const out = new Map<CiType, ProjectedNode[]>();
  for (const n of nodes) {
    const list = out.get(n.type) ?? [];
    list.push(n);
    out.set(n.type, list);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

export function groupEdges(edges: readonly ProjectedEdge[]): Map<RelationshipType, ProjectedEdge[]> {
  const out = new Map<RelationshipType, ProjectedEdge[]>();
  for (const e of edges) {
    const list = out.get(e.type) ?? [];
    list.push(e);
    out.set(e.type, list);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * What an incremental sync does, from the CIs whose history moved since the target's watermark:
 * the ones the store still has are merged with their outgoing edges (edges are recorded on the CI
 * they leave), the others are deleted from the target.
 */
export interface ChangeSet {
  merge: Projection;
  /** Changed CIs whose outgoing edges this sync restates: the edges it did not stamp are deleted. */
  restated: string[];
  /** CIs the store no longer holds. */
  deleted: string[];
}

export function changeSet(changedIds: Iterable<string>, current: Projection): ChangeSet {
  const changed = new Set(changedIds);
  const nodes = current.nodes.filter((n) => changed.has(n.id));
  const present = new Set(nodes.map((n) => n.id));
  const edges = current.edges.filter((e) => present.has(e.from));
  const deleted = [...changed].filter((id) => !present.has(id)).sort();
  return { merge: { nodes, edges }, restated: [...present].sort(), deleted };
}

export interface SyncCounts {
  nodesMerged: number;
  edgesMerged: number;
  nodesDeleted: number;
  edgesDeleted: number;
}

export const edgeKey = (e: { from: string; type: string; to: string }): string => `${e.from}\u0000${e.type}\u0000${e.to}`;

/**
 * A dry run's counts: what would be merged, and what of what the target holds now (its CMDB nodes
 * and edges) would be deleted. A full sync deletes what the projection lacks; an incremental one
 * only what it restates or removes.
 */
export function dryRunCounts(
  plan: { full: true; projection: Projection } | { full: false; changes: ChangeSet },
  existing: { nodeIds: Iterable<string>; edges: Iterable<{ from: string; type: string; to: string }> },
): SyncCounts {
  if (plan.full) {
    const ids = new Set(plan.projection.nodes.map((n) => n.id));
    const keys = new Set(plan.projection.edges.map(edgeKey));
    let nodesDeleted = 0;
    for (const id of existing.nodeIds) if (!ids.has(id)) nodesDeleted++;
    let edgesDeleted = 0;
    for (const e of existing.edges) if (!keys.has(edgeKey(e)) || !ids.has(e.from) || !ids.has(e.to)) edgesDeleted++;
    return { nodesMerged: plan.projection.nodes.length, edgesMerged: plan.projection.edges.length, nodesDeleted, edgesDeleted };
  }
  const { merge, restated, deleted } = plan.changes;
  const restatedSet = new Set(restated);
  const deletedSet = new Set(deleted);
  const keys = new Set(merge.edges.map(edgeKey));
  const existingIds = new Set(existing.nodeIds);
  let edgesDeleted = 0;
  for (const e of existing.edges) {
    if (deletedSet.has(e.from) || deletedSet.has(e.to)) edgesDeleted++;
    else if (restatedSet.has(e.from) && !keys.has(edgeKey(e))) edgesDeleted++;
  }
  return {
    nodesMerged: merge.nodes.length,
    edgesMerged: merge.edges.length,
    nodesDeleted: deleted.filter((id) => existingIds.has(id)).length,
    edgesDeleted,
  };
}
