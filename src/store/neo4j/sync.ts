import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Driver, ManagedTransaction } from "neo4j-driver";
import { CmdbError } from "../../util/errors.js";
import type { Store } from "../store.js";
import { describeNeo4jError, fromNeo4jValue, type Neo4jTarget, openDriver, toNeo4jValue } from "./driver.js";
import {
  type ChangeSet,
  changeSet,
  DEFAULT_BATCH_SIZE,
  DEFAULT_DELETE_LIMIT,
  dryRunCounts,
  groupEdges,
  groupNodes,
  isMemoryError,
  runBatched,
  runBoundedDelete,
  type SyncCounts,
} from "./plan.js";
import { EDGE_TYPES, type Projection, project } from "./project.js";
import { changedCiIds, lastChangeId, readGraph, readGraphOf } from "./read.js";
import {
  ACQUIRE_LOCK,
  DELETE_EDGES_OF,
  DELETE_NODES,
  DELETE_STALE_EDGES,
  DELETE_STALE_EDGES_FROM,
  DELETE_STALE_NODE_EDGES,
  DELETE_STALE_NODES,
  EXISTING_EDGES,
  EXISTING_NODE_IDS,
  LOCK_HOLDER,
  MERGE_EDGES,
  MERGE_NODES,
  READ_WATERMARK,
  RELEASE_LOCK,
  RENEW_LOCK,
  SCHEMA_STATEMENTS,
} from "./statements.js";

/**
 * `cmdb graph sync`: the store's graph into Neo4j. Cartography's load and cleanup, with what its
 * users hit kept out: batches start small and halve when Neo4j runs out of transaction memory,
 * deletes are bounded and take relationships before nodes, and a lock on the target keeps two
 * syncs from deleting each other's work. Every node and edge carries the sync's sequence number;
 * a full sync then deletes what it did not stamp. An incremental sync sends only the CIs whose
 * history moved since the change id the target last reached.
 */

export interface SyncOptions {
  /** Send everything and delete what the store no longer has (also when the target was never synced). */
  full?: boolean;
  dryRun?: boolean;
  batchSize?: number;
  deleteLimit?: number;
  /** How long the lock outlives a sync that died holding it. */
  lockTtlMs?: number;
  /** The lock's owner name (default: host, pid and a random part). */
  owner?: string;
  /** The name of the target's sync node: one per CMDB projected into a database. */
  name?: string;
  env?: NodeJS.ProcessEnv;
}

export interface SyncReport {
  target: string;
  mode: "full" | "incremental";
  dryRun: boolean;
  counts: SyncCounts;
  /** The sync's stamp (its sequence number on the target); null for a dry run. */
  sync: number | null;
  /** The store's change id the target now reflects. */
  changeId: number;
  /** Write transactions committed, and how often a batch was halved for memory. */
  transactions: number;
  halvings: number;
  durationMs: number;
}

const DEFAULT_TTL_MS = 10 * 60_000;
const ID_CHUNK = 1000;

export async function syncGraph(store: Store, target: Neo4jTarget, options: SyncOptions = {}): Promise<SyncReport> {
  const started = Date.now();
  const driver = await openDriver(target, options.env);
  try {
    return await (options.dryRun ? dryRun(store, driver, target, options, started) : run(store, driver, target, options, started));
  } catch (error) {
    throw describeNeo4jError(error, target);
  } finally {
    await driver.close();
  }
}

/** A batch refused for memory, carried out of the driver's managed transaction so that it is not retried at the same size. */
class TooBig extends Error {
  constructor(cause: unknown) {
    super("transaction too large", { cause });
  }
}

async function write<T>(driver: Driver, target: Neo4jTarget, work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
  const session = driver.session({ ...(target.database ? { database: target.database } : {}), defaultAccessMode: "WRITE" });
  try {
    return await session.executeWrite(async (tx) => {
      try {
        return await work(tx);
      } catch (error) {
        if (isMemoryError(error)) throw new TooBig(error);
        throw error;
      }
    });
  } finally {
    await session.close();
  }
}

async function read<T>(driver: Driver, target: Neo4jTarget, work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
  const session = driver.session({ ...(target.database ? { database: target.database } : {}), defaultAccessMode: "READ" });
  try {
    return await session.executeRead(work);
  } finally {
    await session.close();
  }
}

const num = (v: unknown): number | null => {
  const x = fromNeo4jValue(v);
  return x === null ? null : Number(x);
};

async function run(store: Store, driver: Driver, target: Neo4jTarget, options: SyncOptions, started: number): Promise<SyncReport> {
  const name = options.name ?? "cmdb";
  const owner = options.owner ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const ttlMs = options.lockTtlMs ?? DEFAULT_TTL_MS;
  const limit = options.deleteLimit ?? DEFAULT_DELETE_LIMIT;
  let transactions = 0;

  // Schema statements cannot share a transaction with writes: each goes alone.
  for (const statement of SCHEMA_STATEMENTS) {
    await write(driver, target, (tx) => tx.run(statement));
    transactions++;
  }

  const lockParams = { name, owner, ttlMs: BigInt(ttlMs) };
  const taken = await write(driver, target, (tx) => tx.run(ACQUIRE_LOCK, lockParams));
  transactions++;
  const row = taken.records[0];
  if (!row) {
    const holder = await read(driver, target, (tx) => tx.run(LOCK_HOLDER, { name }));
    const h = holder.records[0];
    const left = h ? num(h.get("remainingMs")) : null;
    throw new CmdbError(`another sync holds the lock on this target (${String(h?.get("owner") ?? "unknown")})`, {
      where: target.url,
      hint: `wait for it to finish${left !== null ? `, or for the lock to expire in ${Math.max(0, Math.ceil(left / 1000))} s` : ""}`,
    });
  }
  const sync = num(row.get("seq"))!;
  const reached = num(row.get("changeId"));
  let lastRenew = Date.now();
  const renew = async (): Promise<void> => {
    if (Date.now() - lastRenew < ttlMs / 3) return;
    const r = await write(driver, target, (tx) => tx.run(RENEW_LOCK, lockParams));
    if (r.records.length === 0) throw new CmdbError("the sync lost its lock on the target (it expired and another sync took it)", { where: target.url });
    lastRenew = Date.now();
  };

  let released = false;
  try {
    const until = await lastChangeId(store.engine);
    const full = needsFull(options, reached, until);
    let work: ChangeSet;
    if (full) {
      const g = await readGraph(store.engine);
      const projection = project(g.cis, g.relationships);
      work = { merge: projection, restated: [], deleted: [] };
    } else {
      const ids = await changedCiIds(store.engine, reached ?? 0, until);
      const g = await readGraphOf(store.engine, ids);
      work = changeSet(ids, project(g.cis, g.relationships));
    }
    const syncParam = BigInt(sync);
    let size = options.batchSize ?? DEFAULT_BATCH_SIZE;
    let halvings = 0;
    const sendAll = async <T>(rows: T[], statement: string, toParam: (row: T) => unknown): Promise<void> => {
      const outcome = await runBatched(rows, size, async (batch) => {
        await renew();
        await write(driver, target, (tx) => tx.run(statement, { rows: toNeo4jValue(batch.map(toParam)), sync: syncParam }));
      });
      size = outcome.size;
      halvings += outcome.halvings;
      transactions += outcome.batches;
    };
    for (const [type, nodes] of groupNodes(work.merge.nodes)) await sendAll(nodes, MERGE_NODES[type], (n) => ({ id: n.id, props: n.props }));
    for (const [type, edges] of groupEdges(work.merge.edges)) await sendAll(edges, MERGE_EDGES[type], (e) => ({ from: e.from, to: e.to, props: e.props }));

    const deleted = { nodes: 0, edges: 0 };
    const bounded = async (statement: string, params: Record<string, unknown>, kind: "nodes" | "edges"): Promise<void> => {
      const r = await runBoundedDelete(limit, async () => {
        await renew();
        const res = await write(driver, target, (tx) => tx.run(statement, { ...params, limit: BigInt(limit), sync: syncParam }));
        return num(res.records[0]?.get("deleted")) ?? 0;
      });
      deleted[kind] += r.deleted;
      transactions += r.transactions;
    };
    if (full) {
      for (const type of EDGE_TYPES) await bounded(DELETE_STALE_EDGES[type], {}, "edges");
      await bounded(DELETE_STALE_NODE_EDGES, {}, "edges");
      await bounded(DELETE_STALE_NODES, {}, "nodes");
    } else {
      for (let i = 0; i < work.restated.length; i += ID_CHUNK) await bounded(DELETE_STALE_EDGES_FROM, { ids: work.restated.slice(i, i + ID_CHUNK) }, "edges");
      for (let i = 0; i < work.deleted.length; i += ID_CHUNK) {
        const ids = work.deleted.slice(i, i + ID_CHUNK);
        await bounded(DELETE_EDGES_OF, { ids }, "edges");
        await bounded(DELETE_NODES, { ids }, "nodes");
      }
    }

    await write(driver, target, (tx) => tx.run(RELEASE_LOCK, { name, owner, changeId: BigInt(until), seq: syncParam }));
    transactions++;
    released = true;
    return {
      target: target.url,
      mode: full ? "full" : "incremental",
      dryRun: false,
      counts: { nodesMerged: work.merge.nodes.length, edgesMerged: work.merge.edges.length, nodesDeleted: deleted.nodes, edgesDeleted: deleted.edges },
      sync,
      changeId: until,
      transactions,
      halvings,
      durationMs: Date.now() - started,
    };
  } finally {
    // A failed sync lets go of the lock without moving the watermark: the next one sends it all again.
    if (!released) {
      await write(driver, target, (tx) => tx.run(RELEASE_LOCK, { name, owner, changeId: null, seq: null })).catch(() => undefined);
    }
  }
}

async function dryRun(store: Store, driver: Driver, target: Neo4jTarget, options: SyncOptions, started: number): Promise<SyncReport> {
  const name = options.name ?? "cmdb";
  const mark = await read(driver, target, (tx) => tx.run(READ_WATERMARK, { name }));
  const reached = num(mark.records[0]?.get("changeId"));
  const nodes = await read(driver, target, (tx) => tx.run(EXISTING_NODE_IDS));
  const edges = await read(driver, target, (tx) => tx.run(EXISTING_EDGES));
  const existing = {
    nodeIds: nodes.records.map((r) => String(r.get("id"))),
    edges: edges.records.map((r) => ({ from: String(r.get("from")), type: String(r.get("type")), to: String(r.get("to")) })),
  };
  const until = await lastChangeId(store.engine);
  const full = needsFull(options, reached, until);
  let counts: SyncCounts;
  if (full) {
    const g = await readGraph(store.engine);
    counts = dryRunCounts({ full: true, projection: project(g.cis, g.relationships) }, existing);
  } else {
    const ids = await changedCiIds(store.engine, reached ?? 0, until);
    const g = await readGraphOf(store.engine, ids);
    counts = dryRunCounts({ full: false, changes: changeSet(ids, project(g.cis, g.relationships)) }, existing);
  }
  return { target: target.url, mode: full ? "full" : "incremental", dryRun: true, counts, sync: null, changeId: until, transactions: 0, halvings: 0, durationMs: Date.now() - started };
}

/**
 * A full sync when asked, when the target was never synced, or when the store is behind the
 * target's watermark (another store, or one emptied and reloaded): its change ids cannot say what
 * changed since.
 */
function needsFull(options: SyncOptions, reached: number | null, until: number): boolean {
  return options.full === true || reached === null || reached > until;
}

/** The projection of the whole store, for exports. */
export async function projectStore(store: Store): Promise<Projection> {
  const g = await readGraph(store.engine);
  return project(g.cis, g.relationships);
}
