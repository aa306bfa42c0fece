import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateXML } from "xmllint-wasm";
import { afterAll, describe, expect, it } from "vitest";
import { exportProjection, graphmlId } from "../../src/store/neo4j/export.js";
import { type Projection, projectCi } from "../../src/store/neo4j/project.js";
import { projectStore } from "../../src/store/neo4j/sync.js";
import { stats } from "../../src/store/queries.js";
import { runCli } from "../helpers/cli.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { allDiagnostics, splitStatements, syntaxErrors } from "./cypher-parse.js";
import { HOSTILE, PLANTED, populate } from "./graph-store.js";

afterAll(dropTestSchemas);

const XSD = readFileSync(join(TEST_FIXTURES, "graphml/graphml-structure.xsd"), "utf8");

async function validateGraphml(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: "export.graphml", contents: xml }],
    schema: [{ fileName: "graphml-structure.xsd", contents: XSD }],
    maxMemoryPages: 16384,
  });
  return result.errors.map((e) => e.rawMessage);
}

const text = (p: Projection, format: "cypher" | "graphml" | "json") => [...exportProjection(p, format)].join("");

describe("the GraphML check itself", () => {
  it("refuses what GraphML does not allow: an edge to no node, a data key no key declares, an unknown attribute", async () => {
    const good =
      '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"><key id="d0" for="node" attr.name="name" attr.type="string"/><graph edgedefault="directed"><node id="a"><data key="d0">x</data></node><node id="b"/><edge source="a" target="b"/></graph></graphml>';
    expect(await validateGraphml(good)).toEqual([]);
    expect((await validateGraphml(good.replace('target="b"', 'target="z"'))).join("\n")).toMatch(/edgeTarget|keyref/i);
    expect((await validateGraphml(good.replace('data key="d0"', 'data key="d9"'))).join("\n")).toMatch(/dataKey|keyref/i);
    expect((await validateGraphml(good.replace('<node id="b"/>', '<node id="b" labels=":X"/>'))).join("\n")).toMatch(/labels/);
    expect((await validateGraphml(good.replace('<node id="b"/>', '<node id="a"/>'))).join("\n")).toMatch(/nodeId|duplicate/i);
  });
});

describe.each(ENGINES)("graph export of a real store ($name)", (engine) => {
  // Neo4j's parser takes seconds per statement on a loaded machine: a generous bound, not a speed test.
  it.skipIf(!engine.available)("writes Cypher, GraphML and JSON with one node per CI, one edge per relationship, and no secret", { timeout: 600_000 }, async () => {
    const store = await engine.open();
    try {
      const { hostileId } = await populate(store);
      const p = await projectStore(store);
      const s = await stats(store.engine);
      expect(p.nodes.length).toBe(s.cis.total);
      expect(p.edges.length).toBe(s.relationships);

      // Cypher: parameter-free statements Neo4j's parser accepts; MERGE only, never CREATE of data.
      const script = text(p, "cypher");
      const statements = splitStatements(script);
      expect(statements.length).toBeGreaterThan(3);
      for (const st of statements) {
        expect(syntaxErrors(st), st.slice(0, 200)).toEqual([]);
        expect(allDiagnostics(st), st.slice(0, 200)).toEqual([]);
        expect(st.replace(/'(?:\\.|[^'\\])*'/g, "''")).not.toMatch(/\$/);
        if (/\bCREATE\b/.test(st.replace(/'(?:\\.|[^'\\])*'/g, "''"))) expect(st).toMatch(/^(\/\/[^\n]*\n)*CREATE CONSTRAINT [a-z_]+ IF NOT EXISTS/);
      }
      const merged = statements.filter((st) => /MERGE \(n:CI/.test(st)).reduce((n, st) => n + (st.match(/^ {2}\{id: /gm)?.length ?? 0), 0);
      expect(merged).toBe(p.nodes.length);
      const edges = statements.filter((st) => /MERGE \(a\)-\[r:/.test(st)).reduce((n, st) => n + (st.match(/^ {2}\{from: /gm)?.length ?? 0), 0);
      expect(edges).toBe(p.edges.length);
      // The hostile name survives as one literal of the script (escaped, not cut short).
      expect(script).toContain("'it\\'s a \"test\" \\\\ with\\nnewline, tab\\t, `tick`, </data> & ]]> */ // $param {x: 1}'");

      // GraphML: valid against the schema's structure, one <node> per CI, one <edge> per relationship.
      const xml = text(p, "graphml");
      expect(await validateGraphml(xml)).toEqual([]);
      expect(xml.match(/<node /g)?.length).toBe(p.nodes.length);
      expect(xml.match(/<edge /g)?.length).toBe(p.edges.length);
      const keyFor = new Map([...xml.matchAll(/<key id="([^"]+)" for="(\w+)"/g)].map((m) => [m[1]!, m[2]!]));
      for (const m of xml.matchAll(/<(node|edge) [^>]*>(.*?)<\/\1>/g)) {
        for (const d of m[2]!.matchAll(/<data key="([^"]+)">/g)) expect(keyFor.get(d[1]!)).toBe(m[1]);
      }
      expect(xml).toContain(`<node id="${graphmlId(hostileId)}">`);

      // JSON: the projection as it is.
      const doc = JSON.parse(text(p, "json"));
      expect(doc.format).toBe("gitops-cmdb-graph");
      expect(doc.nodes).toHaveLength(p.nodes.length);
      expect(doc.relationships).toHaveLength(p.edges.length);
      expect(doc.nodes.find((n: { id: string }) => n.id === hostileId).properties.name).toBe(HOSTILE);

      for (const out of [script, xml, JSON.stringify(doc)]) {
        expect(out).not.toContain("PLANTED");
        expect(out).not.toContain(PLANTED);
      }
    } finally {
      await store.close();
    }
  });
});

describe("export details", () => {
  it("types GraphML keys by every value they take: long, double, boolean, else string", async () => {
    const base = { id: "a", type: "server", name: "a", status: "active", environment: null, provider: null, region: null, zone: null, owner: null, tags: {}, keys: [], sources: [] };
    const p: Projection = {
      nodes: [
        projectCi({ ...base, id: "a", attributes: { cores: 2, load: 0.5, on: true, mixed: 1, note: "x" } }),
        projectCi({ ...base, id: "b", attributes: { cores: 4, load: 1, on: false, mixed: "one" } }),
      ],
      edges: [],
    };
    const xml = text(p, "graphml");
    expect(await validateGraphml(xml)).toEqual([]);
    const types = Object.fromEntries([...xml.matchAll(/attr\.name="([^"]+)" attr\.type="(\w+)"/g)].map((m) => [m[1], m[2]]));
    expect(types).toMatchObject({ cores: "long", load: "double", on: "boolean", mixed: "string", note: "string", keys: "string" });
  });

  it("spells ids and attribute names that are not XML name tokens so that the file stays valid", async () => {
    const base = { type: "server", name: "a", status: "active", environment: null, provider: null, region: null, zone: null, owner: null, keys: [], sources: [], attributes: {} };
    const p: Projection = {
      nodes: [projectCi({ ...base, id: "id with space/and slash", tags: { "Cost Center": "1", "Cost_Center": "2" } }), projectCi({ ...base, id: "b", tags: {} })],
      edges: [{ type: "RUNS_ON", from: "id with space/and slash", to: "b", props: { sources: ["x"] } }],
    };
    const xml = text(p, "graphml");
    expect(await validateGraphml(xml)).toEqual([]);
    expect(xml).toContain('attr.name="tags.Cost_Center"');
    expect(xml).toContain('attr.name="tags.Cost_Center_2"');
  });
});

describe("cmdb graph export", () => {
  it("writes the file named by -o and refuses an unknown format with exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmdb-graph-export-"));
    try {
      const db = join(dir, "store");
      const ingest = await runCli(["--db", db, "ingest", "terraform", join(TEST_FIXTURES, "cross-source/lab.tfstate"), "--workspace", "lab"]);
      expect(ingest.code, ingest.stderr).toBe(0);
      const out = join(dir, "lab.graphml");
      const r = await runCli(["--db", db, "graph", "export", "--format", "graphml", "-o", out, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      const xml = readFileSync(out, "utf8");
      expect(summary.bytes).toBe(Buffer.byteLength(xml));
      expect(xml.match(/<node /g)?.length).toBe(summary.nodes);
      expect(summary.nodes).toBeGreaterThan(3);
      expect(await validateGraphml(xml)).toEqual([]);
      const bad = await runCli(["--db", db, "graph", "export", "--format", "dot", "-o", out]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/dot/);
      const nowhere = await runCli(["--db", db, "graph", "export", "--format", "json", "-o", join(dir, "no/such/dir/x.json")]);
      expect(nowhere.code).toBe(1);
      expect(nowhere.stderr).toMatch(/^cmdb: \S*no\/such\/dir\/x\.json: cannot write: ENOENT \(/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
