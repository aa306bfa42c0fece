import neo4j from "neo4j-driver";
import { describe, expect, it } from "vitest";
import { changeSet, dryRunCounts, edgeKey, isMemoryError, runBatched, runBoundedDelete } from "../../src/store/neo4j/plan.js";
import { type GraphCi, project } from "../../src/store/neo4j/project.js";

/** The error neo4j-driver raises when the server answers a transaction with this status code. */
const neo4jError = (code: string) => new neo4j.Neo4jError("The allocation of an extra 2.0 MiB would use more than the limit 2.0 GiB.", code, "51N72", "error");

const MEMORY = "Neo.TransientError.General.MemoryPoolOutOfMemoryError";

describe("batches", () => {
  it("halve when Neo4j runs out of transaction memory, retry the same rows, and keep the smaller size", async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const sent: number[][] = [];
    // A server whose memory pool takes at most 150 rows per transaction.
    const outcome = await runBatched(rows, 1000, async (batch) => {
      if (batch.length > 150) throw neo4jError(MEMORY);
      sent.push(batch);
    });
    expect(outcome.halvings).toBe(3); // 1000 → 500 → 250 → 125
    expect(outcome.size).toBe(125);
    expect(sent.map((b) => b.length)).toEqual(Array(8).fill(125));
    expect(sent.flat()).toEqual(rows);
    expect(outcome.batches).toBe(8);
  });

  it("know Neo4j's memory refusals by code and by GQL status, also when wrapped", () => {
    expect(isMemoryError(neo4jError(MEMORY))).toBe(true);
    expect(isMemoryError(neo4jError("Neo.ClientError.General.TransactionOutOfMemoryError"))).toBe(true);
    expect(isMemoryError(new neo4j.Neo4jError("x", "Neo.DatabaseError.General.UnknownError", "51N73", "error"))).toBe(true);
    expect(isMemoryError(new Error("wrapped", { cause: neo4jError(MEMORY) }))).toBe(true);
    expect(isMemoryError(new neo4j.Neo4jError("deadlock", "Neo.TransientError.Transaction.DeadlockDetected", "50N05", "error"))).toBe(false);
  });

  it("pass other errors through at once, and give up when one row alone is too big", async () => {
    const other = neo4jError("Neo.ClientError.Schema.ConstraintValidationFailed");
    await expect(runBatched([1, 2, 3], 2, async () => Promise.reject(other))).rejects.toBe(other);
    let calls = 0;
    await expect(
      runBatched([1, 2, 3, 4], 4, async () => {
        calls++;
        throw neo4jError(MEMORY);
      }),
    ).rejects.toMatchObject({ code: MEMORY });
    expect(calls).toBe(3); // 4, 2, 1
  });

  it("send nothing for no rows", async () => {
    expect(await runBatched([], 10, async () => Promise.reject(new Error("sent")))).toEqual({ batches: 0, halvings: 0, size: 10 });
  });
});

describe("bounded deletes", () => {
  it("run until a transaction deletes fewer than the limit", async () => {
    let left = 12_345;
    const perTransaction: number[] = [];
    const r = await runBoundedDelete(5000, async () => {
      const n = Math.min(5000, left);
      left -= n;
      perTransaction.push(n);
      return n;
    });
    expect(r).toEqual({ deleted: 12_345, transactions: 3 });
    expect(perTransaction).toEqual([5000, 5000, 2345]);
  });

  it("ask once more after an exact multiple, and once when nothing is stale", async () => {
    let left = 10_000;
    const r = await runBoundedDelete(5000, async () => {
      const n = Math.min(5000, left);
      left -= n;
      return n;
    });
    expect(r).toEqual({ deleted: 10_000, transactions: 3 });
    expect(await runBoundedDelete(5000, async () => 0)).toEqual({ deleted: 0, transactions: 1 });
  });
});

const ci = (id: string, name = id): GraphCi => ({
  id,
  type: "virtual_machine",
  name,
  status: "active",
  environment: null,
  provider: null,
  region: null,
  zone: null,
  owner: null,
  tags: {},
  attributes: {},
  keys: [],
  sources: ["terraform"],
});
const rel = (from: string, type: string, to: string) => ({ type, from, to, sources: ["terraform"] });

describe("the incremental change set", () => {
  const current = project([ci("a"), ci("b"), ci("c")], [rel("a", "RUNS_ON", "b"), rel("b", "RUNS_ON", "c"), rel("c", "DEPENDS_ON", "a")]);

  it("merges the changed CIs the store still has with their outgoing edges, and deletes the ones it lost", () => {
    const cs = changeSet(["b", "gone"], current);
    expect(cs.merge.nodes.map((n) => n.id)).toEqual(["b"]);
    expect(cs.merge.edges.map(edgeKey)).toEqual([edgeKey({ from: "b", type: "RUNS_ON", to: "c" })]);
    expect(cs.restated).toEqual(["b"]);
    expect(cs.deleted).toEqual(["gone"]);
  });

  it("is empty when nothing changed", () => {
    expect(changeSet([], current)).toEqual({ merge: { nodes: [], edges: [] }, restated: [], deleted: [] });
  });
});

describe("dry-run counts", () => {
  const current = project([ci("a"), ci("b"), ci("c")], [rel("a", "RUNS_ON", "b"), rel("b", "RUNS_ON", "c")]);
  const existing = {
    nodeIds: ["a", "b", "old"],
    edges: [
      { from: "a", type: "RUNS_ON", to: "b" },
      { from: "b", type: "DEPENDS_ON", to: "a" },
      { from: "old", type: "RUNS_ON", to: "a" },
    ],
  };

  it("of a full sync: everything merged, what the target has beyond the projection deleted", () => {
    expect(dryRunCounts({ full: true, projection: current }, existing)).toEqual({ nodesMerged: 3, edgesMerged: 2, nodesDeleted: 1, edgesDeleted: 2 });
  });

  it("of an incremental sync: the changed CIs merged, their dropped edges and the lost CIs deleted", () => {
    const changes = changeSet(["b", "old"], current);
    expect(dryRunCounts({ full: false, changes }, existing)).toEqual({ nodesMerged: 1, edgesMerged: 1, nodesDeleted: 1, edgesDeleted: 2 });
  });
});

describe("graph.neo4j in the configuration", () => {
  it("takes a Bolt URL, a database and a batch size, and refuses credentials in the URL naming the path", async () => {
    const { parseConfig } = await import("../../src/config/load.js");
    expect(parseConfig("graph:\n  neo4j:\n    url: neo4j+s://db.example:7687\n    database: cmdb\n    batchSize: 200\n", "c.yaml").graph?.neo4j).toEqual({
      url: "neo4j+s://db.example:7687",
      database: "cmdb",
      batchSize: 200,
    });
    expect(() => parseConfig("graph:\n  neo4j:\n    url: bolt://neo4j:pw@db:7687\n", "c.yaml")).toThrow(
      "graph.neo4j.url: a bolt:// or neo4j:// URL without credentials",
    );
    expect(() => parseConfig("graph:\n  neo4j:\n    url: bolt://db:7687\n    password: x\n", "c.yaml")).toThrow(/graph\.neo4j/);
  });
});
