import { CI_TYPES, type CiType } from "../../model/ci-types.js";
import { RELATIONSHIP_TYPES, type RelationshipType } from "../../model/relationships.js";
import { redactByName } from "../../util/redact.js";

/**
 * The projection: what PostgreSQL holds, as Neo4j can hold it. Pure: CIs and relationships in,
 * nodes and edges out, with every property a Neo4j property value (a primitive or a homogeneous
 * list of primitives). Sync and the three exports all draw from this one shape.
 */

/** A Neo4j property value. Integers and floats are told apart (Neo4j stores INTEGER and FLOAT). */
export type PropertyValue = string | boolean | number | string[] | boolean[] | number[];

export interface ProjectedNode {
  id: string;
  type: CiType;
  /** The type label beside `CI`: `virtual_machine` → `VirtualMachine`. */
  label: string;
  props: Record<string, PropertyValue>;
}

export interface ProjectedEdge {
  type: RelationshipType;
  from: string;
  to: string;
  props: Record<string, PropertyValue>;
}

export interface Projection {
  nodes: ProjectedNode[];
  edges: ProjectedEdge[];
}

/** What the store hands over for one CI: its effective values, keys, and the sources reporting it. */
export interface GraphCi {
  id: string;
  type: string;
  name: string;
  status: string;
  environment: string | null;
  provider: string | null;
  region: string | null;
  zone: string | null;
  owner: string | null;
  tags: Record<string, string>;
  attributes: Record<string, unknown>;
  keys: string[];
  sources: string[];
}

/** One present relationship, with every source that reports it (one edge per type, from and to). */
export interface GraphRelationship {
  type: string;
  from: string;
  to: string;
  sources: string[];
}

export const CI_LABEL = "CI";

/** The label of each CI type, from the registry: the only words that ever become labels. */
export const TYPE_LABELS: Readonly<Record<CiType, string>> = Object.fromEntries(
  Object.keys(CI_TYPES).map((t) => [t, t.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")]),
) as Record<CiType, string>;

export const EDGE_TYPES = Object.keys(RELATIONSHIP_TYPES) as RelationshipType[];

/** Properties the projection itself sets on a node; an attribute of the same name goes under `attributes.`. */
const CORE = new Set(["id", "type", "name", "status", "environment", "provider", "region", "zone", "owner", "keys", "sources"]);

/** Properties a sync stamps; never taken from the data. */
export const SYNC_PROPERTY = "cmdb_sync";

export function projectCi(ci: GraphCi): ProjectedNode {
  const type = (Object.hasOwn(TYPE_LABELS, ci.type) ? ci.type : "generic") as CiType;
  const props: Record<string, PropertyValue> = { id: ci.id, type, name: ci.name, status: ci.status };
  for (const field of ["environment", "provider", "region", "zone", "owner"] as const) {
    const v = ci[field];
    if (v !== null && v !== "") props[field] = v;
  }
  props.keys = [...ci.keys].sort();
  props.sources = [...ci.sources].sort();
  for (const [k, v] of Object.entries(ci.tags).sort(([a], [b]) => cmp(a, b))) props[`tags.${k}`] = String(v);
  // The store redacts on the way in; the projection does it again so that no export depends on that alone.
  const attributes = redactByName(ci.attributes);
  for (const [k, v] of Object.entries(attributes).sort(([a], [b]) => cmp(a, b))) {
    const name = CORE.has(k) || k.startsWith("tags.") || k === SYNC_PROPERTY || k.startsWith("attributes.") ? `attributes.${k}` : k;
    flatten(name, v, props);
  }
  return { id: ci.id, type, label: TYPE_LABELS[type], props };
}

export function projectRelationship(r: GraphRelationship): ProjectedEdge | undefined {
  if (!Object.hasOwn(RELATIONSHIP_TYPES, r.type)) return undefined;
  return { type: r.type as RelationshipType, from: r.from, to: r.to, props: { sources: [...r.sources].sort() } };
}

/** Every CI as a node, every relationship whose ends are both projected as an edge, in a stable order. */
export function project(cis: GraphCi[], relationships: GraphRelationship[]): Projection {
  const nodes = cis.map(projectCi).sort((a, b) => cmp(a.id, b.id));
  const ids = new Set(nodes.map((n) => n.id));
  const edges: ProjectedEdge[] = [];
  for (const r of relationships) {
    const e = projectRelationship(r);
    if (e && ids.has(e.from) && ids.has(e.to)) edges.push(e);
  }
  edges.sort((a, b) => cmp(a.from, b.from) || cmp(a.type, b.type) || cmp(a.to, b.to));
  return { nodes, edges };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Neo4j stores primitives and homogeneous lists of them. Nested objects become dotted names
 * (`os.family`); lists of objects or of mixed kinds, which Neo4j cannot hold, become JSON text;
 * null and undefined are left out (Neo4j has no null property).
 */
export function flatten(name: string, value: unknown, out: Record<string, PropertyValue>): void {
  if (value === null || value === undefined) return;
  if (typeof value === "string" || typeof value === "boolean") {
    out[name] = value;
  } else if (typeof value === "number") {
    if (Number.isFinite(value)) out[name] = value;
    else out[name] = String(value);
  } else if (typeof value === "bigint") {
    out[name] = Number(value);
  } else if (Array.isArray(value)) {
    const kinds = new Set(value.map((v) => (v === null ? "null" : typeof v)));
    if (value.length === 0) out[name] = [] as string[];
    else if (kinds.size === 1 && (kinds.has("string") || kinds.has("boolean") || (kinds.has("number") && value.every(Number.isFinite)))) {
      out[name] = [...value] as PropertyValue;
    } else out[name] = JSON.stringify(value);
  } else if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return;
    for (const [k, v] of entries) flatten(`${name}.${k}`, v, out);
  } else {
    out[name] = String(value);
  }
}

/** Whether a number is stored as a Neo4j INTEGER (else FLOAT). */
export const isInteger = (n: number): boolean => Number.isSafeInteger(n);
