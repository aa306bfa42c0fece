import { z } from "zod";
import { isCiType } from "../model/ci-types.js";
import { isRelationshipType } from "../model/relationships.js";
import { newRunId } from "../reconcile/ingest.js";
import { canonicalJson } from "../util/canonical.js";
import { CmdbError } from "../util/errors.js";
import { redactByName } from "../util/redact.js";
import type { Sql } from "./engine.js";
import type { CiRow, ObservationRow, RelationshipRow } from "./rows.js";
import type { Store } from "./store.js";

export const SNAPSHOT_FORMAT = "gitops-cmdb-snapshot";

/**
 * The whole CMDB as canonical JSON: sorted keys and rows, no timestamps or run ids, so that an
 * unchanged infrastructure exports byte-identical text that diffs well in Git. History and runs
 * are not part of it: a snapshot is the state, not the audit trail.
 */
export async function exportSnapshot(sql: Sql): Promise<string> {
  const cis = await sql.query<CiRow>("SELECT * FROM ci ORDER BY id");
  const observations = await sql.query<ObservationRow>("SELECT * FROM observation ORDER BY ci_id, source, scope, ref");
  const relationships = await sql.query<RelationshipRow>("SELECT * FROM relationship ORDER BY from_ci, type, to_ci, source, scope");
  const pending = await sql.query<{ source: string; scope: string; type: string; from_ci: string; to_key: string }>(
    "SELECT * FROM pending_relationship ORDER BY from_ci, type, to_key, source, scope",
  );
  const byCi = new Map<string, ObservationRow[]>();
  for (const o of observations) {
    const list = byCi.get(o.ci_id) ?? [];
    list.push(o);
    byCi.set(o.ci_id, list);
  }
  const doc = {
    format: SNAPSHOT_FORMAT,
    version: 1,
    cis: cis.map((c) => ({
      id: c.id,
      type: c.type,
      name: c.name,
      status: c.status,
      environment: c.environment,
      provider: c.provider,
      region: c.region,
      zone: c.zone,
      owner: c.owner,
      tags: c.tags,
      attributes: c.attributes,
      observations: (byCi.get(c.id) ?? []).map((o) => ({
        source: o.source,
        scope: o.scope,
        ref: o.ref,
        type: o.type,
        status: o.status,
        keys: [...o.keys].sort(),
        strongKeys: [...o.strong_keys].sort(),
        fields: o.fields,
        attributes: o.attributes,
      })),
    })),
    relationships: relationships.map((r) => ({ type: r.type, from: r.from_ci, to: r.to_ci, source: r.source, scope: r.scope, status: r.status })),
    pending: pending.map((p) => ({ type: p.type, from: p.from_ci, toKey: p.to_key, source: p.source, scope: p.scope })),
  };
  return `${canonicalJson(doc, 2)}\n`;
}

const observationSchema = z.object({
  source: z.string().min(1),
  scope: z.string().min(1),
  ref: z.string().min(1),
  type: z.string().refine(isCiType, "not a CI type"),
  status: z.enum(["present", "gone"]),
  keys: z.array(z.string()),
  strongKeys: z.array(z.string()),
  fields: z.record(z.string(), z.unknown()),
  attributes: z.record(z.string(), z.unknown()),
});

const snapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(1),
  cis: z.array(
    z.object({
      id: z.string().min(1),
      type: z.string().refine(isCiType, "not a CI type"),
      name: z.string(),
      status: z.enum(["active", "missing", "retired"]),
      environment: z.string().nullable(),
      provider: z.string().nullable(),
      region: z.string().nullable(),
      zone: z.string().nullable(),
      owner: z.string().nullable(),
      tags: z.record(z.string(), z.string()),
      attributes: z.record(z.string(), z.unknown()),
      observations: z.array(observationSchema),
    }),
  ),
  relationships: z.array(
    z.object({
      type: z.string().refine(isRelationshipType, "not a relationship type"),
      from: z.string(),
      to: z.string(),
      source: z.string(),
      scope: z.string(),
      status: z.enum(["present", "gone"]),
    }),
  ),
  pending: z
    .array(
      z.object({
        type: z.string().refine(isRelationshipType, "not a relationship type"),
        from: z.string(),
        toKey: z.string().min(1),
        source: z.string(),
        scope: z.string(),
      }),
    )
    .default([]),
});

/** Loads a snapshot into an empty store (or, with `replace`, into one it first empties), as one transaction. */
export async function importSnapshot(store: Store, text: string, origin: string, options: { replace?: boolean; now?: Date } = {}): Promise<{ cis: number; relationships: number; runId: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CmdbError(`not JSON: ${(error as Error).message}`, { where: origin });
  }
  const parsed = snapshotSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CmdbError(`not a cmdb snapshot: ${issue.path.join(".") || "(top level)"}: ${issue.message}`, { where: origin });
  }
  const snap = parsed.data;
  const ids = new Set(snap.cis.map((c) => c.id));
  for (const p of snap.pending) {
    if (!ids.has(p.from)) throw new CmdbError(`a pending ${p.type} relationship names a CI the snapshot does not hold (${p.from})`, { where: origin });
  }
  for (const r of snap.relationships) {
    if (!ids.has(r.from) || !ids.has(r.to)) throw new CmdbError(`a ${r.type} relationship names a CI the snapshot does not hold (${ids.has(r.from) ? r.to : r.from})`, { where: origin });
  }
  const now = options.now ?? new Date();
  const runId = newRunId(now);
  const iso = now.toISOString();
  await store.engine.transaction(async (tx) => {
    await store.lockForIngest(tx);
    const [count] = await tx.query<{ n: string | number }>("SELECT count(*) AS n FROM ci");
    if (Number(count?.n ?? 0) > 0) {
      if (!options.replace) throw new CmdbError("the store is not empty", { where: origin, hint: "import into a new store, or pass --replace to empty this one first" });
      for (const table of ["change", "pending_relationship", "relationship_row", "observation_row", "ci", "scope_state", "run"]) await tx.query(`DELETE FROM ${table}`);
    }
    const rows = (list: unknown[]) => JSON.stringify(list);
    await tx.query(
      `INSERT INTO ci (id, type, name, status, environment, provider, region, zone, owner, tags, attributes, created_at, updated_at, missing_since, retired_at)
       SELECT id, type, name, status, environment, provider, region, zone, owner, tags, attributes, $2, $2,
              CASE WHEN status = 'missing' THEN $2::timestamptz END, CASE WHEN status = 'retired' THEN $2::timestamptz END
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, type text, name text, status text, environment text, provider text, region text,
              zone text, owner text, tags jsonb, attributes jsonb)`,
      [rows(snap.cis.map((c) => ({ ...c, attributes: redactByName(c.attributes), observations: undefined }))), iso],
    );
    await tx.query(
      `INSERT INTO observation_row (source, scope, ref, ci_id, type, keys, strong_keys, fields, attributes, status, first_seen, last_seen, gone_at, run_id)
       SELECT source, scope, ref, ci_id, type, ARRAY(SELECT jsonb_array_elements_text(keys)), ARRAY(SELECT jsonb_array_elements_text(strong_keys)),
              fields, attributes, status, $2, $2, CASE WHEN status = 'gone' THEN $2::timestamptz END, $3
         FROM jsonb_to_recordset($1::jsonb) AS x(source text, scope text, ref text, ci_id text, type text, keys jsonb, strong_keys jsonb,
              fields jsonb, attributes jsonb, status text)`,
      [
        rows(
          snap.cis.flatMap((c) =>
            c.observations.map((o) => ({ ...o, ci_id: c.id, strong_keys: o.strongKeys, attributes: redactByName(o.attributes) })),
          ),
        ),
        iso,
        runId,
      ],
    );
    await tx.query(
      `INSERT INTO relationship_row (source, scope, type, from_ci, to_ci, status, first_seen, last_seen, gone_at, run_id)
       SELECT source, scope, type, from_ci, to_ci, status, $2, $2, CASE WHEN status = 'gone' THEN $2::timestamptz END, $3
         FROM jsonb_to_recordset($1::jsonb) AS x(source text, scope text, type text, from_ci text, to_ci text, status text)`,
      [rows(snap.relationships.map((r) => ({ ...r, from_ci: r.from, to_ci: r.to }))), iso, runId],
    );
    await tx.query(
      `INSERT INTO pending_relationship (source, scope, type, from_ci, to_key, run_id)
       SELECT source, scope, type, from_ci, to_key, $2 FROM jsonb_to_recordset($1::jsonb) AS x(source text, scope text, type text, from_ci text, to_key text)`,
      [rows(snap.pending.map((p) => ({ source: p.source, scope: p.scope, type: p.type, from_ci: p.from, to_key: p.toKey }))), runId],
    );
    await store.recordRun(tx, {
      id: runId,
      source: "import",
      scope: origin,
      startedAt: now,
      endedAt: now,
      outcome: "success",
      complete: true,
      counts: { seen: snap.cis.length, new: snap.cis.length },
      errors: [],
      meta: {},
    });
  });
  await store.refreshStatistics(snap.cis.length + snap.relationships.length);
  return { cis: snap.cis.length, relationships: snap.relationships.length, runId };
}
