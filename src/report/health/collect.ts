import { dependencyEdges, reach } from "../../graph/reach.js";
import { DEFAULT_STALE_AFTER_MS, staleReason } from "../../graph/marks.js";
import { MACHINE_TYPES } from "../../model/ci-types.js";
import { liveRecords } from "../../sources/registry.js";
import type { Sql } from "../../store/engine.js";
import { date } from "../../store/rows.js";
import { sortKeys } from "../../util/canonical.js";
import { byCodePoint } from "../../util/order.js";
import type { CiRef, Counts, HealthOptions, HealthReport, Share } from "./types.js";

const HOUR = 3_600_000;
/** Sources that look at the running thing rather than at what was declared. */
const DISCOVERY_SOURCES = liveRecords();
/** Attributes several sources report and should agree on. */
const COMPARED = ["memory_mb", "cpu_cores", "cpu_sockets", "hostname", "fqdn", "os_name", "os_version", "kernel", "architecture", "instance_type", "image", "swap_mb", "ip_addresses", "mac_addresses"];
const isProduction = (env: string | null) => env !== null && /^prod/i.test(env);
const ratio = (count: number, of: number): Share => ({ count, share: of === 0 ? 0 : Math.round((count / of) * 10_000) / 10_000 });
const num = (v: unknown) => Number(v ?? 0);
const iso = (v: Date | string | null) => (v === null ? null : date(v).toISOString());

async function counts(sql: Sql, query: string, params: unknown[] = []): Promise<Counts> {
  const out: Counts = {};
  for (const r of await sql.query<{ k: string | null; n: string | number }>(query, params)) out[r.k ?? "(none)"] = num(r.n);
  return sortKeys(out) as Counts;
}

/** Reads every figure of the health report from the store: counts in SQL, reach over the dependency edges in memory. */
export async function collectHealth(sql: Sql, options: HealthOptions = {}): Promise<HealthReport> {
  const now = options.now ?? new Date();
  const nowIso = now.toISOString();
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const freshWithinMs = options.freshWithinMs ?? 24 * HOUR;
  const recentMs = options.recentChangesMs ?? 7 * 24 * HOUR;
  const limit = options.listLimit ?? 20;
  const machineTypes = [...MACHINE_TYPES];

  const byStatus = await counts(sql, "SELECT status AS k, count(*) AS n FROM ci GROUP BY status");
  const live = "ci.status <> 'retired'";
  const inventory = {
    total: Object.values(byStatus).reduce((a, b) => a + b, 0),
    relationships: num((await sql.query<{ n: number }>("SELECT count(*) AS n FROM (SELECT DISTINCT type, from_ci, to_ci FROM relationship WHERE status = 'present') r"))[0]?.n),
    byType: await counts(sql, `SELECT type AS k, count(*) AS n FROM ci WHERE ${live} GROUP BY type`),
    byProvider: await counts(sql, `SELECT provider AS k, count(*) AS n FROM ci WHERE ${live} GROUP BY provider`),
    byEnvironment: await counts(sql, `SELECT environment AS k, count(*) AS n FROM ci WHERE ${live} GROUP BY environment`),
    byStatus,
    bySource: await counts(sql, "SELECT source AS k, count(DISTINCT ci_id) AS n FROM observation WHERE status = 'present' GROUP BY source"),
  };

  // Per-CI figures from one pass over observations, joined: correlated subqueries per CI do not scale to 100k CIs.
  const [cov] = await sql.query<Record<string, string | number>>(
    `WITH obs AS (
       SELECT ci_id,
              bool_or(status = 'present' AND source = 'terraform') AS terraform,
              bool_or(status = 'present' AND source = 'ansible') AS inventory,
              bool_or(status = 'present' AND source = ANY($2::text[])) AS discovery,
              max(last_seen) AS seen
         FROM observation GROUP BY ci_id
     ),
     auth AS (SELECT DISTINCT to_ci FROM relationship WHERE status = 'present' AND type = 'AUTHENTICATES_TO')
     SELECT count(*) AS machines,
            count(*) FILTER (WHERE obs.terraform) AS terraform,
            count(*) FILTER (WHERE obs.inventory) AS inventory,
            count(*) FILTER (WHERE ci.owner IS NOT NULL AND ci.owner <> '') AS owner,
            count(*) FILTER (WHERE ci.id = ANY($3::text[]) OR auth.to_ci IS NOT NULL) AS credentials,
            count(*) FILTER (WHERE obs.discovery) AS discovery,
            count(*) FILTER (WHERE obs.seen >= $4) AS fresh
       FROM ci LEFT JOIN obs ON obs.ci_id = ci.id LEFT JOIN auth ON auth.to_ci = ci.id
      WHERE ci.status = 'active' AND ci.type = ANY($1::text[])`,
    [machineTypes, DISCOVERY_SOURCES, (options.marks ?? []).filter((m) => m.kind === "credential").map((m) => m.ciId), new Date(now.getTime() - freshWithinMs).toISOString()],
  );
  const machines = num(cov?.machines);
  const discovery = ratio(num(cov?.discovery), machines);
  const fresh = ratio(num(cov?.fresh), machines);
  const coverage = {
    machines,
    terraform: ratio(num(cov?.terraform), machines),
    inventory: ratio(num(cov?.inventory), machines),
    owner: ratio(num(cov?.owner), machines),
    credentials: ratio(num(cov?.credentials), machines),
    discovery: { ...discovery, target: 0.8, met: machines > 0 && discovery.share > 0.8 },
    fresh: { ...fresh, met: machines > 0 && fresh.count === machines },
  };

  const seenCte = "WITH seen AS (SELECT ci_id, max(last_seen) AS s FROM observation GROUP BY ci_id)";
  const ages = await counts(
    sql,
    `${seenCte}
     SELECT CASE WHEN s IS NULL THEN 'never seen' WHEN s >= $1::timestamptz - interval '1 hour' THEN 'under 1 h'
                 WHEN s >= $1::timestamptz - interval '24 hours' THEN '1 h to 24 h' WHEN s >= $1::timestamptz - interval '7 days' THEN '1 d to 7 d'
                 ELSE 'over 7 d' END AS k, count(*) AS n
       FROM ci LEFT JOIN seen ON seen.ci_id = ci.id WHERE ci.status = 'active' GROUP BY 1`,
    [nowIso],
  );
  const staleWhere = `ci.status = 'missing' OR (ci.status = 'retired' AND ci.retired_at >= $2) OR (ci.status = 'active' AND (seen.s IS NULL OR seen.s < $1))`;
  const staleParams = [new Date(now.getTime() - staleAfterMs).toISOString(), new Date(now.getTime() - recentMs).toISOString()];
  const staleRows = await sql.query<{ id: string; name: string; type: string; status: string; last_seen: Date | string | null; total: string | number }>(
    `${seenCte}
     SELECT ci.id, ci.name, ci.type, ci.status, seen.s AS last_seen, count(*) OVER () AS total
       FROM ci LEFT JOIN seen ON seen.ci_id = ci.id WHERE ${staleWhere} ORDER BY seen.s NULLS FIRST, ci.id LIMIT ${limit * 5}`,
    staleParams,
  );
  const staleTotal = num(staleRows[0]?.total);
  const stale = staleRows
    .map((r) => ({ id: r.id, name: r.name, type: r.type, status: r.status, lastSeen: iso(r.last_seen) }))
    .map((r) => ({ ...r, reason: staleReason(r, now, staleAfterMs) ?? "stale" }))
    .sort((a, b) => byCodePoint(a.lastSeen ?? "", b.lastSeen ?? "") || byCodePoint(a.id, b.id))
    .slice(0, limit);

  const scopeRows = await sql.query<{ source: string; scope: string; outcome: string | null; started_at: Date | string | null; last_complete_at: Date | string | null }>(
    // A collection counts from when it started: its end depends on how long the ingest took.
    `SELECT s.source, s.scope, r.outcome, r.started_at, COALESCE(rc.started_at, s.last_complete_at) AS last_complete_at
       FROM scope_state s LEFT JOIN run r ON r.id = s.last_run_id LEFT JOIN run rc ON rc.id = s.last_complete_run_id`,
  );
  scopeRows.sort((a, b) => byCodePoint(a.source, b.source) || byCodePoint(a.scope, b.scope));
  const freshness = {
    ages,
    staleTotal,
    stale,
    scopes: scopeRows.map((s) => {
      const age = s.last_complete_at === null ? null : Math.max(0, now.getTime() - date(s.last_complete_at).getTime());
      return {
        source: s.source,
        scope: s.scope,
        lastOutcome: s.outcome,
        lastCompleteAt: iso(s.last_complete_at),
        ageHours: age === null ? null : Math.round((age / HOUR) * 10) / 10,
        fresh: age !== null && age <= freshWithinMs,
      };
    }),
  };

  // Only CIs that several present observations describe can disagree: most have one, and are skipped before any JSON is read.
  const conflictRows = await sql.query<{ ci_id: string; name: string; type: string; attribute: string; vals: { source: string; value: unknown }[] }>(
    `WITH multi AS (SELECT ci_id FROM observation WHERE status = 'present' GROUP BY ci_id HAVING count(*) > 1)
     SELECT o.ci_id, ci.name, ci.type, k.key AS attribute, jsonb_agg(jsonb_build_object('source', o.source, 'value', o.attributes -> k.key)) AS vals
       FROM multi JOIN observation o ON o.ci_id = multi.ci_id AND o.status = 'present'
       JOIN ci ON ci.id = o.ci_id AND ci.status <> 'retired'
       CROSS JOIN unnest($1::text[]) AS k(key)
      WHERE o.attributes ? k.key
      GROUP BY o.ci_id, ci.name, ci.type, k.key HAVING count(DISTINCT o.attributes -> k.key) > 1`,
    [COMPARED],
  );
  const conflicts = conflictRows
    .map((r) => ({
      id: r.ci_id,
      name: r.name,
      type: r.type,
      attribute: r.attribute,
      values: [...r.vals].sort((a, b) => byCodePoint(a.source, b.source) || byCodePoint(JSON.stringify(a.value), JSON.stringify(b.value))),
    }))
    .sort((a, b) => byCodePoint(a.name, b.name) || byCodePoint(a.id, b.id) || byCodePoint(a.attribute, b.attribute));

  const names = new Map<string, CiRef & { environment: string | null }>();
  for (const r of await sql.query<CiRef & { environment: string | null }>("SELECT id, name, type, environment FROM ci WHERE status <> 'retired'")) names.set(r.id, r);
  const edges = (await dependencyEdges(sql)).filter((e) => names.has(e.needer) && names.has(e.needed));
  const reached = reach(edges, (id) => isProduction(names.get(id)?.environment ?? null));
  const ref = (id: string): CiRef => {
    const n = names.get(id);
    return { id, name: n?.name ?? id, type: n?.type ?? "?" };
  };
  const dependedUpon = [...reached]
    .sort((a, b) => b.dependents - a.dependents || byCodePoint(a.id, b.id))
    .slice(0, limit)
    .map((r) => ({ ...ref(r.id), dependents: r.dependents }));
  const singlePointsOfFailure = reached
    .filter((r) => r.counted > 0)
    .sort((a, b) => b.counted - a.counted || b.dependents - a.dependents || byCodePoint(a.id, b.id))
    .slice(0, limit)
    .map((r) => ({ ...ref(r.id), productionDependents: r.counted, dependents: r.dependents }));

  const findings = findingsOf(options.marks ?? [], names, limit);

  const since = new Date(now.getTime() - recentMs).toISOString();
  const byField = await counts(sql, "SELECT CASE WHEN field LIKE 'attributes.%' THEN 'attributes' ELSE field END AS k, count(*) AS n FROM change WHERE at > $1 GROUP BY 1", [since]);
  const recent = await sql.query<{ at: Date | string; ci_id: string; name: string | null; source: string | null; field: string; old_value: unknown; new_value: unknown }>(
    `SELECT ch.at, ch.ci_id, ci.name, ch.source, ch.field, ch.old_value, ch.new_value FROM change ch LEFT JOIN ci ON ci.id = ch.ci_id
      WHERE ch.at > $1 AND ch.field NOT IN ('observed') ORDER BY ch.id DESC LIMIT ${limit}`,
    [since],
  );
  const changes = {
    total: Object.values(byField).reduce((a, b) => a + b, 0),
    byField,
    recent: recent.map((r) => ({ at: date(r.at).toISOString(), ci: r.ci_id, name: r.name, source: r.source, field: r.field, old: r.old_value, new: r.new_value })),
  };

  const failures = await sql.query<{ source: string; scope: string; started_at: Date | string; outcome: string; errors: string[] }>(
    `SELECT source, scope, started_at, outcome, errors FROM run WHERE started_at > $1 AND outcome <> 'success' ORDER BY started_at DESC, id DESC LIMIT ${limit}`,
    [since],
  );
  const runs = {
    scopes: scopeRows.map((s) => ({ source: s.source, scope: s.scope, lastRunAt: iso(s.started_at), lastOutcome: s.outcome, lastCompleteAt: iso(s.last_complete_at) })),
    failures: failures.map((f) => ({ source: f.source, scope: f.scope, startedAt: date(f.started_at).toISOString(), outcome: f.outcome, errors: f.errors })),
  };

  return {
    format: "gitops-cmdb-health",
    version: 1,
    at: nowIso,
    thresholds: { staleAfterHours: staleAfterMs / HOUR, freshWithinHours: freshWithinMs / HOUR, discoveryTarget: 0.8, recentChangesHours: recentMs / HOUR },
    inventory,
    coverage,
    freshness,
    conflictsTotal: conflicts.length,
    conflicts: conflicts.slice(0, limit),
    findings,
    dependedUpon,
    singlePointsOfFailure,
    changes,
    runs,
  };
}

const SEVERITY = ["critical", "high", "medium", "low", "info"];

function findingsOf(marks: readonly import("../../graph/marks.js").Mark[], names: Map<string, CiRef>, limit: number): HealthReport["findings"] {
  const kinds = new Map<string, typeof marks>();
  for (const m of marks) kinds.set(m.kind, [...(kinds.get(m.kind) ?? []), m]);
  return [...kinds.entries()]
    .sort((a, b) => byCodePoint(a[0], b[0]))
    .map(([kind, list]) => {
      const bySeverity: Counts = {};
      const byCategory: Counts = {};
      for (const m of list) bySeverity[m.severity ?? "info"] = (bySeverity[m.severity ?? "info"] ?? 0) + 1;
      for (const m of list) if (m.category) byCategory[m.category] = (byCategory[m.category] ?? 0) + 1;
      const items = list
        .map((m) => ({ id: m.ciId, name: names.get(m.ciId)?.name ?? m.ciId, type: names.get(m.ciId)?.type ?? "?", severity: m.severity ?? "info", title: m.title ?? kind }))
        .sort((a, b) => SEVERITY.indexOf(a.severity) - SEVERITY.indexOf(b.severity) || byCodePoint(a.name, b.name) || byCodePoint(a.title, b.title))
        .slice(0, limit);
      return { kind, total: list.length, bySeverity: sortKeys(bySeverity) as Counts, byCategory: sortKeys(byCategory) as Counts, items };
    });
}
