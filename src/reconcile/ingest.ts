import { createHash, randomBytes } from "node:crypto";
import type { ReconcileSettings } from "../config/schema.js";
import type { ObservationBatch } from "../model/observation.js";
import type { Sql } from "../store/engine.js";
import type { RunRecord, ScopeState, Store } from "../store/store.js";
import { SCHEMA_VERSION } from "../store/migrations.js";
import { describeError } from "../util/errors.js";
import { planBatch, repeatableId } from "./plan.js";
import { unresolvedWarning } from "./relationships.js";
import type { RunCounts } from "./types.js";

export interface IngestOptions {
  settings: ReconcileSettings;
  now?: Date;
  /**
   * Called inside the transaction, under the ingest lock, with what the store knows of the scope:
   * a source refuses here what must not land (an older Terraform serial). Throwing rolls back.
   */
  check?: (state: ScopeState | undefined, tx: Sql) => Promise<void> | void;
}

export interface IngestResult {
  runId: string;
  source: string;
  scope: string;
  outcome: RunRecord["outcome"];
  counts: RunCounts;
  warnings: string[];
  durationMs: number;
  /** Rows this ingest wrote, its run record and scope state included. */
  rowsWritten: number;
}

export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `run_${stamp}_${randomBytes(3).toString("hex")}`;
}

/**
 * Ingests one batch as one transaction: identification, reconciliation, staleness, history and
 * the run record land together, or nothing does. A failure is still recorded as a failed run.
 */
export async function ingestBatch(store: Store, batch: ObservationBatch, options: IngestOptions): Promise<IngestResult> {
  const started = options.now ?? new Date();
  const runId = newRunId(started);
  const clock = Date.now();
  try {
    const { result, written } = await store.engine.transaction(async (tx) => {
      await store.lockForIngest(tx);
      // Under the lock, "now" is when this ingest really starts: a waiting hook must not stamp
      // its values earlier than the ingest that ran before it.
      const now = options.now ?? new Date();
      const state = await store.scopeState(tx, batch.source, batch.scope);
      await options.check?.(state, tx);
      const digest = batch.complete ? batchDigest(batch, options.settings) : null;
      // The scope holds exactly what this batch would write: the run is recorded as seen, and only
      // what depends on time or on other scopes (pending edges, retirements) is looked at.
      const unchanged = digest !== null && state?.batchDigest === digest && Object.keys(options.settings.lifetime).length === 0;
      let counts: RunCounts;
      let warnings: string[];
      let written = 0;
      if (unchanged) {
        counts = unchangedCounts(batch);
        warnings = [...(batch.warnings ?? [])];
      } else {
        const slice = await store.loadSlice(tx, batch.source, batch.scope, batchKeys(batch));
        const takenIds = await store.existingIds(
          tx,
          batch.observations.map((o) => repeatableId({ source: batch.source, scope: batch.scope, ref: o.ref })),
        );
        const plan = planBatch(batch, slice, { runId, now, settings: options.settings, takenIds });
        await store.applyPlan(tx, plan, { source: batch.source, scope: batch.scope, complete: batch.complete, runId });
        ({ counts, warnings } = plan);
        written =
          plan.newCis.length +
          plan.updatedCis.length +
          plan.observations.length +
          plan.relationships.length +
          plan.changes.length +
          plan.pending.length +
          plan.sharedKeys.length;
      }
      const drawn = await store.resolvePending(tx, observedKeys(batch), runId, now);
      counts.relationshipsAdded += drawn;
      const retired = await store.retireExpired(tx, now, options.settings.gracePeriod, options.settings.protectTags, runId);
      counts.retired = retired.length;
      // Drawn pending edges and retirements write an edge or a CI and a change row each.
      written += 2 * (drawn + retired.length);
      if (unchanged) {
        // What the plan would have said of the edges still waiting for their target.
        const pending = await store.pendingOf(tx, batch.source, batch.scope);
        if (pending.length > 0) {
          counts.relationshipsUnresolved = pending.length;
          warnings.push(unresolvedWarning(pending.length, [...new Set(pending)]));
        }
      }
      const outcome: RunRecord["outcome"] = batch.complete ? "success" : "partial";
      const run: RunRecord = {
        id: runId,
        source: batch.source,
        scope: batch.scope,
        startedAt: now,
        endedAt: new Date(now.getTime() + (Date.now() - clock)),
        outcome,
        complete: batch.complete,
        counts: { ...counts },
        errors: warnings,
        meta: batch.meta ?? {},
      };
      await store.recordRun(tx, run);
      await store.updateScopeState(tx, run, batch.meta ?? {}, digest);
      return {
        written,
        result: { runId, source: batch.source, scope: batch.scope, outcome, counts, warnings, durationMs: Date.now() - clock, rowsWritten: written + 2 },
      };
    });
    await store.refreshStatistics(written);
    return result;
  } catch (error) {
    await recordFailure(store, batch.source, batch.scope, runId, started, error, batch.meta);
    throw error;
  }
}

/** Records a failed run (a source that could not be collected, an ingest that rolled back). */
export async function recordFailure(
  store: Store,
  source: string,
  scope: string,
  runId: string,
  started: Date,
  error: unknown,
  meta: Record<string, unknown> = {},
): Promise<void> {
  try {
    await store.engine.transaction(async (tx) => {
      const run: RunRecord = {
        id: runId,
        source,
        scope,
        startedAt: started,
        endedAt: new Date(),
        outcome: "failed",
        complete: false,
        counts: {},
        errors: [describeError(error)],
        meta,
      };
      await store.recordRun(tx, run);
      await store.updateScopeState(tx, run, {});
    });
  } catch {
    // The store itself is failing; the original error is what the user needs to see.
  }
}

/**
 * What a batch would write, with the settings that decide how: equal digests on a scope whose last
 * run was complete mean an identical reconciliation. The rows' order is the source's own, which is
 * deterministic for one input.
 */
export function batchDigest(batch: ObservationBatch, settings: ReconcileSettings): string {
  const hash = createHash("sha256");
  hash.update(`gitops-cmdb batch v${SCHEMA_VERSION}\u0000${JSON.stringify(settings)}\u0000${batch.source}\u0000${batch.scope}\u0000`);
  for (const o of batch.observations) hash.update(JSON.stringify(o)).update("\u0000");
  hash.update("\u0001");
  for (const r of batch.relationships) hash.update(JSON.stringify(r)).update("\u0000");
  return hash.digest("base64url");
}

function unchangedCounts(batch: ObservationBatch): RunCounts {
  const n = batch.observations.length;
  return { seen: n, new: 0, changed: 0, unchanged: n, gone: 0, missing: 0, retired: 0, relationshipsAdded: 0, relationshipsRemoved: 0, relationshipsUnresolved: 0 };
}

function observedKeys(batch: ObservationBatch): string[] {
  const keys = new Set<string>();
  for (const o of batch.observations) for (const k of o.keys) keys.add(`${k.scheme}:${k.value}`);
  return [...keys];
}

function batchKeys(batch: ObservationBatch): string[] {
  const keys = new Set(observedKeys(batch));
  for (const r of batch.relationships) if ("key" in r.to) keys.add(r.to.key);
  return [...keys];
}
