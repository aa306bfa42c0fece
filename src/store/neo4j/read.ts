import type { Sql } from "../engine.js";
import type { GraphCi, GraphRelationship } from "./project.js";

/**
 * What the projection is drawn from, read from the store (PGlite or PostgreSQL alike): every CI
 * (or the ones named) with the keys of its observations and the sources reporting it now, and every
 * present relationship with the sources that report it.
 */

interface CiGraphRow {
  id: string;
  type: string;
  name: string;
  status: string;
  environment: string | null;
  provider: string | null;
  region: string | null;
  zone: string | null;
  owner: string | null;
  tags: Record<string, string> | null;
  attributes: Record<string, unknown> | null;
  all_keys: string[] | null;
  all_sources: string[] | null;
}

const CI_SQL = `SELECT ci.id, ci.type, ci.name, ci.status, ci.environment, ci.provider, ci.region, ci.zone, ci.owner, ci.tags, ci.attributes,
    k.all_keys, s.all_sources
  FROM ci
  LEFT JOIN (SELECT o.ci_id, array_agg(DISTINCT k ORDER BY k) AS all_keys FROM observation o, unnest(o.keys) k GROUP BY o.ci_id) k ON k.ci_id = ci.id
  LEFT JOIN (SELECT ci_id, array_agg(DISTINCT source ORDER BY source) AS all_sources FROM observation WHERE status = 'present' GROUP BY ci_id) s ON s.ci_id = ci.id`;

const REL_SQL = `SELECT r.type, r.from_ci, r.to_ci, array_agg(DISTINCT r.source ORDER BY r.source) AS sources
  FROM relationship r WHERE r.status = 'present'`;

function ciOf(r: CiGraphRow): GraphCi {
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
    tags: r.tags ?? {},
    attributes: r.attributes ?? {},
    keys: r.all_keys ?? [],
    sources: r.all_sources ?? [],
  };
}

export async function readGraph(sql: Sql): Promise<{ cis: GraphCi[]; relationships: GraphRelationship[] }> {
  const cis = (await sql.query<CiGraphRow>(`${CI_SQL} ORDER BY ci.id`)).map(ciOf);
  const rels = await sql.query<{ type: string; from_ci: string; to_ci: string; sources: string[] }>(
    `${REL_SQL} GROUP BY r.type, r.from_ci, r.to_ci ORDER BY r.from_ci, r.type, r.to_ci`,
  );
  return { cis, relationships: rels.map((r) => ({ type: r.type, from: r.from_ci, to: r.to_ci, sources: r.sources })) };
}

/** The CIs named (those the store still has) and the present relationships leaving them. */
export async function readGraphOf(sql: Sql, ids: string[]): Promise<{ cis: GraphCi[]; relationships: GraphRelationship[] }> {
  const cis: GraphCi[] = [];
  const relationships: GraphRelationship[] = [];
  const CHUNK = 5000;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    cis.push(...(await sql.query<CiGraphRow>(`${CI_SQL} WHERE ci.id = ANY($1::text[]) ORDER BY ci.id`, [chunk])).map(ciOf));
    const rels = await sql.query<{ type: string; from_ci: string; to_ci: string; sources: string[] }>(
      `${REL_SQL} AND r.from_ci = ANY($1::text[]) GROUP BY r.type, r.from_ci, r.to_ci ORDER BY r.from_ci, r.type, r.to_ci`,
      [chunk],
    );
    relationships.push(...rels.map((r) => ({ type: r.type, from: r.from_ci, to: r.to_ci, sources: r.sources })));
  }
  return { cis, relationships };
}

/** The newest recorded change: the watermark a sync reaches. 0 for a store with no history. */
export async function lastChangeId(sql: Sql): Promise<number> {
  const [row] = await sql.query<{ n: string | number | null }>("SELECT max(id) AS n FROM change");
  return Number(row?.n ?? 0);
}

/** The CIs whose history moved after change `since` up to `until`: what an incremental sync sends. */
export async function changedCiIds(sql: Sql, since: number, until: number): Promise<string[]> {
  const rows = await sql.query<{ ci_id: string }>("SELECT DISTINCT ci_id FROM change WHERE id > $1 AND id <= $2 ORDER BY ci_id", [since, until]);
  return rows.map((r) => r.ci_id);
}
