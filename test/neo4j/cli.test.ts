import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBoltServer, Struct } from "../helpers/bolt-server.js";
import { runCli } from "../helpers/cli.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import { Neo4jModel } from "./neo4j-model.js";

/** The `graph` commands as a user runs them: the built cmdb, neo4j-driver, Bolt on loopback. */

const PASSWORD = "cli-neo4j-password";
const ENV = { NEO4J_USERNAME: "cmdb", NEO4J_PASSWORD: PASSWORD, CMDB_NEO4J_URL: undefined };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cmdb-graph-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("cmdb graph query", () => {
  it("prints rows as a table or JSON, from a read transaction", async () => {
    const server = await startBoltServer({
      auth: { principal: "cmdb", credentials: PASSWORD },
      answer: (q) => {
        if (q.mode !== "r") throw new Error("a query outside a read transaction");
        if (q.params.name !== "web01" || q.params.depth !== 2n) throw new Error(`parameters ${JSON.stringify(Object.keys(q.params))}`);
        return {
          fields: ["n.name", "n", "c"],
          records: [["web01", new Struct(0x4e, [1n, ["CI", "VirtualMachine"], { name: "web01", memory_mb: 4096n }, "4:db:1"]), 3n]],
        };
      },
    });
    try {
      const args = ["graph", "query", "--neo4j", server.url, "--cypher", "MATCH (n:CI {name: $name}) RETURN n.name, n, $depth AS c", "--param", "name=web01", "--param", "depth=2"];
      const human = await runCli(args, { env: ENV });
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout.split("\n")[0]).toMatch(/^n\.name\s+n\s+c$/);
      expect(human.stdout).toContain('web01   {"elementId":"4:db:1","labels":["CI","VirtualMachine"],"properties":{"name":"web01","memory_mb":4096}}  3');
      const json = await runCli([...args, "--json"], { env: ENV });
      expect(JSON.parse(json.stdout)).toEqual([{ "n.name": "web01", n: { elementId: "4:db:1", labels: ["CI", "VirtualMachine"], properties: { name: "web01", memory_mb: 4096 } }, c: 3 }]);
      expect(server.violations).toEqual([]);
      expect(server.messages.filter((m) => m.name === "COMMIT").length).toBe(2);
    } finally {
      await server.close();
    }
  });

  it("refuses writes: by the guard before connecting, by Neo4j in the read transaction, and by the summary", async () => {
    const server = await startBoltServer({
      auth: { principal: "cmdb", credentials: PASSWORD },
      answer: (q) => {
        if (q.query.includes("apoc.create.node")) return { failure: { code: "Neo.ClientError.Statement.AccessMode", message: "Writing in read access mode not allowed. Attempted write to database 'neo4j'" } };
        return { fields: ["x"], records: [[1n]], type: "rw", stats: { "nodes-created": 1 } };
      },
    });
    try {
      const guarded = await runCli(["graph", "query", "--neo4j", server.url, "--cypher", "MATCH (n) DETACH DELETE n"], { env: ENV });
      expect(guarded.code).toBe(2);
      expect(guarded.stderr).toBe(
        "cmdb: --cypher: the query writes (DETACH): graph query runs read-only Cypher only (the Neo4j projection is rebuilt from the CMDB by `cmdb graph sync`; change the CMDB, not the projection)\n",
      );
      expect(server.messages).toEqual([]);

      const proc = await runCli(["graph", "query", "--neo4j", server.url, "--cypher", "CALL apoc.create.node(['X'], {}) YIELD node RETURN node"], { env: ENV });
      expect(proc.code).toBe(2);
      expect(proc.stderr).toMatch(/^cmdb: bolt:\/\/127\.0\.0\.1:\d+: Neo4j refused a write in a read transaction: Writing in read access mode not allowed/);

      const sneaky = await runCli(["graph", "query", "--neo4j", server.url, "--cypher", "CALL my.procedure() YIELD x RETURN x"], { env: ENV });
      expect(sneaky.code).toBe(2);
      expect(sneaky.stderr).toMatch(/not read-only; it was rolled back/);
      const last = server.messages.filter((m) => ["COMMIT", "ROLLBACK"].includes(m.name)).at(-1);
      expect(last?.name).toBe("ROLLBACK");
      expect(server.messages.some((m) => m.name === "COMMIT")).toBe(false);
      expect(server.violations).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("takes credentials only from the environment, and says so for a URL that carries them", async () => {
    const r = await runCli(["graph", "query", "--neo4j", "bolt://neo4j:hunter2@127.0.0.1:1", "--cypher", "RETURN 1"], { env: ENV });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("cmdb: --neo4j: the Neo4j URL carries credentials (remove them from the URL and set NEO4J_USERNAME and NEO4J_PASSWORD instead)\n");
    const none = await runCli(["graph", "query", "--cypher", "RETURN 1"], { env: ENV });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no Neo4j server named \(pass --neo4j/);
    const http = await runCli(["graph", "query", "--neo4j", "http://127.0.0.1:7474", "--cypher", "RETURN 1"], { env: ENV });
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/the scheme http:\/\/ is not Bolt/);
  });
});

describe("cmdb graph sync", () => {
  // Each run is a cmdb process opening a PGlite store: seconds each on a loaded machine.
  it("syncs the store, prints what it did, and never prints the password", { timeout: 600_000 }, async () => {
    const model = new Neo4jModel();
    const server = await startBoltServer({ auth: { principal: "cmdb", credentials: PASSWORD }, answer: model.answer, onTransaction: model.onTransaction });
    try {
      const db = join(dir, "sync-store");
      const ingest = await runCli(["--db", db, "ingest", "terraform", join(TEST_FIXTURES, "cross-source/lab.tfstate"), "--workspace", "lab"]);
      expect(ingest.code, ingest.stderr).toBe(0);
      const dry = await runCli(["--db", db, "graph", "sync", "--neo4j", server.url, "--dry-run", "--json"], { env: ENV });
      expect(dry.code, dry.stderr).toBe(0);
      const planned = JSON.parse(dry.stdout);
      expect(planned).toMatchObject({ mode: "full", dryRun: true, counts: { nodesDeleted: 0, edgesDeleted: 0 } });
      expect(model.state.nodes.size).toBe(0);
      const r = await runCli(["--db", db, "graph", "sync", "--neo4j", server.url], { env: ENV });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(`^full sync to bolt://127\\.0\\.0\\.1:\\d+: merged ${planned.counts.nodesMerged} nodes and ${planned.counts.edgesMerged} relationships, deleted 0 nodes and 0 relationships \\(\\d+ transactions, 0 halvings, \\d+ ms\\)\\n$`),
      );
      expect(model.state.nodes.size).toBe(planned.counts.nodesMerged);
      expect(r.stdout + r.stderr + dry.stdout + dry.stderr).not.toContain(PASSWORD);
      expect(server.violations).toEqual([]);
      expect(model.problems).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("runs after every ingest when graph.neo4j is configured, and warns without failing the ingest when Neo4j is away", { timeout: 600_000 }, async () => {
    const model = new Neo4jModel();
    const server = await startBoltServer({ auth: { principal: "cmdb", credentials: PASSWORD }, answer: model.answer, onTransaction: model.onTransaction });
    try {
      const db = join(dir, "hook-store");
      const config = join(dir, "cmdb.config.yaml");
      writeFileSync(config, `graph:\n  neo4j:\n    url: ${server.url}\n    batchSize: 5\n`);
      const first = await runCli(["--db", db, "--config", config, "ingest", "terraform", join(TEST_FIXTURES, "cross-source/lab.tfstate"), "--workspace", "lab"], { env: ENV });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/^cmdb: graph: full sync to bolt:\/\/127\.0\.0\.1:\d+: merged \d+ nodes/m);
      const after = model.state.nodes.size;
      expect(after).toBeGreaterThan(3);
      const second = await runCli(["--db", db, "--config", config, "ingest", "ansible", "-i", join(TEST_FIXTURES, "cross-source/inventory.ini")], { env: ENV });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/^cmdb: graph: incremental sync/m);
      expect(model.state.nodes.size).toBeGreaterThan(after);
      expect(server.violations).toEqual([]);
      expect(model.problems).toEqual([]);

      writeFileSync(config, "graph:\n  neo4j:\n    url: bolt://127.0.0.1:9\n");
      const away = await runCli(["--db", db, "--config", config, "ingest", "terraform", join(TEST_FIXTURES, "cross-source/lab.tfstate"), "--workspace", "lab"], { env: ENV });
      expect(away.code, away.stderr).toBe(0);
      expect(away.stderr).toMatch(/^cmdb: warning: graph sync after the ingest failed: bolt:\/\/127\.0\.0\.1:9: cannot reach Neo4j: .*\(the ingest landed; run `cmdb graph sync`\)$/m);
      expect(away.stderr).not.toContain(PASSWORD);
    } finally {
      await server.close();
    }
  });
});
