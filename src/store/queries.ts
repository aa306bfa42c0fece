import { parseKey } from "../model/keys.js";
import type { IdentityOverride, StoredObservation } from "../reconcile/types.js";
import { CmdbError, UsageError } from "../util/errors.js";
import type { Sql } from "./engine.js";
import { type CiRow, ciFromRow, date, type ObservationRow, observationFromRow } from "./rows.js";

export interface CiSummary {
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
  keys: string[];
  sources: string[];
}

export interface CiFilter {
  type?: string;
  provider?: string;
  status?: string;
  environment?: string;
  /** `key` or `key=value` */
  tag?: string;
  source?: string;
}

/** A CI with its keys (of every observation, or `present` ones only) and the sources reporting it now. */
export const summarySql = (keysOf: "all" | "present") => `SELECT ci.*,
    COALESCE((SELECT array_agg(DISTINCT k ORDER BY k) FROM observation o, unnest(o.keys) k
               WHERE o.ci_id = ci.id${keysOf === "present" ? " AND o.status = 'present'" : ""}), '{}') AS all_keys,
    COALESCE((SELECT array_agg(DISTINCT o.source ORDER BY o.source) FROM observation o WHERE o.ci_id = ci.id AND o.status = 'present'), '{}') AS all_sources
  FROM ci`;
const SUMMARY = summarySql("all");

export type SummaryRow = CiRow & { all_keys: string[]; all_sources: string[] };

export function summary(row: SummaryRow): CiSummary {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    status: row.status,
    environment: row.environment,
    provider: row.provider,
    region: row.region,
    zone: row.zone,
    owner: row.owner,
    tags: row.tags ?? {},
    keys: row.all_keys,
    sources: row.all_sources,
  };
}

/**
 * Active machine CIs with their effective attributes and the keys their sources report now: what
 * a dynamic inventory hands to Ansible (a gone observation's old address must not become
 * ansible_host).
 */
export async function machineCis(sql: Sql, types: readonly string[]): Promise<(CiSummary & { attributes: Record<string, unknown> })[]> {
  const rows = await sql.query<SummaryRow>(`${summarySql("present")} WHERE ci.status = 'active' AND ci.type = ANY($1::text[]) ORDER BY ci.id`, [[...types]]);
  return rows.map((row) => ({ ...summary(row), attributes: row.attributes ?? {} }));
}

/**
 * SQL conditions (on `ci`) for a filter, their values appended to `params`: shared by the CI list and
 * the graph's subgraph queries so that `ci list` and `diagram` select the same CIs.
 */
export function ciFilterClauses(filter: CiFilter, params: unknown[]): string[] {
  const where: string[] = [];
  const add = (clause: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (filter.type) add((p) => `ci.type = ${p}`, filter.type);
  if (filter.provider) add((p) => `ci.provider = ${p}`, filter.provider);
  if (filter.status) add((p) => `ci.status = ${p}`, filter.status);
  if (filter.environment) add((p) => `ci.environment = ${p}`, filter.environment);
  if (filter.tag) {
    const eq = filter.tag.indexOf("=");
    if (eq < 0) add((p) => `ci.tags ? ${p}`, filter.tag);
    else add((p) => `ci.tags @> ${p}::jsonb`, JSON.stringify({ [filter.tag.slice(0, eq)]: filter.tag.slice(eq + 1) }));
  }
  if (filter.source) add((p) => `EXISTS (SELECT 1 FROM observation o WHERE o.ci_id = ci.id AND o.source = ${p} AND o.status = 'present')`, filter.source);
  return where;
}

export async function listCis(sql: Sql, filter: CiFilter = {}): Promise<CiSummary[]> {
  const params: unknown[] = [];
  const where = ciFilterClauses(filter, params);
  const rows = await sql.query<SummaryRow>(`${SUMMARY}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ci.type, ci.name, ci.id`, params);
  return rows.map(summary);
}

/** Finds CIs by id or by identity key (`scheme:value`, e.g. `terraform:module.db.aws_db_instance.main`). */
export async function findCis(sql: Sql, idOrKey: string): Promise<CiSummary[]> {
  const byId = await sql.query<SummaryRow>(`${SUMMARY} WHERE ci.id = $1`, [idOrKey]);
  if (byId.length > 0) return byId.map(summary);
  // A CI merged into another answers to its old id.
  const aliased = await sql.query<SummaryRow>(`${SUMMARY} WHERE ci.id = (SELECT a.ci_id FROM ci_alias a WHERE a.id = $1)`, [idOrKey]);
  if (aliased.length > 0) return aliased.map(summary);
  if (!parseKey(idOrKey)) return [];
  const rows = await sql.query<SummaryRow>(
    `${SUMMARY} WHERE ci.id IN (SELECT o.ci_id FROM observation o WHERE o.keys @> ARRAY[$1]::text[]) ORDER BY ci.status, ci.id`,
    [idOrKey],
  );
  return rows.map(summary);
}

/** Exactly one CI for an id or key, or a clear error (none, or several: then the key is ambiguous). */
export async function resolveCi(sql: Sql, idOrKey: string): Promise<CiSummary> {
  const found = await findCis(sql, idOrKey);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new CmdbError(`no CI has the id or key ${JSON.stringify(idOrKey)}`, {
      hint: "ids look like ci_…; keys like aws.instance:i-…, hostname:web1, terraform:aws_instance.web[0] (see `cmdb ci list --json`)",
    });
  }
  const active = found.filter((c) => c.status !== "retired");
  if (active.length === 1) return active[0]!;
  throw new UsageError(`the key ${JSON.stringify(idOrKey)} belongs to ${found.length} CIs: ${found.map((c) => `${c.id} (${c.name})`).join(", ")}`, {
    hint: "use one of the ids",
  });
}

export interface CiDetail extends CiSummary {
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  missingSince: string | null;
  retiredAt: string | null;
  observations: {
    source: string;
    scope: string;
    ref: string;
    status: string;
    type: string;
    keys: string[];
    fields: Record<string, unknown>;
    attributes: Record<string, unknown>;
    firstSeen: string;
    lastSeen: string;
  }[];
  relationships: { direction: "out" | "in"; type: string; ci: string; name: string; ciType: string; sources: string[] }[];
}

export async function ciDetail(sql: Sql, id: string): Promise<CiDetail> {
  const [summaryRow] = await sql.query<SummaryRow>(`${SUMMARY} WHERE ci.id = $1`, [id]);
  if (!summaryRow) throw new CmdbError(`no CI ${id}`);
  const ci = ciFromRow(summaryRow);
  const observations = (await sql.query<ObservationRow>("SELECT * FROM observation WHERE ci_id = $1 ORDER BY source, scope, ref", [id])).map(
    observationFromRow,
  );
  const rels = await sql.query<{ direction: "out" | "in"; type: string; ci: string; name: string; ci_type: string; sources: string[] }>(
    `SELECT 'out' AS direction, r.type, r.to_ci AS ci, c.name, c.type AS ci_type, array_agg(DISTINCT r.source ORDER BY r.source) AS sources
       FROM relationship r JOIN ci c ON c.id = r.to_ci WHERE r.from_ci = $1 AND r.status = 'present' GROUP BY r.type, r.to_ci, c.name, c.type
     UNION ALL
     SELECT 'in' AS direction, r.type, r.from_ci AS ci, c.name, c.type AS ci_type, array_agg(DISTINCT r.source ORDER BY r.source) AS sources
       FROM relationship r JOIN ci c ON c.id = r.from_ci WHERE r.to_ci = $1 AND r.status = 'present' GROUP BY r.type, r.from_ci, c.name, c.type
     ORDER BY direction DESC, type, name`,
    [id],
  );
  return {
    ...summary(summaryRow),
    attributes: ci.attributes,
    createdAt: ci.createdAt.toISOString(),
    updatedAt: ci.updatedAt.toISOString(),
    missingSince: ci.missingSince?.toISOString() ?? null,
    retiredAt: ci.retiredAt?.toISOString() ?? null,
    observations: observations.map((o: StoredObservation) => ({
      source: o.source,
      scope: o.scope,
      ref: o.ref,
      status: o.status,
      type: o.type,
      keys: o.keys,
      fields: o.fields as Record<string, unknown>,
      attributes: o.attributes,
      firstSeen: o.firstSeen.toISOString(),
      lastSeen: o.lastSeen.toISOString(),
    })),
    relationships: rels.map((r) => ({ direction: r.direction, type: r.type, ci: r.ci, name: r.name, ciType: r.ci_type, sources: r.sources })),
  };
}

export interface ChangeEntry {
  id: number;
  ci: string;
  ciName: string | null;
  source: string | null;
  field: string;
  old: unknown;
  new: unknown;
  run: string | null;
  at: string;
}

/** Changes since a time (ISO date or relative like 24h/7d) or since a run (exclusive). */
export async function changesSince(sql: Sql, since: { time?: Date; runId?: string }, ciId?: string): Promise<ChangeEntry[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (since.runId) {
    const [run] = await sql.query<{ started_at: Date | string }>("SELECT started_at FROM run WHERE id = $1", [since.runId]);
    if (!run) throw new CmdbError(`no run ${since.runId}`, { hint: "see `cmdb runs` for run ids" });
    params.push(since.runId, date(run.started_at).toISOString());
    where.push(`(ch.at > $2 OR (ch.at = $2 AND ch.run_id IS DISTINCT FROM $1))`);
  } else if (since.time) {
    params.push(since.time.toISOString());
    where.push(`ch.at >= $${params.length}`);
  }
  if (ciId) {
    params.push(ciId);
    where.push(`ch.ci_id = $${params.length}`);
  }
  const rows = await sql.query<{
    id: string | number;
    ci_id: string;
    name: string | null;
    source: string | null;
    field: string;
    old_value: unknown;
    new_value: unknown;
    run_id: string | null;
    at: Date | string;
  }>(
    `SELECT ch.*, ci.name FROM change ch LEFT JOIN ci ON ci.id = ch.ci_id ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ch.id`,
    params,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    ci: r.ci_id,
    ciName: r.name,
    source: r.source,
    field: r.field,
    old: r.old_value,
    new: r.new_value,
    run: r.run_id,
    at: date(r.at).toISOString(),
  }));
}

export interface RunEntry {
  id: string;
  source: string;
  scope: string;
  startedAt: string;
  endedAt: string | null;
  outcome: string;
  complete: boolean;
  counts: Record<string, number>;
  /** Why a failed or partial run fell short. */
  errors: string[];
  /** What a successful run noted on the way (edges to things not reported yet, keys matching several CIs). */
  warnings: string[];
}

export async function listRuns(sql: Sql, filter: { source?: string; scope?: string; limit?: number } = {}): Promise<RunEntry[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.source) {
    params.push(filter.source);
    where.push(`source = $${params.length}`);
  }
  if (filter.scope) {
    params.push(filter.scope);
    where.push(`scope = $${params.length}`);
  }
  params.push(filter.limit ?? 50);
  const rows = await sql.query<{
    id: string;
    source: string;
    scope: string;
    started_at: Date | string;
    ended_at: Date | string | null;
    outcome: string;
    complete: boolean;
    counts: Record<string, number>;
    errors: string[];
  }>(`SELECT * FROM run ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC, id DESC LIMIT $${params.length}`, params);
  return rows.map((r) => ({
    id: r.id,
    source: r.source,
    scope: r.scope,
    startedAt: date(r.started_at).toISOString(),
    endedAt: r.ended_at === null ? null : date(r.ended_at).toISOString(),
    outcome: r.outcome,
    complete: r.complete,
    counts: r.counts,
    // The run table keeps one list: why a failed (or partial) run fell short, or what a successful run noted on the way.
    errors: r.outcome === "success" ? [] : r.errors,
    warnings: r.outcome === "success" ? r.errors : [],
  }));
}

export interface Stats {
  cis: { total: number; byStatus: Record<string, number>; byType: Record<string, number> };
  relationships: number;
  changes: number;
  scopes: {
    source: string;
    scope: string;
    lastRun: string | null;
    lastOutcome: string | null;
    lastCompleteRun: string | null;
    lastCompleteAt: string | null;
    /** Seconds since the last complete run, at the time of the query. */
    ageSeconds: number | null;
    present: number;
    gone: number;
  }[];
}

export async function stats(sql: Sql, now = new Date()): Promise<Stats> {
  const byStatus: Record<string, number> = {};
  const byType: Record<string, number> = {};
  let total = 0;
  for (const r of await sql.query<{ status: string; type: string; n: string | number }>("SELECT status, type, count(*) AS n FROM ci GROUP BY status, type")) {
    const n = Number(r.n);
    total += n;
    byStatus[r.status] = (byStatus[r.status] ?? 0) + n;
    byType[r.type] = (byType[r.type] ?? 0) + n;
  }
  const [rel] = await sql.query<{ n: string | number }>("SELECT count(*) AS n FROM (SELECT DISTINCT type, from_ci, to_ci FROM relationship WHERE status = 'present') r");
  const [chg] = await sql.query<{ n: string | number }>("SELECT count(*) AS n FROM change");
  const scopes = await sql.query<{
    source: string;
    scope: string;
    last_run_id: string | null;
    outcome: string | null;
    last_complete_run_id: string | null;
    last_complete_at: Date | string | null;
    present: string | number;
    gone: string | number;
  }>(
    `SELECT s.source, s.scope, s.last_run_id, r.outcome, s.last_complete_run_id, s.last_complete_at,
            (SELECT count(*) FROM observation o WHERE o.source = s.source AND o.scope = s.scope AND o.status = 'present') AS present,
            (SELECT count(*) FROM observation o WHERE o.source = s.source AND o.scope = s.scope AND o.status = 'gone') AS gone
       FROM scope_state s LEFT JOIN run r ON r.id = s.last_run_id ORDER BY s.source, s.scope`,
  );
  return {
    cis: { total, byStatus, byType },
    relationships: Number(rel?.n ?? 0),
    changes: Number(chg?.n ?? 0),
    scopes: scopes.map((s) => ({
      source: s.source,
      scope: s.scope,
      lastRun: s.last_run_id,
      lastOutcome: s.outcome,
      lastCompleteRun: s.last_complete_run_id,
      lastCompleteAt: s.last_complete_at === null ? null : date(s.last_complete_at).toISOString(),
      ageSeconds: s.last_complete_at === null ? null : Math.max(0, Math.round((now.getTime() - date(s.last_complete_at).getTime()) / 1000)),
      present: Number(s.present),
      gone: Number(s.gone),
    })),
  };
}

export interface IdentityRecord {
  observations: StoredObservation[];
  sharedKeys: Map<string, string>;
  overrides: IdentityOverride[];
  /** Ids merged into this CI, which still resolve to it. */
  aliases: { id: string; keys: string[] }[];
  /** The merges and splits in its history. */
  events: ChangeEntry[];
}

/** What `cmdb ci why` explains: a CI's observations, the learned and corrected identity around them, and its merges and splits. */
export async function identityOf(sql: Sql, ciId: string): Promise<IdentityRecord> {
  const observations = (await sql.query<ObservationRow>("SELECT * FROM observation WHERE ci_id = $1 ORDER BY source, scope, ref", [ciId])).map(observationFromRow);
  const keys = [...new Set(observations.flatMap((o) => o.keys))];
  const shared = await sql.query<{ key: string; reason: string }>("SELECT key, reason FROM shared_key WHERE key = ANY($1::text[])", [keys]);
  const overrides = await sql.query<{ kind: "merge" | "split"; a_source: string; a_scope: string; a_ref: string; b_source: string; b_scope: string; b_ref: string }>(
    "SELECT kind, a_source, a_scope, a_ref, b_source, b_scope, b_ref FROM identity_override ORDER BY id",
  );
  const aliases = await sql.query<{ id: string; keys: string[] }>("SELECT id, keys FROM ci_alias WHERE ci_id = $1 ORDER BY id", [ciId]);
  const events = (await changesSince(sql, {}, ciId)).filter((c) => c.field === "merged" || c.field === "split");
  return {
    observations,
    sharedKeys: new Map(shared.map((r) => [r.key, r.reason])),
    overrides: overrides.map((r) => ({
      kind: r.kind,
      a: { source: r.a_source, scope: r.a_scope, ref: r.a_ref },
      b: { source: r.b_source, scope: r.b_scope, ref: r.b_ref },
    })),
    aliases: aliases.map((a) => ({ id: a.id, keys: a.keys ?? [] })),
    events,
  };
}

export interface SharedKeyEntry {
  key: string;
  reason: string;
  evidence: string[];
  since: string;
}

/** Key values learned to identify nothing, and every distinct key the store holds (for the built-in and configured refusals). */
export async function sharedKeyReport(sql: Sql): Promise<{ learned: SharedKeyEntry[]; keys: string[] }> {
  const learned = await sql.query<{ key: string; reason: string; evidence: string[]; at: Date | string }>("SELECT key, reason, evidence, at FROM shared_key ORDER BY key");
  const keys = await sql.query<{ k: string }>("SELECT DISTINCT k FROM observation, unnest(keys) AS k ORDER BY k");
  return {
    learned: learned.map((r) => ({ key: r.key, reason: r.reason, evidence: r.evidence ?? [], since: date(r.at).toISOString() })),
    keys: keys.map((r) => r.k),
  };
}
