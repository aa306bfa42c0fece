import type { IdentityOverride, Plan, Slice, StoredCi, StoredObservation } from "../reconcile/types.js";
import { CmdbError } from "../util/errors.js";
import { advisoryLock, INGEST_LOCK } from "./advisory.js";
import type { Engine, Sql } from "./engine.js";
import { migrate } from "./migrations.js";
import {
  type CiRow,
  ciFromRow,
  ciToRow,
  type ObservationRow,
  observationFromRow,
  observationToRow,
  type RelationshipRow,
  relationshipFromRow,
  relationshipToRow,
} from "./rows.js";

/** Rows per statement in bulk writes: large enough to be fast, small enough for any JSON limit. */
const CHUNK = 5000;
/** Rows written by one ingest or import beyond which the planner's statistics are refreshed. */
const ANALYZE_AFTER_ROWS = 5000;

export interface RunRecord {
  id: string;
  source: string;
  scope: string;
  startedAt: Date;
  endedAt: Date | null;
  outcome: "success" | "partial" | "failed";
  complete: boolean;
  counts: Record<string, number>;
  errors: string[];
  meta: Record<string, unknown>;
}

export interface ScopeState {
  source: string;
  scope: string;
  lastRunId: string | null;
  lastCompleteRunId: string | null;
  lastCompleteAt: Date | null;
  meta: Record<string, unknown>;
  /** The digest of the last complete batch and the settings it was reconciled with, while nothing since changed the scope. */
  batchDigest: string | null;
}

interface ScopeStateRow {
  source: string;
  scope: string;
  last_run_id: string | null;
  last_complete_run_id: string | null;
  last_complete_at: Date | string | null;
  meta: Record<string, unknown>;
  batch_digest: string | null;
}

function scopeStateFromRow(r: ScopeStateRow): ScopeState {
  return {
    source: r.source,
    scope: r.scope,
    lastRunId: r.last_run_id,
    lastCompleteRunId: r.last_complete_run_id,
    lastCompleteAt: r.last_complete_at === null ? null : new Date(r.last_complete_at),
    meta: r.meta ?? {},
    batchDigest: r.batch_digest ?? null,
  };
}

/** The store: one interface over PGlite and a PostgreSQL server. */
export class Store {
  constructor(readonly engine: Engine) {}

  /** Opens the store, bringing its schema up to date; with `existing`, a database without one is refused. */
  static async open(engine: Engine, options: { existing?: boolean } = {}): Promise<Store> {
    if (options.existing) {
      const [row] = await engine.query<{ t: string | null }>("SELECT to_regclass('cmdb_migration')::text AS t");
      if (!row?.t) {
        await engine.close();
        throw new CmdbError("holds no cmdb store", {
          where: engine.label,
          hint: "`cmdb demo` or `cmdb ingest …` creates one; or point --db (or $CMDB_DATABASE_URL) at an existing store",
        });
      }
    }
    await migrate(engine);
    return new Store(engine);
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  /**
   * Refreshes the planner's statistics after a bulk write: right after a large load PostgreSQL
   * plans with stale estimates until autovacuum analyzes the tables (PGlite never does), and a
   * report over 100k CIs then takes several times as long. Small writes skip it.
   */
  async refreshStatistics(rowsWritten: number): Promise<void> {
    if (rowsWritten < ANALYZE_AFTER_ROWS) return;
    try {
      await this.engine.exec("ANALYZE ci; ANALYZE observation; ANALYZE relationship; ANALYZE change");
    } catch {
      // What was written has landed; statistics are an optimisation autovacuum also makes.
    }
  }

  /** Every ingest takes this lock first: concurrent ingests run one after the other, never interleaved. */
  async lockForIngest(tx: Sql): Promise<void> {
    await advisoryLock(tx, this.engine, INGEST_LOCK, "ingest");
  }

  async scopeState(tx: Sql, source: string, scope: string): Promise<ScopeState | undefined> {
    const rows = await tx.query<ScopeStateRow>("SELECT * FROM scope_state WHERE source = $1 AND scope = $2", [source, scope]);
    return rows[0] && scopeStateFromRow(rows[0]);
  }

  async scopesOf(tx: Sql, source: string): Promise<ScopeState[]> {
    const rows = await tx.query<ScopeStateRow>("SELECT * FROM scope_state WHERE source = $1 ORDER BY scope", [source]);
    return rows.map(scopeStateFromRow);
  }

  /** Loads what a batch over `source`/`scope` carrying `keys` can touch. */
  async loadSlice(tx: Sql, source: string, scope: string, keys: string[], alsoCis: string[] = []): Promise<Slice> {
    const scopeRows = await tx.query<ObservationRow>("SELECT * FROM observation WHERE source = $1 AND scope = $2", [source, scope]);
    const scopeObservations = scopeRows.map(observationFromRow);
    const keyOwners = new Map<string, string[]>();
    const ciIds = new Set([...scopeObservations.map((o) => o.ciId), ...alsoCis]);
    // One statement: each key probes the GIN index (kept without a pending list, migration 5), so
    // the cost follows the batch's keys, not the store's size.
    if (keys.length > 0) {
      const rows = await tx.query<{ k: string; ci_id: string }>(
        `SELECT DISTINCT q.k, o.ci_id FROM unnest($1::text[]) AS q(k) JOIN observation o ON o.keys @> ARRAY[q.k]`,
        [keys],
      );
      for (const r of rows) {
        const owners = keyOwners.get(r.k) ?? [];
        owners.push(r.ci_id);
        keyOwners.set(r.k, owners);
        ciIds.add(r.ci_id);
      }
    }
    const cis = new Map<string, StoredCi>();
    const ciObservations = new Map<string, StoredObservation[]>();
    const idList = [...ciIds];
    for (let i = 0; i < idList.length; i += CHUNK) {
      const chunk = idList.slice(i, i + CHUNK);
      for (const row of await tx.query<CiRow>("SELECT * FROM ci WHERE id = ANY($1::text[])", [chunk])) cis.set(row.id, ciFromRow(row));
      // The scope's own rows were read above: each observation is read once.
      for (const row of await tx.query<ObservationRow>("SELECT * FROM observation WHERE ci_id = ANY($1::text[]) AND NOT (source = $2 AND scope = $3)", [chunk, source, scope])) {
        const o = observationFromRow(row);
        const list = ciObservations.get(o.ciId) ?? [];
        list.push(o);
        ciObservations.set(o.ciId, list);
      }
    }
    for (const o of scopeObservations) {
      const list = ciObservations.get(o.ciId);
      if (list) list.push(o);
      else ciObservations.set(o.ciId, [o]);
    }
    const relRows = await tx.query<RelationshipRow>("SELECT * FROM relationship WHERE source = $1 AND scope = $2", [source, scope]);
    const loadedKeys = new Set(keys);
    for (const list of [scopeObservations, ...ciObservations.values()]) for (const o of list) for (const k of o.keys) loadedKeys.add(k);
    const sharedKeys = await this.sharedKeys(tx, [...loadedKeys]);
    const overrides = await this.overrides(tx);
    return { scopeObservations, scopeRelationships: relRows.map(relationshipFromRow), keyOwners, cis, ciObservations, sharedKeys, overrides };
  }

  /** The keys this scope's edges wait for, one per pending edge, in a stable order. */
  async pendingOf(tx: Sql, source: string, scope: string): Promise<string[]> {
    const rows = await tx.query<{ to_key: string }>(
      "SELECT to_key FROM pending_relationship WHERE source = $1 AND scope = $2 ORDER BY to_key, type, from_ci",
      [source, scope],
    );
    return rows.map((r) => r.to_key);
  }

  /** Which of these ids the store has given: to a CI, or to one merged away (an alias). One set-based query. */
  async existingIds(tx: Sql, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await tx.query<{ id: string }>(
        "SELECT id FROM ci WHERE id = ANY($1::text[]) UNION SELECT id FROM ci_alias WHERE id = ANY($1::text[])",
        [ids.slice(i, i + CHUNK)],
      );
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  /** Which of these keys were learned to identify nothing, and why. */
  async sharedKeys(tx: Sql, keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const rows = await tx.query<{ key: string; reason: string }>("SELECT key, reason FROM shared_key WHERE key = ANY($1::text[])", [keys.slice(i, i + CHUNK)]);
      for (const r of rows) out.set(r.key, r.reason);
    }
    return out;
  }

  /** Every merge and split a person made: few, and each must hold on every later ingest. */
  async overrides(tx: Sql): Promise<IdentityOverride[]> {
    const rows = await tx.query<{ kind: "merge" | "split"; a_source: string; a_scope: string; a_ref: string; b_source: string; b_scope: string; b_ref: string }>(
      "SELECT kind, a_source, a_scope, a_ref, b_source, b_scope, b_ref FROM identity_override ORDER BY id",
    );
    return rows.map((r) => ({
      kind: r.kind,
      a: { source: r.a_source, scope: r.a_scope, ref: r.a_ref },
      b: { source: r.b_source, scope: r.b_scope, ref: r.b_ref },
    }));
  }

  async addOverrides(tx: Sql, overrides: IdentityOverride[], now: Date): Promise<void> {
    for (const o of overrides) {
      await tx.query(
        `INSERT INTO identity_override (kind, a_source, a_scope, a_ref, b_source, b_scope, b_ref, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT DO NOTHING`,
        [o.kind, o.a.source, o.a.scope, o.a.ref, o.b.source, o.b.scope, o.b.ref, now.toISOString()],
      );
      // A merge undoes an earlier split of the same pair, and a split an earlier merge.
      await tx.query(
        `DELETE FROM identity_override WHERE kind <> $1 AND ((a_source, a_scope, a_ref, b_source, b_scope, b_ref) IN (($2, $3, $4, $5, $6, $7), ($5, $6, $7, $2, $3, $4)))`,
        [o.kind, o.a.source, o.a.scope, o.a.ref, o.b.source, o.b.scope, o.b.ref],
      );
    }
  }

  async applyPlan(tx: Sql, plan: Plan, batch: { source: string; scope: string; complete: boolean; runId: string }): Promise<void> {
    await bulk(tx, plan.newCis.map(ciToRow), INSERT_CI);
    await bulk(tx, plan.updatedCis.map(ciToRow), UPDATE_CI);
    await bulk(tx, plan.observations.map(observationToRow), UPSERT_OBSERVATION);
    for (const m of plan.merges) await this.foldCi(tx, m.from, m.to, batch.runId, m.keys);
    await bulk(tx, plan.relationships.map(relationshipToRow), UPSERT_RELATIONSHIP);
    if (plan.sharedKeys.length > 0) {
      const at = plan.changes[0]?.at.toISOString() ?? new Date().toISOString();
      await bulk(
        tx,
        plan.sharedKeys.map((k) => ({ key: k.key, reason: k.reason, evidence: k.evidence, run_id: batch.runId, at })),
        INSERT_SHARED_KEY,
      );
    }
    // A complete batch states all its edges: what it no longer points at is no longer pending.
    if (batch.complete) await tx.query("DELETE FROM pending_relationship WHERE source = $1 AND scope = $2", [batch.source, batch.scope]);
    await bulk(
      tx,
      plan.pending.map((p) => ({ source: batch.source, scope: batch.scope, type: p.type, from_ci: p.fromCi, to_key: p.toKey, run_id: batch.runId })),
      UPSERT_PENDING,
    );
    await bulk(
      tx,
      plan.changes.map((c) => ({
        ci_id: c.ciId,
        source: c.source,
        field: c.field,
        old_value: c.oldValue,
        new_value: c.newValue,
        run_id: c.runId,
        at: c.at.toISOString(),
      })),
      INSERT_CHANGE,
    );
  }

  /**
   * Folds a merged CI into its survivor: its edges from every scope, pending edges, history and
   * aliases move over, the old id stays resolvable as an alias, and its row goes. Its observations
   * were moved by the plan.
   */
  private async foldCi(tx: Sql, from: string, to: string, runId: string, keys: string[]): Promise<void> {
    await tx.query(
      `INSERT INTO relationship_row (source, scope, type, from_ci, to_ci, status, first_seen, last_seen, gone_at, run_id)
       SELECT source, scope, type, CASE WHEN from_ci = $1 THEN $2 ELSE from_ci END, CASE WHEN to_ci = $1 THEN $2 ELSE to_ci END,
              status, first_seen, last_seen, gone_at, run_id
         FROM relationship WHERE (from_ci = $1 OR to_ci = $1) AND NOT (from_ci IN ($1, $2) AND to_ci IN ($1, $2))
       ON CONFLICT (source, scope, type, from_ci, to_ci) DO NOTHING`,
      [from, to],
    );
    await tx.query("DELETE FROM relationship_row WHERE from_ci = $1 OR to_ci = $1", [from]);
    await tx.query(
      `INSERT INTO pending_relationship (source, scope, type, from_ci, to_key, run_id)
       SELECT source, scope, type, $2, to_key, run_id FROM pending_relationship WHERE from_ci = $1
       ON CONFLICT (source, scope, type, from_ci, to_key) DO NOTHING`,
      [from, to],
    );
    await tx.query("DELETE FROM pending_relationship WHERE from_ci = $1", [from]);
    await tx.query("UPDATE change SET ci_id = $2 WHERE ci_id = $1", [from, to]);
    await tx.query("UPDATE finding SET ci_id = $2 WHERE ci_id = $1", [from, to]);
    await tx.query("UPDATE ci_alias SET ci_id = $2 WHERE ci_id = $1", [from, to]);
    await tx.query(
      `INSERT INTO ci_alias (id, ci_id, run_id, at, keys) VALUES ($1, $2, $3, now(), $4::jsonb)
       ON CONFLICT (id) DO UPDATE SET ci_id = EXCLUDED.ci_id, run_id = EXCLUDED.run_id, keys = EXCLUDED.keys`,
      [from, to, runId, JSON.stringify(keys)],
    );
    await tx.query("DELETE FROM ci WHERE id = $1", [from]);
  }

  /**
   * Draws the pending edges whose target key now belongs to exactly one CI: the VM Terraform said
   * runs on `proxmox.node:lab/pve1` gets its edge when Proxmox discovery reports that node, without
   * waiting for the next Terraform ingest. Only keys this run brought are looked at. Returns how
   * many edges were drawn.
   */
  async resolvePending(tx: Sql, keys: string[], runId: string, now: Date): Promise<number> {
    let drawn = 0;
    for (let i = 0; i < keys.length; i += CHUNK) {
      const rows = await tx.query<{ source: string; scope: string; type: string; from_ci: string; to_key: string; to_ci: string }>(
        `SELECT p.source, p.scope, p.type, p.from_ci, p.to_key, min(o.ci_id) AS to_ci
           FROM pending_relationship p JOIN observation o ON o.keys @> ARRAY[p.to_key]
          WHERE p.to_key = ANY($1::text[])
          GROUP BY p.source, p.scope, p.type, p.from_ci, p.to_key
         HAVING count(DISTINCT o.ci_id) = 1`,
        [keys.slice(i, i + CHUNK)],
      );
      const edges = rows.filter((r) => r.to_ci !== r.from_ci);
      if (rows.length === 0) continue;
      const iso = now.toISOString();
      await bulk(
        tx,
        edges.map((r) => ({ source: r.source, scope: r.scope, type: r.type, from_ci: r.from_ci, to_ci: r.to_ci, status: "present", first_seen: iso, last_seen: iso, gone_at: null, run_id: runId })),
        UPSERT_RELATIONSHIP,
      );
      await bulk(
        tx,
        edges.map((r) => ({ ci_id: r.from_ci, source: r.source, field: "relationship", old_value: null, new_value: { type: r.type, to: r.to_ci }, run_id: runId, at: iso })),
        INSERT_CHANGE,
      );
      await tx.query(
        `DELETE FROM pending_relationship p USING jsonb_to_recordset($1::jsonb) AS x(source text, scope text, type text, from_ci text, to_key text)
          WHERE p.source = x.source AND p.scope = x.scope AND p.type = x.type AND p.from_ci = x.from_ci AND p.to_key = x.to_key`,
        [JSON.stringify(rows.map((r) => ({ source: r.source, scope: r.scope, type: r.type, from_ci: r.from_ci, to_key: r.to_key })))],
      );
      drawn += edges.length;
    }
    return drawn;
  }

  /**
   * Retires CIs missing for longer than the grace period, unless they carry a protect tag: a sync
   * never retires those. Returns the ids retired.
   */
  async retireExpired(tx: Sql, now: Date, gracePeriodMs: number, protectTags: string[], runId: string): Promise<string[]> {
    const cutoff = new Date(now.getTime() - gracePeriodMs);
    const rows = await tx.query<{ id: string }>(
      `WITH retired AS (
         UPDATE ci SET status = 'retired', retired_at = $1, updated_at = $1
          WHERE status = 'missing' AND missing_since <= $2 AND NOT (tags ?| $3::text[])
          RETURNING id)
       INSERT INTO change (ci_id, source, field, old_value, new_value, run_id, at)
       SELECT id, NULL, 'status', '"missing"'::jsonb, '"retired"'::jsonb, $4, $1 FROM retired
       RETURNING ci_id AS id`,
      [now.toISOString(), cutoff.toISOString(), protectTags, runId],
    );
    return rows.map((r) => r.id);
  }

  async recordRun(tx: Sql, run: RunRecord): Promise<void> {
    await tx.query(
      `INSERT INTO run (id, source, scope, started_at, ended_at, outcome, complete, counts, errors, meta)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb)`,
      [
        run.id,
        run.source,
        run.scope,
        run.startedAt.toISOString(),
        run.endedAt?.toISOString() ?? null,
        run.outcome,
        run.complete,
        JSON.stringify(run.counts),
        JSON.stringify(run.errors),
        JSON.stringify(run.meta),
      ],
    );
  }

  /**
   * Records the run on its scope. `digest` is what the scope now holds for the unchanged-batch
   * check: a complete run's batch digest, null after a partial one (what it wrote is not what a
   * complete batch would), undefined to keep it (a failed run changed nothing).
   */
  async updateScopeState(tx: Sql, run: RunRecord, meta: Record<string, unknown>, digest?: string | null): Promise<void> {
    const complete = run.outcome === "success" && run.complete;
    await tx.query(
      `INSERT INTO scope_state (source, scope, last_run_id, last_complete_run_id, last_complete_at, meta, seen_at, seen_run_id, batch_digest)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $4, $8)
       ON CONFLICT (source, scope) DO UPDATE SET
         last_run_id = EXCLUDED.last_run_id,
         last_complete_run_id = COALESCE(EXCLUDED.last_complete_run_id, scope_state.last_complete_run_id),
         last_complete_at = COALESCE(EXCLUDED.last_complete_at, scope_state.last_complete_at),
         seen_at = COALESCE(EXCLUDED.seen_at, scope_state.seen_at),
         seen_run_id = COALESCE(EXCLUDED.seen_run_id, scope_state.seen_run_id),
         batch_digest = CASE WHEN $9 THEN scope_state.batch_digest ELSE EXCLUDED.batch_digest END,
         meta = scope_state.meta || EXCLUDED.meta`,
      [
        run.source,
        run.scope,
        run.id,
        complete ? run.id : null,
        complete ? (run.endedAt ?? run.startedAt).toISOString() : null,
        JSON.stringify(meta),
        // What a complete run reports present was seen when it started (its rows carry that time).
        complete ? run.startedAt.toISOString() : null,
        digest ?? null,
        digest === undefined,
      ],
    );
  }
}

async function bulk(tx: Sql, rows: Record<string, unknown>[], statement: string): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await tx.query(statement, [JSON.stringify(rows.slice(i, i + CHUNK))]);
  }
}

const CI_RECORD = `x(id text, type text, name text, status text, environment text, provider text, region text, zone text,
  owner text, tags jsonb, attributes jsonb, created_at timestamptz, updated_at timestamptz, missing_since timestamptz, retired_at timestamptz)`;

const INSERT_CI = `INSERT INTO ci (id, type, name, status, environment, provider, region, zone, owner, tags, attributes, created_at, updated_at, missing_since, retired_at)
  SELECT id, type, name, status, environment, provider, region, zone, owner, tags, attributes, created_at, updated_at, missing_since, retired_at
    FROM jsonb_to_recordset($1::jsonb) AS ${CI_RECORD}`;

const UPDATE_CI = `UPDATE ci SET type = x.type, name = x.name, status = x.status, environment = x.environment, provider = x.provider,
  region = x.region, zone = x.zone, owner = x.owner, tags = x.tags, attributes = x.attributes, updated_at = x.updated_at,
  missing_since = x.missing_since, retired_at = x.retired_at
  FROM jsonb_to_recordset($1::jsonb) AS ${CI_RECORD} WHERE ci.id = x.id`;

const UPSERT_OBSERVATION = `INSERT INTO observation_row (source, scope, ref, ci_id, type, keys, strong_keys, fields, attributes, status, first_seen, last_seen, gone_at, run_id)
  SELECT source, scope, ref, ci_id, type, ARRAY(SELECT jsonb_array_elements_text(keys)), ARRAY(SELECT jsonb_array_elements_text(strong_keys)),
         fields, attributes, status, first_seen, last_seen, gone_at, run_id
    FROM jsonb_to_recordset($1::jsonb) AS x(source text, scope text, ref text, ci_id text, type text, keys jsonb, strong_keys jsonb,
         fields jsonb, attributes jsonb, status text, first_seen timestamptz, last_seen timestamptz, gone_at timestamptz, run_id text)
  ON CONFLICT (source, scope, ref) DO UPDATE SET ci_id = EXCLUDED.ci_id, type = EXCLUDED.type, keys = EXCLUDED.keys,
    strong_keys = EXCLUDED.strong_keys, fields = EXCLUDED.fields, attributes = EXCLUDED.attributes, status = EXCLUDED.status,
    first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, gone_at = EXCLUDED.gone_at, run_id = EXCLUDED.run_id`;

const UPSERT_RELATIONSHIP = `INSERT INTO relationship_row (source, scope, type, from_ci, to_ci, status, first_seen, last_seen, gone_at, run_id)
  SELECT source, scope, type, from_ci, to_ci, status, first_seen, last_seen, gone_at, run_id
    FROM jsonb_to_recordset($1::jsonb) AS x(source text, scope text, type text, from_ci text, to_ci text, status text,
         first_seen timestamptz, last_seen timestamptz, gone_at timestamptz, run_id text)
  ON CONFLICT (source, scope, type, from_ci, to_ci) DO UPDATE SET status = EXCLUDED.status, first_seen = EXCLUDED.first_seen,
    last_seen = EXCLUDED.last_seen, gone_at = EXCLUDED.gone_at, run_id = EXCLUDED.run_id`;

const UPSERT_PENDING = `INSERT INTO pending_relationship (source, scope, type, from_ci, to_key, run_id)
  SELECT source, scope, type, from_ci, to_key, run_id
    FROM jsonb_to_recordset($1::jsonb) AS x(source text, scope text, type text, from_ci text, to_key text, run_id text)
  ON CONFLICT (source, scope, type, from_ci, to_key) DO UPDATE SET run_id = EXCLUDED.run_id`;

const INSERT_SHARED_KEY = `INSERT INTO shared_key (key, reason, evidence, run_id, at)
  SELECT key, reason, evidence, run_id, at FROM jsonb_to_recordset($1::jsonb) AS x(key text, reason text, evidence jsonb, run_id text, at timestamptz)
  ON CONFLICT (key) DO NOTHING`;

const INSERT_CHANGE = `INSERT INTO change (ci_id, source, field, old_value, new_value, run_id, at)
  SELECT ci_id, source, field, old_value, new_value, run_id, at
    FROM jsonb_to_recordset($1::jsonb) AS x(ci_id text, source text, field text, old_value jsonb, new_value jsonb, run_id text, at timestamptz)`;

