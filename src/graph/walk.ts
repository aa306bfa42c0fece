import { RELATIONSHIP_TYPES, type RelationshipType } from "../model/relationships.js";
import type { StoredCi } from "../reconcile/types.js";
import type { Sql } from "../store/engine.js";
import { type CiRow, ciFromRow } from "../store/rows.js";

export interface GraphNode {
  id: string;
  type: string;
  name: string;
  status: string;
  depth: number;
  /** The edge that reached this node from its parent in the walk. */
  via: { from: string; type: string } | null;
}

export type WalkDirection = "deps" | "impact";

const typesWhere = (dependency: "forward" | "reverse"): RelationshipType[] =>
  Object.entries(RELATIONSHIP_TYPES)
    .filter(([, v]) => v.dependency === dependency)
    .map(([k]) => k as RelationshipType);

/** Relationship types whose source depends on their target, and those read the other way round. */
export const FORWARD_TYPES = typesWhere("forward");
export const REVERSE_TYPES = typesWhere("reverse");

/**
 * A CTE `dep(needer, needed, type)`: every present dependency edge normalised to "needer -> needed".
 * Its two parameters (forward and reverse types) are `$f` and `$r`.
 */
export const dependencyCte = (f: string, r: string) => `dep(needer, needed, type) AS (
         SELECT DISTINCT from_ci, to_ci, type FROM relationship WHERE status = 'present' AND type = ANY(${f}::text[])
         UNION
         SELECT DISTINCT to_ci, from_ci, type FROM relationship WHERE status = 'present' AND type = ANY(${r}::text[])
       )`;

/**
 * Walks dependencies (what `id` needs, `direction: "deps"`) or impact (what needs `id`,
 * `direction: "impact"`) up to `depth` hops, along edges whose type implies a dependency; cycles stop
 * the walk. One recursive query on either engine.
 */
export async function walk(sql: Sql, id: string, direction: WalkDirection, depth: number): Promise<GraphNode[]> {
  const rows = await sql.query<{ id: string; depth: number; parent: string | null; edge: string | null; path: string[] }>(
    `WITH RECURSIVE ${dependencyCte("$3", "$4")},
       edge(a, b, type) AS (
         SELECT ${direction === "deps" ? "needer, needed" : "needed, needer"}, type FROM dep
       ),
       w(id, depth, parent, edge, path) AS (
         SELECT $1::text, 0, NULL::text, NULL::text, ARRAY[$1::text]
         UNION ALL
         SELECT e.b, w.depth + 1, w.id, e.type, w.path || e.b
           FROM w JOIN edge e ON e.a = w.id
          WHERE w.depth < $2 AND NOT (e.b = ANY(w.path))
       )
     SELECT DISTINCT ON (id) id, depth, parent, edge, path FROM w ORDER BY id, depth, parent, edge`,
    [id, depth, FORWARD_TYPES, REVERSE_TYPES],
  );
  const cis = new Map<string, StoredCi>();
  const ids = rows.map((r) => r.id);
  for (const row of await sql.query<CiRow>("SELECT * FROM ci WHERE id = ANY($1::text[])", [ids])) cis.set(row.id, ciFromRow(row));
  return rows
    .map((r) => {
      const ci = cis.get(r.id)!;
      return {
        id: r.id,
        type: ci.type,
        name: ci.name,
        status: ci.status,
        depth: Number(r.depth),
        via: r.parent ? { from: r.parent, type: r.edge! } : null,
      };
    })
    .sort((a, b) => a.depth - b.depth || a.type.localeCompare(b.type) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}
