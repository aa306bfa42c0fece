import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import { project } from "../../src/store/neo4j/project.js";
import { lastChangeId, readGraph } from "../../src/store/neo4j/read.js";
import { ACQUIRE_LOCK, MERGE_NODES, RELEASE_LOCK, SCHEMA_STATEMENTS } from "../../src/store/neo4j/statements.js";
import { syncGraph } from "../../src/store/neo4j/sync.js";
import type { Store } from "../../src/store/store.js";
import { type BoltServer, startBoltServer } from "../helpers/bolt-server.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { PLANTED, populate, settings } from "./graph-store.js";
import { edgeId, Neo4jModel } from "./neo4j-model.js";

/**
 * Timeouts are generous: the first PGlite store of a file runs initdb, which takes tens of seconds
 * on a loaded machine. Nothing here measures speed.
 *
 * The sync's transaction flow through the real neo4j-driver, over Bolt on loopback, against a test
 * server that answers as Neo4j would (test/helpers/bolt-server.ts with the statement model of
 * neo4j-model.ts). No Neo4j runs here: what Neo4j itself would do with these statements is covered
 * by live.test.ts when CMDB_TEST_NEO4J_URL names a server.
 */

afterAll(dropTestSchemas);

const PASSWORD = "s3cr3t-neo4j-password";
const ENV = { NEO4J_USERNAME: "cmdb", NEO4J_PASSWORD: PASSWORD };

async function serve(model: Neo4jModel, auth = { principal: "cmdb", credentials: PASSWORD }, expectRefusal = false): Promise<BoltServer> {
  return startBoltServer({ auth, answer: model.answer, onTransaction: model.onTransaction, expectRefusal });
}

async function expected(store: Store) {
  const g = await readGraph(store.engine);
  const p = project(g.cis, g.relationships);
  return { p, nodes: p.nodes.map((n) => n.id).sort(), edges: p.edges.map(edgeId).sort() };
}

describe.each(ENGINES)("graph sync over Bolt ($name)", (engine) => {
  it.skipIf(!engine.available)("projects the store, halves batches Neo4j cannot hold, and then sends only what changed", { timeout: 600_000 }, async () => {
    const store = await engine.open();
    const model = new Neo4jModel();
    const server = await serve(model);
    try {
      await populate(store);
      const want = await expected(store);
      // A server whose transaction memory holds 7 rows: the first batch of 50 is refused and halved.
      model.memoryRows = 7;
      const first = await syncGraph(store, { url: server.url }, { env: ENV, batchSize: 50, owner: "test-a" });
      expect(server.violations).toEqual([]);
      expect(model.problems).toEqual([]);
      expect(first.mode).toBe("full");
      // A group of more than 7 rows is sent whole (at most 50), refused, and sent again in halves.
      expect(first.halvings).toBeGreaterThanOrEqual(1);
      expect(model.nodeIds()).toEqual(want.nodes);
      expect(model.edgeIds()).toEqual(want.edges);
      expect(first.counts).toEqual({ nodesMerged: want.nodes.length, edgesMerged: want.edges.length, nodesDeleted: 0, edgesDeleted: 0 });
      expect(first.changeId).toBe(await lastChangeId(store.engine));
      expect(model.state.sync).toMatchObject({ owner: null, changeId: BigInt(first.changeId), seq: 1n });

      // The order: schema first, each statement alone; then the lock; merges; the release last.
      const texts = server.queries.map((q) => q.query);
      expect(texts.slice(0, SCHEMA_STATEMENTS.length)).toEqual([...SCHEMA_STATEMENTS]);
      expect(texts[SCHEMA_STATEMENTS.length]).toBe(ACQUIRE_LOCK);
      expect(texts.at(-1)).toBe(RELEASE_LOCK);
      // Every MERGE that committed carried at most 7 rows; the refused ones were rolled back whole.
      const merges = server.queries.filter((q) => q.query.startsWith("UNWIND $rows"));
      expect(merges.some((q) => (q.params.rows as unknown[]).length > 7)).toBe(true);
      expect(model.state.nodes.size).toBe(want.nodes.length);
      // Whole numbers arrive as INTEGER, fractions as FLOAT; labels follow the type.
      const vm = [...model.state.nodes.values()].find((n) => typeof n.props.memory_mb === "bigint");
      expect(vm, "a CI with memory_mb").toBeDefined();
      const hostile = [...model.state.nodes.values()].find((n) => n.props["nested.deeper.ratio"] !== undefined)!;
      expect(hostile.props["nested.deeper.ratio"]).toBe(0.25);
      expect(hostile.props.big).toBe(2n ** 40n);
      expect(hostile.props.db_password).toBe("(redacted)");
      expect([...hostile.labels].sort()).toEqual(["CI", "VirtualMachine"]);
      // The credentials went in LOGON, and nowhere else.
      const logons = server.messages.filter((m) => m.name === "LOGON");
      expect(logons.length).toBeGreaterThan(0);
      expect(JSON.stringify(server.queries, (_, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(PASSWORD);
      expect(JSON.stringify(first)).not.toContain(PASSWORD);
      expect(JSON.stringify([...model.state.nodes.values()].map((n) => n.props), (_, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(PLANTED);

      // Nothing changed: an incremental sync sends nothing.
      model.memoryRows = Number.POSITIVE_INFINITY;
      const before = server.queries.length;
      const idle = await syncGraph(store, { url: server.url }, { env: ENV, owner: "test-a" });
      expect(idle.mode).toBe("incremental");
      expect(idle.counts).toEqual({ nodesMerged: 0, edgesMerged: 0, nodesDeleted: 0, edgesDeleted: 0 });
      expect(server.queries.slice(before).filter((q) => q.query.startsWith("UNWIND $rows"))).toEqual([]);

      // A new ingest: only its CIs (and the edges leaving them) are sent.
      const known = new Set(want.nodes);
      await ingestTerraform(store, { input: join(TEST_FIXTURES, "terraform/aws-vpc-instance-eip.tfstate"), workspace: "vpc", settings, now: new Date("2026-11-21T10:00:00Z") });
      const after = await expected(store);
      const added = after.nodes.filter((id) => !known.has(id));
      expect(added.length).toBeGreaterThan(0);
      const mark = server.queries.length;
      const inc = await syncGraph(store, { url: server.url }, { env: ENV, owner: "test-a" });
      expect(server.violations).toEqual([]);
      expect(model.problems).toEqual([]);
      expect(inc.mode).toBe("incremental");
      const sentIds = server.queries
        .slice(mark)
        .filter((q) => Object.values(MERGE_NODES).includes(q.query))
        .flatMap((q) => (q.params.rows as { id: string }[]).map((r) => r.id))
        .sort();
      expect(sentIds).toEqual(added.sort());
      expect(model.nodeIds()).toEqual(after.nodes);
      expect(model.edgeIds()).toEqual(after.edges);

      // A CI the store no longer holds (merged away by reconciliation): its node and edges go, boundedly.
      const victim = after.p.edges[0]!.from;
      await store.engine.transaction(async (tx) => {
        await tx.query("DELETE FROM relationship_row WHERE from_ci = $1 OR to_ci = $1", [victim]);
        await tx.query("DELETE FROM pending_relationship WHERE from_ci = $1", [victim]);
        await tx.query("DELETE FROM observation_row WHERE ci_id = $1", [victim]);
        await tx.query("DELETE FROM ci WHERE id = $1", [victim]);
        await tx.query("INSERT INTO change (ci_id, source, field, old_value, new_value, run_id, at) VALUES ($1, NULL, 'merged', NULL, NULL, NULL, now())", [victim]);
      });
      const gone = await syncGraph(store, { url: server.url }, { env: ENV, owner: "test-a", deleteLimit: 1 });
      expect(gone.counts.nodesDeleted).toBe(1);
      expect(gone.counts.edgesDeleted).toBeGreaterThan(0);
      expect(model.maxDeletedPerTransaction).toBe(1);
      const final = await expected(store);
      expect(model.nodeIds()).toEqual(final.nodes);
      expect(model.edgeIds()).toEqual(final.edges);
      expect(server.violations).toEqual([]);
      expect(model.problems).toEqual([]);
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe("graph sync over Bolt: what Cartography's users hit", () => {
  const store = ENGINES[0]!;

  it("a full sync deletes what the store lost in bounded batches, edges before nodes, and keeps others' edges between live CIs", { timeout: 600_000 }, async () => {
    const s = await store.open();
    const model = new Neo4jModel();
    const server = await serve(model);
    try {
      await populate(s);
      const want = await expected(s);
      await syncGraph(s, { url: server.url }, { env: ENV, owner: "a" });
      // The target gains what the store does not have: 300 stale CIs in a chain, 40 stale edges
      // between live CIs, and an edge someone drew between two live CIs by hand.
      for (let i = 0; i < 300; i++) model.state.nodes.set(`stale${i}`, { labels: new Set(["CI", "Server"]), props: { id: `stale${i}`, cmdb_sync: 1n } });
      for (let i = 1; i < 300; i++) model.state.edges.set(`stale${i}|RUNS_ON|stale${i - 1}`, { type: "RUNS_ON", from: `stale${i}`, to: `stale${i - 1}`, props: { cmdb_sync: 1n } });
      const [a, b] = want.nodes;
      for (let i = 0; i < 40; i++) model.state.edges.set(`x${i}`, { type: "USES", from: `stale${i}`, to: a!, props: { cmdb_sync: 1n } });
      model.state.edges.set("hand", { type: "KNOWS", from: a!, to: b!, props: {}, foreign: true });
      model.state.edges.set("hand2", { type: "KNOWS", from: "stale5", to: a!, props: {}, foreign: true });
      model.maxDeletedPerTransaction = 0;
      const r = await syncGraph(s, { url: server.url }, { env: ENV, owner: "a", full: true, deleteLimit: 25 });
      expect(server.violations).toEqual([]);
      expect(model.problems).toEqual([]);
      expect(r.counts.nodesDeleted).toBe(300);
      expect(r.counts.edgesDeleted).toBe(299 + 40 + 1);
      expect(model.maxDeletedPerTransaction).toBe(25);
      expect(model.nodeIds()).toEqual(want.nodes);
      expect(model.edgeIds()).toEqual(want.edges);
      expect(model.state.edges.has("hand")).toBe(true);
    } finally {
      await server.close();
      await s.close();
    }
  });

  it("a sync finds the target locked by another, says by whom, and writes nothing", { timeout: 600_000 }, async () => {
    const s = await store.open();
    const model = new Neo4jModel();
    const server = await serve(model);
    try {
      await populate(s);
      model.state.sync = { seq: 4n, owner: "ci-runner/77/abcd", expires: model.now + 120_000n, changeId: null, lastSync: null };
      await expect(syncGraph(s, { url: server.url }, { env: ENV, owner: "b" })).rejects.toThrow(
        expect.objectContaining({ message: expect.stringContaining("another sync holds the lock on this target (ci-runner/77/abcd)"), hint: expect.stringContaining("120 s") }),
      );
      expect(server.queries.filter((q) => q.query.startsWith("UNWIND"))).toEqual([]);
      expect(model.state.nodes.size).toBe(0);
      // Once the holder's lock has expired, the next sync takes it.
      model.now += 200_000n;
      const r = await syncGraph(s, { url: server.url }, { env: ENV, owner: "b" });
      expect(r.sync).toBe(5);
      expect(server.violations).toEqual([]);
    } finally {
      await server.close();
      await s.close();
    }
  });

  it("a dry run reads only, and its counts are what the sync then does", { timeout: 600_000 }, async () => {
    const s = await store.open();
    const model = new Neo4jModel();
    const server = await serve(model);
    try {
      await populate(s);
      model.state.nodes.set("old", { labels: new Set(["CI"]), props: { id: "old", cmdb_sync: 0n } });
      const dry = await syncGraph(s, { url: server.url }, { env: ENV, dryRun: true });
      expect(server.queries.every((q) => q.mode === "r")).toBe(true);
      expect(model.state.nodes.size).toBe(1);
      const real = await syncGraph(s, { url: server.url }, { env: ENV, owner: "c" });
      expect(dry.counts).toEqual(real.counts);
      expect(dry.counts.nodesDeleted).toBe(1);
      expect((await syncGraph(s, { url: server.url }, { env: ENV, dryRun: true })).mode).toBe("incremental");
      // A target ahead of the store (another store, or this one emptied and reloaded) gets a full sync.
      model.state.sync!.changeId = 1_000_000_000n;
      expect((await syncGraph(s, { url: server.url }, { env: ENV, dryRun: true })).mode).toBe("full");
      expect(server.violations).toEqual([]);
    } finally {
      await server.close();
      await s.close();
    }
  });

  it("wrong credentials are one clear error that names no secret", { timeout: 600_000 }, async () => {
    const s = await store.open();
    const model = new Neo4jModel();
    const server = await serve(model, { principal: "cmdb", credentials: "the-right-one" }, true);
    try {
      const error = (await syncGraph(s, { url: server.url }, { env: ENV }).then(
        () => new Error("the sync succeeded"),
        (e: unknown) => e,
      )) as Error & { describe(): string };
      expect(error.describe()).toBe(`${server.url}: Neo4j refused the credentials (check NEO4J_USERNAME and NEO4J_PASSWORD)`);
      expect(error.describe()).not.toContain(PASSWORD);
      expect(server.violations).toEqual([]);
    } finally {
      await server.close();
      await s.close();
    }
  });
});
