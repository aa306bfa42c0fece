import type { StoredCi, StoredObservation } from "../reconcile/types.js";
import type { Sql } from "./engine.js";
import { type CiRow, ciFromRow, date, maybeDate, type ObservationRow, observationFromRow } from "./rows.js";

const CHUNK = 5000;

/** A CI with every key of every observation of it, and the observations. */
export interface DriftCi {
  ci: StoredCi;
  keys: string[];
  observations: StoredObservation[];
}

export interface DriftScope {
  source: string;
  scope: string;
  /** The scope's last run was complete and successful. */
  lastRunComplete: boolean;
  lastCompleteAt: Date | null;
}

/** A finding as the store keeps it across runs; `finding` is the finding itself, as JSON. */
export interface FindingRecord<F = unknown> {
  fingerprint: string;
  kind: string;
  severity: string;
  ciId: string;
  key: string;
  attribute: string | null;
  status: "open" | "resolved";
  /** A person said "not planned" on its GitHub issue: still tracked, no longer raised there. */
  acknowledged: boolean;
  firstSeen: Date;
  lastSeen: Date;
  resolvedAt: Date | null;
  reopenedAt: Date | null;
  /** How often it came back after being resolved. */
  flaps: number;
  finding: F;
}

/**
 * Every CI that is not retired, with all its observations, and every scope's state: what drift
 * reads. Each set comes as one JSON text: on PGlite that is several times faster than decoding tens
 * of thousands of rows column by column.
 */
export async function driftInput(sql: Sql): Promise<{ cis: DriftCi[]; scopes: DriftScope[] }> {
  const asJson = async <T>(query: string): Promise<T[]> => {
    const [row] = await sql.query<{ j: string | null }>(query);
    return row?.j ? (JSON.parse(row.j) as T[]) : [];
  };
  const ciRows = await asJson<CiRow>("SELECT json_agg(c ORDER BY c.id)::text AS j FROM ci c WHERE c.status <> 'retired'");
  const obsRows = await asJson<ObservationRow>(
    "SELECT json_agg(o ORDER BY o.ci_id, o.source, o.scope, o.ref)::text AS j FROM observation o JOIN ci ON ci.id = o.ci_id WHERE ci.status <> 'retired'",
  );
  const byCi = new Map<string, StoredObservation[]>();
  for (const row of obsRows) {
    const o = observationFromRow(row);
    const list = byCi.get(o.ciId);
    if (list) list.push(o);
    else byCi.set(o.ciId, [o]);
  }
  const cis = ciRows.map((row) => {
    const observations = byCi.get(row.id) ?? [];
    const keys = [...new Set(observations.flatMap((o) => o.keys))].sort();
    return { ci: ciFromRow(row), keys, observations };
  });
  const scopeRows = await sql.query<{ source: string; scope: string; last_run_id: string | null; last_complete_run_id: string | null; last_complete_at: Date | string | null }>(
    "SELECT source, scope, last_run_id, last_complete_run_id, last_complete_at FROM scope_state ORDER BY source, scope",
  );
  const scopes = scopeRows.map((r) => ({
    source: r.source,
    scope: r.scope,
    lastRunComplete: r.last_run_id !== null && r.last_run_id === r.last_complete_run_id,
    lastCompleteAt: maybeDate(r.last_complete_at),
  }));
  return { cis, scopes };
}

interface FindingRow {
  fingerprint: string;
  kind: string;
  severity: string;
  ci_id: string;
  ci_key: string;
  attribute: string | null;
  status: string;
  acknowledged: boolean;
  first_seen: Date | string;
  last_seen: Date | string;
  resolved_at: Date | string | null;
  reopened_at: Date | string | null;
  flaps: number | string;
  data: unknown;
}

function recordFromRow<F>(r: FindingRow): FindingRecord<F> {
  return {
    fingerprint: r.fingerprint,
    kind: r.kind,
    severity: r.severity,
    ciId: r.ci_id,
    key: r.ci_key,
    attribute: r.attribute,
    status: r.status as FindingRecord["status"],
    acknowledged: r.acknowledged,
    firstSeen: date(r.first_seen),
    lastSeen: date(r.last_seen),
    resolvedAt: maybeDate(r.resolved_at),
    reopenedAt: maybeDate(r.reopened_at),
    flaps: Number(r.flaps),
    finding: r.data as F,
  };
}

/** The open findings, and the earlier records of these fingerprints (to see a resolved one come back). */
export async function findingRecords<F>(sql: Sql, fingerprints: readonly string[]): Promise<FindingRecord<F>[]> {
  const out = new Map<string, FindingRecord<F>>();
  for (const row of await sql.query<FindingRow>("SELECT * FROM finding WHERE status = 'open'")) out.set(row.fingerprint, recordFromRow<F>(row));
  for (let i = 0; i < fingerprints.length; i += CHUNK) {
    const rows = await sql.query<FindingRow>("SELECT * FROM finding WHERE fingerprint = ANY($1::text[])", [fingerprints.slice(i, i + CHUNK)]);
    for (const row of rows) out.set(row.fingerprint, recordFromRow<F>(row));
  }
  return [...out.values()];
}

export async function listFindingRecords<F>(sql: Sql, status?: "open" | "resolved"): Promise<FindingRecord<F>[]> {
  const rows = status
    ? await sql.query<FindingRow>("SELECT * FROM finding WHERE status = $1 ORDER BY first_seen, fingerprint", [status])
    : await sql.query<FindingRow>("SELECT * FROM finding ORDER BY first_seen, fingerprint");
  return rows.map((r) => recordFromRow<F>(r));
}

export async function saveFindingRecords(tx: Sql, records: readonly FindingRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += CHUNK) {
    const rows = records.slice(i, i + CHUNK).map((r) => ({
      fingerprint: r.fingerprint,
      kind: r.kind,
      severity: r.severity,
      ci_id: r.ciId,
      ci_key: r.key,
      attribute: r.attribute,
      status: r.status,
      acknowledged: r.acknowledged,
      first_seen: r.firstSeen.toISOString(),
      last_seen: r.lastSeen.toISOString(),
      resolved_at: r.resolvedAt?.toISOString() ?? null,
      reopened_at: r.reopenedAt?.toISOString() ?? null,
      flaps: r.flaps,
      data: r.finding,
    }));
    await tx.query(
      `INSERT INTO finding (fingerprint, kind, severity, ci_id, ci_key, attribute, status, acknowledged, first_seen, last_seen, resolved_at, reopened_at, flaps, data)
       SELECT fingerprint, kind, severity, ci_id, ci_key, attribute, status, acknowledged, first_seen, last_seen, resolved_at, reopened_at, flaps, data
         FROM jsonb_to_recordset($1::jsonb) AS x(fingerprint text, kind text, severity text, ci_id text, ci_key text, attribute text, status text,
              acknowledged boolean, first_seen timestamptz, last_seen timestamptz, resolved_at timestamptz, reopened_at timestamptz, flaps integer, data jsonb)
       ON CONFLICT (fingerprint) DO UPDATE SET kind = EXCLUDED.kind, severity = EXCLUDED.severity, ci_id = EXCLUDED.ci_id, ci_key = EXCLUDED.ci_key,
         attribute = EXCLUDED.attribute, status = EXCLUDED.status, acknowledged = EXCLUDED.acknowledged, first_seen = EXCLUDED.first_seen,
         last_seen = EXCLUDED.last_seen, resolved_at = EXCLUDED.resolved_at, reopened_at = EXCLUDED.reopened_at, flaps = EXCLUDED.flaps, data = EXCLUDED.data`,
      [JSON.stringify(rows)],
    );
  }
}

/** A person closed the issue of these findings as "not planned". */
export async function acknowledgeFindings(tx: Sql, fingerprints: readonly string[]): Promise<void> {
  if (fingerprints.length === 0) return;
  await tx.query("UPDATE finding SET acknowledged = true WHERE fingerprint = ANY($1::text[]) AND NOT acknowledged", [[...fingerprints]]);
}

/** Content-creating GitHub requests made for `repo` since `since`: the secondary limits count them across runs. */
export async function githubWritesSince(sql: Sql, repo: string, since: Date): Promise<Date[]> {
  const rows = await sql.query<{ at: Date | string }>("SELECT at FROM github_write WHERE repo = $1 AND at >= $2 ORDER BY at", [repo, since.toISOString()]);
  return rows.map((r) => date(r.at));
}

export async function recordGithubWrites(tx: Sql, repo: string, times: readonly Date[], now: Date): Promise<void> {
  await tx.query("DELETE FROM github_write WHERE repo = $1 AND at < $2", [repo, new Date(now.getTime() - 3_600_000).toISOString()]);
  if (times.length === 0) return;
  await tx.query("INSERT INTO github_write (repo, at) SELECT $1, t FROM unnest($2::timestamptz[]) AS t", [repo, times.map((t) => t.toISOString())]);
}
