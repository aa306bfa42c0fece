import { describe, expect, it } from "vitest";
import { EDGE_TYPES } from "../../src/store/neo4j/project.js";
import {
  allStatements,
  DELETE_EDGES_OF,
  DELETE_NODES,
  DELETE_STALE_EDGES,
  DELETE_STALE_EDGES_FROM,
  DELETE_STALE_NODE_EDGES,
  DELETE_STALE_NODES,
  MERGE_EDGES,
  MERGE_NODES,
} from "../../src/store/neo4j/statements.js";
import { syntaxErrors } from "./cypher-parse.js";

const DELETES = [...Object.values(DELETE_STALE_EDGES), DELETE_STALE_NODE_EDGES, DELETE_STALE_NODES, DELETE_STALE_EDGES_FROM, DELETE_EDGES_OF, DELETE_NODES];

describe("every Cypher statement the sync can send", () => {
  const statements = allStatements();

  it("is one of a closed set: a MERGE per CI type and per relationship type, a bounded delete per relationship type", () => {
    expect(Object.keys(MERGE_NODES)).toHaveLength(26);
    expect(Object.keys(MERGE_EDGES).sort()).toEqual([...EDGE_TYPES].sort());
    expect(new Set(statements).size).toBe(statements.length);
  });

  it.each(allStatements().map((s) => [s.split("\n")[0]!.slice(0, 70), s]))("parses with Neo4j's Cypher parser: %s", (_, statement) => {
    expect(syntaxErrors(statement)).toEqual([]);
  });

  it("carries values only as parameters: no string or number literal in any statement", () => {
    for (const s of statements) {
      expect(s, s).not.toMatch(/['"]/);
      // Numbers only in identifiers (none today) or the `+ 1` of the lock sequence and `0` of its coalesce.
      expect(s.replace(/coalesce\(s\.seq, 0\) \+ 1/, ""), s).not.toMatch(/(?<![A-Za-z_])\d/);
    }
    for (const s of [...Object.values(MERGE_NODES), ...Object.values(MERGE_EDGES)]) {
      expect(s).toMatch(/^UNWIND \$rows AS row\n/);
      expect(s).toContain("$sync");
    }
  });

  it("deletes only in bounded batches, never with a DETACH DELETE cascade", () => {
    for (const s of DELETES) {
      expect(s).toMatch(/LIMIT \$limit\n(DETACH )?DELETE/);
      expect(s).not.toMatch(/DETACH/);
      expect(s).toMatch(/RETURN count\(\w\) AS deleted$/);
    }
    for (const s of statements) if (/DELETE/.test(s)) expect(DELETES).toContain(s);
  });

  it("changes a node's type label: sets its own and removes every other type label", () => {
    const vm = MERGE_NODES.virtual_machine;
    expect(vm).toContain("n:VirtualMachine\n");
    const removed = vm.split("REMOVE n:")[1]!.split(":");
    expect(removed).toHaveLength(25);
    expect(removed).toContain("Server");
    expect(removed).not.toContain("VirtualMachine");
  });
});
