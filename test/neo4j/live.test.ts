import { afterAll, describe, expect, it } from "vitest";
import { exportProjection } from "../../src/store/neo4j/export.js";
import { runReadQuery } from "../../src/store/neo4j/query.js";
import { projectStore, syncGraph } from "../../src/store/neo4j/sync.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { splitStatements } from "./cypher-parse.js";
import { populate } from "./graph-store.js";

/**
 * Against a real Neo4j, when CMDB_TEST_NEO4J_URL names one (credentials from NEO4J_USERNAME /
 * NEO4J_PASSWORD; CMDB_TEST_NEO4J_DATABASE to pick a database). No Neo4j server can run on these
 * machines, so without it these tests say they were skipped, and they do NOT go through
 * requireService: CI (CMDB_TEST_REQUIRE_ALL=1) must not fail for a server it cannot have. The
 * target database is emptied of CMDB nodes: point it at a scratch database.
 */

const URL = process.env.CMDB_TEST_NEO4J_URL;
if (!URL) console.warn("SKIPPED: live Neo4j tests (sync, query, export loaded with Cypher): CMDB_TEST_NEO4J_URL is not set (no Neo4j server runs on these machines)");
const target = { url: URL ?? "bolt://unset", ...(process.env.CMDB_TEST_NEO4J_DATABASE ? { database: process.env.CMDB_TEST_NEO4J_DATABASE } : {}) };

afterAll(dropTestSchemas);

async function write(statements: string[]): Promise<void> {
  const neo4j = (await import("neo4j-driver")).default;
  const user = process.env.NEO4J_USERNAME;
  const driver = neo4j.driver(target.url, user ? neo4j.auth.basic(user, process.env.NEO4J_PASSWORD ?? "") : undefined);
  const session = driver.session(target.database ? { database: target.database } : {});
  try {
    for (const s of statements) await session.run(s);
  } finally {
    await session.close();
    await driver.close();
  }
}

const count = async (cypher: string): Promise<number> => Number((await runReadQuery(target, cypher, {})).rows[0]!.n);

describe.skipIf(!URL)("a real Neo4j", () => {
  it("takes a full sync, an incremental one, read-only queries, and the exported script (twice)", { timeout: 600_000 }, async () => {
    const store = await ENGINES[0]!.open();
    try {
      await write(["MATCH (n:CI) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS", "MATCH (s:CmdbSync) DELETE s"]);
      await populate(store);
      const p = await projectStore(store);
      const full = await syncGraph(store, target, { batchSize: 7 });
      expect(full.mode).toBe("full");
      expect(await count("MATCH (n:CI) RETURN count(n) AS n")).toBe(p.nodes.length);
      expect(await count("MATCH (:CI)-[r]->(:CI) RETURN count(r) AS n")).toBe(p.edges.length);
      expect(await count("MATCH (n:CI:VirtualMachine) RETURN count(n) AS n")).toBe(p.nodes.filter((n) => n.label === "VirtualMachine").length);
      const idle = await syncGraph(store, target, {});
      expect(idle.counts).toEqual({ nodesMerged: 0, edgesMerged: 0, nodesDeleted: 0, edgesDeleted: 0 });
      const dry = await syncGraph(store, target, { full: true, dryRun: true });
      expect(dry.counts).toEqual({ nodesMerged: p.nodes.length, edgesMerged: p.edges.length, nodesDeleted: 0, edgesDeleted: 0 });
      await expect(runReadQuery(target, "CALL db.createLabel('CmdbProbe')", {})).rejects.toThrow(/read/i);

      // The export, run statement by statement, twice: the same graph, with no duplicates.
      await write(["MATCH (n:CI) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS"]);
      const script = splitStatements([...exportProjection(p, "cypher")].join(""));
      await write(script.map((s) => s.replace(/;\s*$/, "")));
      await write(script.map((s) => s.replace(/;\s*$/, "")));
      expect(await count("MATCH (n:CI) RETURN count(n) AS n")).toBe(p.nodes.length);
      expect(await count("MATCH (:CI)-[r]->(:CI) RETURN count(r) AS n")).toBe(p.edges.length);
    } finally {
      await store.close();
    }
  });
});
