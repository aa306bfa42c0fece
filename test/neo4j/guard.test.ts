import { describe, expect, it } from "vitest";
import { assertReadOnly, parseParams, writeClause } from "../../src/store/neo4j/guard.js";
import { syntaxErrors } from "./cypher-parse.js";

const READS = [
  "MATCH (n:CI) RETURN n.name, n.type LIMIT 10",
  "MATCH (a:CI)-[:RUNS_ON]->(b:CI {name: $name}) RETURN a",
  "MATCH (n) WHERE n.name = 'CREATE (x)' RETURN n",
  'MATCH (n) WHERE n.note = "DELETE everything; SET x = 1" RETURN n',
  "MATCH (n) // CREATE (m)\nRETURN n",
  "MATCH (n) /* MERGE (m) DETACH DELETE n */ RETURN n",
  "MATCH (n:`Create`) RETURN n.set, n.`delete`",
  "RETURN {create: 1, merge: 2, set: 3} AS m",
  "MATCH (n) RETURN n.remove AS remove",
  "MATCH (set:CI) RETURN set.name, set",
  "WITH $set AS s RETURN s",
  "MATCH p = (a:CI)-[*1..3]->(b:CI) WHERE a.id = $id RETURN p",
  "CALL db.labels() YIELD label RETURN label",
  "SHOW INDEXES",
  "MATCH (n) WHERE n.name =~ 'it\\'s SET' RETURN count(n) AS c",
];

const WRITES: [string, string][] = [
  ["CREATE (n:CI {id: 'x'})", "CREATE"],
  ["MATCH (n) DETACH DELETE n", "DETACH"],
  ["MATCH (n) DELETE n", "DELETE"],
  ["MERGE (n:CI {id: 'x'}) RETURN n", "MERGE"],
  ["MATCH (n) SET n.x = 1", "SET"],
  ["match (n) set n:Stale", "SET"],
  ["MATCH (n) REMOVE n.name", "REMOVE"],
  ["DROP CONSTRAINT cmdb_ci_id", "DROP"],
  ["MATCH (n) FOREACH (x IN [1] | SET n.y = x)", "FOREACH"],
  ["LOAD CSV FROM 'file:///x.csv' AS line RETURN line", "LOAD"],
  ["MATCH (n) WITH n /* comment */ CREATE (m)", "CREATE"],
  ["MATCH (n) CALL { WITH n DELETE n } IN TRANSACTIONS", "DELETE"],
  ["CREATE INDEX x FOR (n:CI) ON (n.name)", "CREATE"],
];

describe("the read-only guard of graph query", () => {
  it.each(READS)("lets a read through: %s", (q) => {
    expect(syntaxErrors(q)).toEqual([]);
    expect(writeClause(q)).toBeUndefined();
    expect(() => assertReadOnly(q)).not.toThrow();
  });

  it.each(WRITES)("refuses a write before anything is sent: %s", (q, clause) => {
    expect(syntaxErrors(q)).toEqual([]);
    expect(writeClause(q)).toBe(clause);
    expect(() => assertReadOnly(q)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining(`(${clause})`) }));
  });
});

describe("--param", () => {
  it("reads values as JSON when they are, as text otherwise", () => {
    expect(parseParams(["n=3", "f=2.5", "b=true", "s=web01", 'q="42"', "l=[1,2]", "e=", "eq=a=b"])).toEqual({
      n: 3,
      f: 2.5,
      b: true,
      s: "web01",
      q: "42",
      l: [1, 2],
      e: "",
      eq: "a=b",
    });
  });

  it("refuses a pair without a plain name", () => {
    expect(() => parseParams(["novalue"])).toThrow(/NAME=VALUE/);
    expect(() => parseParams(["a-b=1"])).toThrow(/NAME=VALUE/);
  });
});
