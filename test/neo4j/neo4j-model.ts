import type { CiType } from "../../src/model/ci-types.js";
import type { RelationshipType } from "../../src/model/relationships.js";
import { EDGE_TYPES, TYPE_LABELS } from "../../src/store/neo4j/project.js";
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
} from "../../src/store/neo4j/statements.js";
import type { BoltAnswer, BoltQuery } from "../helpers/bolt-server.js";

/**
 * What a Neo4j database does with the sync's statements, for the Bolt test server to answer with:
 * a graph of CI nodes and edges and the sync node, changed only by the closed set of statements
 * the sync may send (any other text is an unexpected query), in transactions that a rollback
 * undoes. It checks each request as it goes: the parameters each statement needs, integers sent
 * as INTEGER, no write in a read transaction, and the memory limit it is given (rows per
 * transaction beyond it are refused with MemoryPoolOutOfMemoryError, as Neo4j does).
 */

export interface ModelNode {
  labels: Set<string>;
  props: Record<string, unknown>;
}
export interface ModelEdge {
  type: string;
  from: string;
  to: string;
  props: Record<string, unknown>;
  /** Edges someone else drew (not the CMDB's): kept unless their node goes. */
  foreign?: boolean;
}
interface State {
  nodes: Map<string, ModelNode>;
  edges: Map<string, ModelEdge>;
  sync: { seq: bigint; owner: string | null; expires: bigint | null; changeId: bigint | null; lastSync: bigint | null } | null;
}

export const edgeId = (e: { from: string; type: string; to: string }) => `${e.from}|${e.type}|${e.to}`;

export class Neo4jModel {
  state: State = { nodes: new Map(), edges: new Map(), sync: null };
  private saved = new Map<number, State>();
  /** Rows a single write transaction may carry before the memory pool is exhausted. */
  memoryRows = Number.POSITIVE_INFINITY;
  /** The most rows one transaction deleted. */
  maxDeletedPerTransaction = 0;
  /** Server clock (ms) for lock expiry. */
  now = 1_000_000n;
  problems: string[] = [];
  schema: string[] = [];

  private readonly byText = new Map<string, (q: BoltQuery) => BoltAnswer>();

  constructor() {
    for (const s of SCHEMA_STATEMENTS) {
      this.byText.set(s, () => {
        this.schema.push(s);
        return { fields: [], type: "s" };
      });
    }
    this.byText.set(ACQUIRE_LOCK, (q) => this.acquire(q));
    this.byText.set(RENEW_LOCK, (q) => this.renew(q));
    this.byText.set(LOCK_HOLDER, () => this.holder());
    this.byText.set(RELEASE_LOCK, (q) => this.release(q));
    this.byText.set(READ_WATERMARK, () => ({ fields: ["changeId", "seq"], records: [[this.state.sync?.changeId ?? null, this.state.sync?.seq ?? null]] }));
    for (const [type, text] of Object.entries(MERGE_NODES)) this.byText.set(text, (q) => this.mergeNodes(type as CiType, q));
    for (const [type, text] of Object.entries(MERGE_EDGES)) this.byText.set(text, (q) => this.mergeEdges(type as RelationshipType, q));
    for (const [type, text] of Object.entries(DELETE_STALE_EDGES)) {
      this.byText.set(text, (q) => this.deleteEdges(q, (e) => e.type === type && !e.foreign && this.stale(e.props, q)));
    }
    this.byText.set(DELETE_STALE_NODE_EDGES, (q) =>
      this.deleteEdges(q, (e) => [e.from, e.to].some((id) => this.stale(this.state.nodes.get(id)?.props ?? {}, q))),
    );
    this.byText.set(DELETE_STALE_NODES, (q) => this.deleteNodes(q, (_id, n) => this.stale(n.props, q)));
    this.byText.set(DELETE_STALE_EDGES_FROM, (q) => {
      const ids = new Set(this.strings(q, "ids"));
      return this.deleteEdges(q, (e) => ids.has(e.from) && !e.foreign && this.state.nodes.has(e.to) && this.stale(e.props, q));
    });
    this.byText.set(DELETE_EDGES_OF, (q) => {
      const ids = new Set(this.strings(q, "ids"));
      return this.deleteEdges(q, (e) => ids.has(e.from) || ids.has(e.to));
    });
    this.byText.set(DELETE_NODES, (q) => {
      const ids = new Set(this.strings(q, "ids"));
      return this.deleteNodes(q, (id) => ids.has(id));
    });
    this.byText.set(EXISTING_NODE_IDS, () => ({
      fields: ["id"],
      records: [...this.state.nodes].filter(([, n]) => n.props.cmdb_sync !== undefined).map(([id]) => [id]),
    }));
    this.byText.set(EXISTING_EDGES, () => ({
      fields: ["from", "type", "to"],
      records: [...this.state.edges.values()].filter((e) => e.props.cmdb_sync !== undefined).map((e) => [e.from, e.type, e.to]),
    }));
  }

  answer = (q: BoltQuery): BoltAnswer => {
    const handler = this.byText.get(q.query);
    if (!handler) throw new Error(q.query.slice(0, 120));
    if (!q.explicit) this.problems.push(`auto-commit query: ${q.query.slice(0, 60)}`);
    return handler(q);
  };

  onTransaction = (event: "begin" | "commit" | "rollback", connection: number): void => {
    if (event === "begin") this.saved.set(connection, clone(this.state));
    else if (event === "rollback") {
      const before = this.saved.get(connection);
      if (before) this.state = before;
      this.saved.delete(connection);
    } else this.saved.delete(connection);
  };

  // --- checks ------------------------------------------------------------------------------

  private write(q: BoltQuery): BoltAnswer | undefined {
    if (q.mode === "r") return { failure: { code: "Neo.ClientError.Statement.AccessMode", message: "Writing in read access mode not allowed." } };
    return undefined;
  }
  private int(q: BoltQuery, name: string): bigint {
    const v = q.params[name];
    if (typeof v !== "bigint") this.problems.push(`$${name} is ${typeof v}, not an INTEGER, in ${q.query.slice(0, 40)}`);
    return BigInt(v as bigint);
  }
  private strings(q: BoltQuery, name: string): string[] {
    const v = q.params[name];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) this.problems.push(`$${name} is not a list of strings`);
    return v as string[];
  }
  private rows(q: BoltQuery): Record<string, unknown>[] {
    const rows = q.params.rows;
    if (!Array.isArray(rows)) {
      this.problems.push("$rows is not a list");
      return [];
    }
    return rows as Record<string, unknown>[];
  }
  private stale(props: Record<string, unknown>, q: BoltQuery): boolean {
    const s = props.cmdb_sync;
    return typeof s === "bigint" && s < this.int(q, "sync");
  }
  private tooBig(rows: number): BoltAnswer | undefined {
    if (rows <= this.memoryRows) return undefined;
    return {
      failure: {
        code: "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
        message: `The allocation of an extra 2.0 MiB would use more than the limit 2.0 GiB. Currently using 2.0 GiB. dbms.memory.transaction.total.max threshold reached (${rows} rows)`,
      },
    };
  }

  // --- statements --------------------------------------------------------------------------

  private acquire(q: BoltQuery): BoltAnswer {
    const refused = this.write(q);
    if (refused) return refused;
    const owner = q.params.owner as string;
    const ttl = this.int(q, "ttlMs");
    this.state.sync ??= { seq: 0n, owner: null, expires: null, changeId: null, lastSync: null };
    const s = this.state.sync;
    if (s.owner !== null && s.owner !== owner && (s.expires ?? 0n) >= this.now) return { fields: ["seq", "changeId"], records: [], type: "rw" };
    s.owner = owner;
    s.expires = this.now + ttl;
    s.seq += 1n;
    return { fields: ["seq", "changeId"], records: [[s.seq, s.changeId]], type: "rw", stats: { "properties-set": 3 } };
  }
  private renew(q: BoltQuery): BoltAnswer {
    const s = this.state.sync;
    if (!s || s.owner !== q.params.owner) return { fields: ["seq"], records: [], type: "rw" };
    s.expires = this.now + this.int(q, "ttlMs");
    return { fields: ["seq"], records: [[s.seq]], type: "rw" };
  }
  private holder(): BoltAnswer {
    const s = this.state.sync;
    return { fields: ["owner", "remainingMs"], records: s ? [[s.owner, s.expires === null ? null : s.expires - this.now]] : [] };
  }
  private release(q: BoltQuery): BoltAnswer {
    const s = this.state.sync;
    if (!s || s.owner !== q.params.owner) return { fields: ["seq"], records: [], type: "rw" };
    s.owner = null;
    s.expires = null;
    if (q.params.changeId !== null) {
      s.changeId = this.int(q, "changeId");
      s.lastSync = this.int(q, "seq");
    }
    return { fields: ["seq"], records: [[s.seq]], type: "rw" };
  }
  private mergeNodes(type: CiType, q: BoltQuery): BoltAnswer {
    const rows = this.rows(q);
    const refused = this.write(q) ?? this.tooBig(rows.length);
    if (refused) return refused;
    const sync = this.int(q, "sync");
    for (const row of rows) {
      const id = row.id as string;
      const props: Record<string, unknown> = { ...(row.props as Record<string, unknown>), cmdb_sync: sync };
      if (props.id !== id) this.problems.push(`node ${id}: props.id is ${String(props.id)}`);
      const node = this.state.nodes.get(id) ?? { labels: new Set(["CI"]), props: {} };
      for (const l of Object.values(TYPE_LABELS)) node.labels.delete(l);
      node.labels.add(TYPE_LABELS[type]);
      node.props = props;
      this.state.nodes.set(id, node);
    }
    return { fields: [], type: "w", stats: { "nodes-created": rows.length } };
  }
  private mergeEdges(type: RelationshipType, q: BoltQuery): BoltAnswer {
    const rows = this.rows(q);
    const refused = this.write(q) ?? this.tooBig(rows.length);
    if (refused) return refused;
    const sync = this.int(q, "sync");
    for (const row of rows) {
      const from = row.from as string;
      const to = row.to as string;
      // MATCH finds no end: the row does nothing, as in Neo4j.
      if (!this.state.nodes.has(from) || !this.state.nodes.has(to)) continue;
      this.state.edges.set(edgeId({ from, type, to }), { type, from, to, props: { ...(row.props as Record<string, unknown>), cmdb_sync: sync } });
    }
    return { fields: [], type: "w" };
  }
  private deleteEdges(q: BoltQuery, match: (e: ModelEdge) => boolean): BoltAnswer {
    const refused = this.write(q);
    if (refused) return refused;
    const limit = Number(this.int(q, "limit"));
    let n = 0;
    for (const [k, e] of [...this.state.edges]) {
      if (n >= limit) break;
      if (match(e)) {
        this.state.edges.delete(k);
        n++;
      }
    }
    this.maxDeletedPerTransaction = Math.max(this.maxDeletedPerTransaction, n);
    return { fields: ["deleted"], records: [[BigInt(n)]], type: "w" };
  }
  private deleteNodes(q: BoltQuery, match: (id: string, n: ModelNode) => boolean): BoltAnswer {
    const refused = this.write(q);
    if (refused) return refused;
    const limit = Number(this.int(q, "limit"));
    let n = 0;
    for (const [id, node] of [...this.state.nodes]) {
      if (n >= limit) break;
      if (!match(id, node)) continue;
      // DELETE (not DETACH DELETE) of a node that still has edges fails the transaction.
      if ([...this.state.edges.values()].some((e) => e.from === id || e.to === id)) {
        return { failure: { code: "Neo.ClientError.Schema.ConstraintValidationFailed", message: `Cannot delete node<${id}>, because it still has relationships.` } };
      }
      this.state.nodes.delete(id);
      n++;
    }
    this.maxDeletedPerTransaction = Math.max(this.maxDeletedPerTransaction, n);
    return { fields: ["deleted"], records: [[BigInt(n)]], type: "w" };
  }

  // --- views for assertions ------------------------------------------------------------------

  nodeIds(): string[] {
    return [...this.state.nodes.keys()].sort();
  }
  edgeIds(): string[] {
    return [...this.state.edges.values()].filter((e) => !e.foreign).map(edgeId).sort();
  }
}

function clone(s: State): State {
  return {
    nodes: new Map([...s.nodes].map(([k, n]) => [k, { labels: new Set(n.labels), props: { ...n.props } }])),
    edges: new Map([...s.edges].map(([k, e]) => [k, { ...e, props: { ...e.props } }])),
    sync: s.sync ? { ...s.sync } : null,
  };
}

export { EDGE_TYPES };
