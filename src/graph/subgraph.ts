import { RELATIONSHIP_TYPES } from "../model/relationships.js";
import type { Sql } from "../store/engine.js";
import { ciFilterClauses } from "../store/queries.js";
import { date } from "../store/rows.js";
import { byCodePoint } from "../util/order.js";
import type { Graph, GraphCi, GraphEdge, GraphScope } from "./types.js";
import { dependencyCte, FORWARD_TYPES, REVERSE_TYPES } from "./walk.js";

const BOOKKEEPING = Object.entries(RELATIONSHIP_TYPES)
  .filter(([type, v]) => v.dependency === "none" && type !== "AUTHENTICATES_TO")
  .map(([type]) => type);

interface NodeRow {
  id: string;
  type: string;
  name: string;
  status: string;
  environment: string | null;
  provider: string | null;
  region: string | null;
  zone: string | null;
  owner: string | null;
  keys: string[];
  sources: string[];
  hints: GraphCi["hints"] | null;
  last_seen: Date | string | null;
  created_at: Date | string;
}

/** The columns of a GraphCi, selected from `ci` (the alias the caller's FROM must use). */
export const GRAPH_CI_COLUMNS = `ci.id, ci.type, ci.name, ci.status, ci.environment, ci.provider, ci.region, ci.zone, ci.owner, ci.created_at,
    COALESCE((SELECT array_agg(DISTINCT k ORDER BY k) FROM observation o, unnest(o.keys) k WHERE o.ci_id = ci.id AND o.status = 'present'), '{}') AS keys,
    COALESCE((SELECT array_agg(DISTINCT o.source ORDER BY o.source) FROM observation o WHERE o.ci_id = ci.id AND o.status = 'present'), '{}') AS sources,
    (SELECT max(o.last_seen) FROM observation o WHERE o.ci_id = ci.id) AS last_seen,
    jsonb_strip_nulls(jsonb_build_object('node', ci.attributes->>'node', 'groups', ci.attributes->'groups',
      'arn', ci.attributes#>>'{values,arn}', 'account', COALESCE(ci.attributes->>'account_id', ci.attributes#>>'{values,owner_id}'))) AS hints`;

export function graphCiFromRow(r: NodeRow): GraphCi {
  const hints: GraphCi["hints"] = {};
  if (typeof r.hints?.node === "string") hints.node = r.hints.node;
  if (Array.isArray(r.hints?.groups)) hints.groups = r.hints.groups.filter((g): g is string => typeof g === "string").sort(byCodePoint);
  if (typeof r.hints?.arn === "string") hints.arn = r.hints.arn;
  if (typeof r.hints?.account === "string") hints.account = r.hints.account;
  return {
    id: r.id,
    type: r.type,
    name: r.name,
    status: r.status,
    environment: r.environment,
    provider: r.provider,
    region: r.region,
    zone: r.zone,
    owner: r.owner,
    keys: [...r.keys].sort(byCodePoint),
    sources: [...r.sources].sort(byCodePoint),
    hints,
    lastSeen: r.last_seen === null ? null : date(r.last_seen).toISOString(),
    createdAt: date(r.created_at).toISOString(),
  };
}

/** CIs by id, in the shape of the graph (for CIs a scope left out but a change names). */
export async function graphCis(sql: Sql, ids: string[]): Promise<GraphCi[]> {
  const rows = await sql.query<NodeRow>(`SELECT ${GRAPH_CI_COLUMNS} FROM ci WHERE ci.id = ANY($1::text[]) ORDER BY ci.id`, [ids]);
  return rows.map(graphCiFromRow).sort((a, b) => byCodePoint(a.id, b.id));
}

/**
 * The part of the CMDB a diagram draws: CIs chosen by filters and, with a root, by a recursive walk
 * of dependencies or impact; and every relationship between two of them. Sorted by id, so the same
 * CMDB gives the same graph on either engine.
 */
export async function subgraph(sql: Sql, scope: GraphScope = {}): Promise<Graph> {
  const filter = scope.filter ?? {};
  const params: unknown[] = [];
  const where = ciFilterClauses(filter, params);
  if (!filter.status && !scope.all) where.push("ci.status <> 'retired'");
  if (!filter.type && !scope.all) where.push("ci.type <> 'terraform_workspace'");
  let walkCte = "";
  if (scope.root) {
    params.push(scope.root.id, scope.root.depth, FORWARD_TYPES, REVERSE_TYPES);
    const [id, depth, f, r] = [params.length - 3, params.length - 2, params.length - 1, params.length].map((n) => `$${n}`);
    const [a, b] = scope.root.direction === "deps" ? ["needer", "needed"] : ["needed", "needer"];
    walkCte = `WITH RECURSIVE ${dependencyCte(f!, r!)},
       w(id, depth, path) AS (
         SELECT ${id}::text, 0, ARRAY[${id}::text]
         UNION ALL
         SELECT d.${b}, w.depth + 1, w.path || d.${b} FROM w JOIN dep d ON d.${a} = w.id
          WHERE w.depth < ${depth} AND NOT (d.${b} = ANY(w.path))
       ) `;
    // The root is drawn whatever the filters say: it is what the diagram is about.
    const filtered = where.length > 0 ? `(${where.join(" AND ")})` : "true";
    where.length = 0;
    where.push(`ci.id IN (SELECT id FROM w)`, `(ci.id = ${id} OR ${filtered})`);
  }
  const rows = await sql.query<NodeRow>(
    `${walkCte}SELECT ${GRAPH_CI_COLUMNS} FROM ci${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ci.id`,
    params,
  );
  const nodes = rows.map(graphCiFromRow).sort((a, b) => byCodePoint(a.id, b.id));
  return { nodes, edges: await edgesBetween(sql, nodes.map((n) => n.id), scope.all ?? false) };
}

/** Present relationships whose two ends are both among `ids`, one merged edge per ordered pair. */
export async function edgesBetween(sql: Sql, ids: string[], all: boolean): Promise<GraphEdge[]> {
  const rows = await sql.query<{ from_ci: string; to_ci: string; types: string[] }>(
    `SELECT r.from_ci, r.to_ci, array_agg(DISTINCT r.type ORDER BY r.type) AS types
       FROM relationship r
      WHERE r.status = 'present' AND r.from_ci = ANY($1::text[]) AND r.to_ci = ANY($1::text[]) AND r.from_ci <> r.to_ci
        AND NOT (r.type = ANY($2::text[]))
      GROUP BY r.from_ci, r.to_ci ORDER BY r.from_ci, r.to_ci`,
    [ids, all ? [] : BOOKKEEPING],
  );
  // Sorted here, not by the database: a server's collation may order text differently from PGlite's.
  return rows
    .map((r) => ({ from: r.from_ci, to: r.to_ci, types: [...r.types].sort(byCodePoint) }))
    .sort((a, b) => byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to));
}
