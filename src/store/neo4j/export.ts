import { CI_LABEL, isInteger, type PropertyValue, type Projection, TYPE_LABELS } from "./project.js";

/**
 * The projection as a file, no server needed: a Cypher script for cypher-shell, GraphML for
 * Gephi, yEd and APOC, or JSON. Each writer yields text in pieces so that a projection of 100k CIs
 * streams to disk instead of being joined into one string.
 */

export type ExportFormat = "cypher" | "graphml" | "json";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["cypher", "graphml", "json"];

/** Rows per UNWIND statement in the Cypher script. */
const SCRIPT_ROWS = 500;

export function* exportProjection(projection: Projection, format: ExportFormat): Generator<string> {
  if (format === "cypher") yield* cypherScript(projection);
  else if (format === "graphml") yield* graphml(projection);
  else yield* jsonDocument(projection);
}

// --- Cypher ---------------------------------------------------------------------------------

/** A Cypher string literal: every character that could end or bend it escaped. */
export function cypherString(s: string): string {
  let out = "'";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === "'") out += "\\'";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}'`;
}

/** A property key or identifier, backticked when it is not a plain name. */
export function cypherName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replace(/`/g, "``")}\``;
}

export function cypherNumber(n: number): string {
  if (isInteger(n)) return String(n);
  const text = String(n).replace("e+", "e");
  return /[.e]/.test(text) ? text : `${text}.0`;
}

export function cypherValue(v: PropertyValue): string {
  if (typeof v === "string") return cypherString(v);
  if (typeof v === "number") return cypherNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  return `[${(v as (string | number | boolean)[]).map((x) => cypherValue(x)).join(", ")}]`;
}

export function cypherMap(props: Record<string, PropertyValue>): string {
  return `{${Object.entries(props)
    .map(([k, v]) => `${cypherName(k)}: ${cypherValue(v)}`)
    .join(", ")}}`;
}

function* cypherScript(p: Projection): Generator<string> {
  yield `// gitops-cmdb graph projection: ${p.nodes.length} CIs, ${p.edges.length} relationships.\n`;
  yield "// Idempotent: MERGE on the CI id, so it loads into an empty or a populated database alike.\n";
  yield "// Load with: cypher-shell -f FILE\n";
  yield `CREATE CONSTRAINT cmdb_ci_id IF NOT EXISTS FOR (n:${CI_LABEL}) REQUIRE n.id IS UNIQUE;\n`;
  const labels = Object.values(TYPE_LABELS);
  const byLabel = new Map<string, Projection["nodes"]>();
  for (const n of p.nodes) {
    const list = byLabel.get(n.label);
    if (list) list.push(n);
    else byLabel.set(n.label, [n]);
  }
  for (const [label, nodes] of [...byLabel].sort(([a], [b]) => a.localeCompare(b))) {
    const others = labels.filter((l) => l !== label).join(":");
    for (let i = 0; i < nodes.length; i += SCRIPT_ROWS) {
      const rows = nodes.slice(i, i + SCRIPT_ROWS).map((n) => `  {id: ${cypherString(n.id)}, props: ${cypherMap(n.props)}}`);
      yield `UNWIND [\n${rows.join(",\n")}\n] AS row\nMERGE (n:${CI_LABEL} {id: row.id})\nSET n = row.props, n:${label}\nREMOVE n:${others};\n`;
    }
  }
  const byType = new Map<string, Projection["edges"]>();
  for (const e of p.edges) {
    const list = byType.get(e.type);
    if (list) list.push(e);
    else byType.set(e.type, [e]);
  }
  for (const [type, edges] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
    for (let i = 0; i < edges.length; i += SCRIPT_ROWS) {
      const rows = edges
        .slice(i, i + SCRIPT_ROWS)
        .map((e) => `  {from: ${cypherString(e.from)}, to: ${cypherString(e.to)}, props: ${cypherMap(e.props)}}`);
      yield `UNWIND [\n${rows.join(",\n")}\n] AS row\nMATCH (a:${CI_LABEL} {id: row.from})\nMATCH (b:${CI_LABEL} {id: row.to})\nMERGE (a)-[r:${type}]->(b)\nSET r = row.props;\n`;
    }
  }
}

// --- GraphML --------------------------------------------------------------------------------

const GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns";

export function xmlEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "&") out += "&amp;";
    else if (ch === "<") out += "&lt;";
    else if (ch === ">") out += "&gt;";
    else if (ch === '"') out += "&quot;";
    // XML 1.0 cannot carry most control characters at all, not even as references.
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else if (c === 0x0a || c === 0x0d || c === 0x09) out += `&#x${c.toString(16)};`;
    else out += ch;
  }
  return out;
}

/**
 * GraphML ids are XML name tokens. CI ids (`ci_…`) are; one that is not (an id a snapshot brought)
 * is spelled in hex, and the node's `id` property keeps the real one.
 */
export function graphmlId(id: string): string {
  return /^[\p{L}\p{N}._:-]+$/u.test(id) ? id : `ci-x${Buffer.from(id, "utf8").toString("hex")}`;
}

/**
 * GraphML names attributes with XML name tokens: a property name with other characters (a tag
 * key with a space) has them replaced by `_`, and a name that would then collide gets a number.
 */
function attrNames(names: Iterable<string>, taken: string[]): Map<string, string> {
  const used = new Set(taken);
  const out = new Map<string, string>();
  for (const name of names) {
    const base = name.replace(/[^\p{L}\p{N}._:-]/gu, "_") || "_";
    let candidate = base;
    for (let i = 2; used.has(candidate); i++) candidate = `${base}_${i}`;
    used.add(candidate);
    out.set(name, candidate);
  }
  return out;
}

type GraphmlType = "boolean" | "long" | "double" | "string";

/** One key per property name and element kind, typed by every value it takes (mixed kinds are strings). */
function graphmlKeys(values: Iterable<Record<string, PropertyValue>>): Map<string, GraphmlType> {
  const keys = new Map<string, GraphmlType>();
  for (const props of values) {
    for (const [name, v] of Object.entries(props)) {
      const t: GraphmlType =
        typeof v === "boolean" ? "boolean" : typeof v === "number" ? (isInteger(v) ? "long" : "double") : "string";
      const before = keys.get(name);
      if (before === undefined) keys.set(name, t);
      else if (before !== t) keys.set(name, (before === "long" && t === "double") || (before === "double" && t === "long") ? "double" : "string");
    }
  }
  return new Map([...keys].sort(([a], [b]) => a.localeCompare(b)));
}

function graphmlValue(v: PropertyValue, type: GraphmlType): string {
  if (Array.isArray(v)) return JSON.stringify(v);
  if (type === "string") return String(v);
  if (typeof v === "number") return type === "long" ? String(v) : cypherNumber(v);
  return String(v);
}

function* graphml(p: Projection): Generator<string> {
  const nodeKeys = graphmlKeys(p.nodes.map((n) => n.props));
  const edgeKeys = graphmlKeys(p.edges.map((e) => e.props));
  const nodeId = new Map<string, string>();
  const edgeId = new Map<string, string>();
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield `<graphml xmlns="${GRAPHML_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="${GRAPHML_NS} ${GRAPHML_NS}/1.0/graphml.xsd">\n`;
  // `labels` and `label` as APOC's GraphML export and import spell them; yEd and Gephi show attr.name.
  yield '  <key id="labels" for="node" attr.name="labels" attr.type="string"/>\n';
  let k = 0;
  const nodeNames = attrNames(nodeKeys.keys(), ["labels"]);
  for (const [name, type] of nodeKeys) {
    const id = `n${k++}`;
    nodeId.set(name, id);
    yield `  <key id="${id}" for="node" attr.name="${xmlEscape(nodeNames.get(name)!)}" attr.type="${type}"/>\n`;
  }
  yield '  <key id="label" for="edge" attr.name="label" attr.type="string"/>\n';
  k = 0;
  const edgeNames = attrNames(edgeKeys.keys(), ["label"]);
  for (const [name, type] of edgeKeys) {
    const id = `e${k++}`;
    edgeId.set(name, id);
    yield `  <key id="${id}" for="edge" attr.name="${xmlEscape(edgeNames.get(name)!)}" attr.type="${type}"/>\n`;
  }
  yield '  <graph id="cmdb" edgedefault="directed">\n';
  for (const n of p.nodes) {
    let out = `    <node id="${graphmlId(n.id)}"><data key="labels">:${CI_LABEL}:${n.label}</data>`;
    for (const [name, v] of Object.entries(n.props)) out += `<data key="${nodeId.get(name)}">${xmlEscape(graphmlValue(v, nodeKeys.get(name)!))}</data>`;
    yield `${out}</node>\n`;
  }
  let i = 0;
  for (const e of p.edges) {
    let out = `    <edge id="r${i++}" source="${graphmlId(e.from)}" target="${graphmlId(e.to)}"><data key="label">${e.type}</data>`;
    for (const [name, v] of Object.entries(e.props)) out += `<data key="${edgeId.get(name)}">${xmlEscape(graphmlValue(v, edgeKeys.get(name)!))}</data>`;
    yield `${out}</edge>\n`;
  }
  yield "  </graph>\n</graphml>\n";
}

// --- JSON -----------------------------------------------------------------------------------

export const GRAPH_JSON_FORMAT = "gitops-cmdb-graph";

function* jsonDocument(p: Projection): Generator<string> {
  yield `{"format":"${GRAPH_JSON_FORMAT}","version":1,"nodes":[`;
  let first = true;
  for (const n of p.nodes) {
    yield `${first ? "" : ","}\n${JSON.stringify({ id: n.id, labels: [CI_LABEL, n.label], properties: n.props })}`;
    first = false;
  }
  yield "\n],\"relationships\":[";
  first = true;
  for (const e of p.edges) {
    yield `${first ? "" : ","}\n${JSON.stringify({ type: e.type, from: e.from, to: e.to, properties: e.props })}`;
    first = false;
  }
  yield "\n]}\n";
}
