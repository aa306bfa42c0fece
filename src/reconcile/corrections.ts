import type { ReconcileSettings } from "../config/schema.js";
import type { Sql } from "../store/engine.js";
import type { Store } from "../store/store.js";
import type { RunRecord } from "../store/store.js";
import { CmdbError, UsageError } from "../util/errors.js";
import { newRunId } from "./ingest.js";
import { planBatch } from "./plan.js";
import type { IdentityOverride, ObservationRef, RunCounts, StoredObservation } from "./types.js";
import { observationFromRow, type ObservationRow } from "../store/rows.js";

/**
 * A person's corrections to identification: `cmdb ci merge A B` and `cmdb ci split ID --observation
 * SOURCE:SCOPE:REF`. Each is stored as a link between observations that every later ingest obeys,
 * and applied at once by re-identifying the CIs involved, in one transaction under the ingest lock.
 */
export interface CorrectionResult {
  runId: string;
  counts: RunCounts;
  warnings: string[];
  /** Where each observation named in the correction lives now. */
  placed: { observation: string; ci: string }[];
}

const SOURCE = "cmdb";
const SCOPE = "identity";
const label = (o: ObservationRef) => `${o.source}:${o.scope}:${o.ref}`;

async function observationsOf(sql: Sql, ciId: string): Promise<StoredObservation[]> {
  const rows = await sql.query<ObservationRow>("SELECT * FROM observation WHERE ci_id = $1 ORDER BY source, scope, ref", [ciId]);
  return rows.map(observationFromRow);
}

async function resolveId(store: Store, id: string): Promise<string> {
  const rows = await store.engine.query<{ id: string }>("SELECT id FROM ci WHERE id = $1 UNION ALL SELECT ci_id FROM ci_alias WHERE id = $1", [id]);
  if (rows.length === 0) throw new CmdbError(`no CI has the id ${JSON.stringify(id)}`, { hint: "see `cmdb ci list`" });
  return rows[0]!.id;
}

export async function mergeCis(store: Store, a: string, b: string, settings: ReconcileSettings): Promise<CorrectionResult> {
  const [idA, idB] = [await resolveId(store, a), await resolveId(store, b)];
  if (idA === idB) throw new UsageError(`${a} and ${b} are already one CI (${idA})`);
  const [obsA, obsB] = [await observationsOf(store.engine, idA), await observationsOf(store.engine, idB)];
  if (obsA.length === 0 || obsB.length === 0) throw new CmdbError(`${obsA.length === 0 ? idA : idB} has no observations to merge`);
  const link: IdentityOverride = { kind: "merge", a: obsA[0]!, b: obsB[0]! };
  return apply(store, [link], [idA, idB], settings, [obsA[0]!, obsB[0]!]);
}

export async function splitObservation(store: Store, ciId: string, observation: string, settings: ReconcileSettings): Promise<CorrectionResult> {
  const id = await resolveId(store, ciId);
  const observations = await observationsOf(store.engine, id);
  const target = observations.find((o) => label(o) === observation);
  if (!target) {
    throw new UsageError(`${id} has no observation ${JSON.stringify(observation)}`, {
      hint: `its observations: ${observations.map(label).join(", ") || "none"} (see \`cmdb ci why ${id}\`)`,
    });
  }
  const rest = observations.filter((o) => o !== target);
  if (rest.length === 0) throw new UsageError(`${observation} is the only observation of ${id}: there is nothing to split it from`);
  const links: IdentityOverride[] = rest.map((o) => ({ kind: "split", a: target, b: o }));
  return apply(store, links, [id], settings, [target]);
}

async function apply(store: Store, links: IdentityOverride[], ciIds: string[], settings: ReconcileSettings, named: ObservationRef[]): Promise<CorrectionResult> {
  const now = new Date();
  const runId = newRunId(now);
  return store.engine.transaction(async (tx) => {
    await store.lockForIngest(tx);
    await store.addOverrides(tx, links, now);
    const keys = new Set<string>();
    for (const id of ciIds) for (const o of await observationsOf(tx, id)) for (const k of o.keys) keys.add(k);
    const slice = await store.loadSlice(tx, SOURCE, SCOPE, [...keys], ciIds);
    const batch = { source: SOURCE, scope: SCOPE, complete: false, observations: [], relationships: [] };
    const plan = planBatch(batch, slice, { runId, now, settings });
    await store.applyPlan(tx, plan, { source: SOURCE, scope: SCOPE, complete: false, runId });
    const run: RunRecord = {
      id: runId,
      source: SOURCE,
      scope: SCOPE,
      startedAt: now,
      endedAt: new Date(),
      outcome: "success",
      complete: false,
      counts: { ...plan.counts },
      errors: plan.warnings,
      meta: { corrections: links.map((l) => ({ kind: l.kind, a: label(l.a), b: label(l.b) })) },
    };
    await store.recordRun(tx, run);
    const placed: CorrectionResult["placed"] = [];
    for (const o of named) {
      const rows = await tx.query<{ ci_id: string }>("SELECT ci_id FROM observation WHERE source = $1 AND scope = $2 AND ref = $3", [o.source, o.scope, o.ref]);
      placed.push({ observation: label(o), ci: rows[0]!.ci_id });
    }
    return { runId, counts: plan.counts, warnings: plan.warnings, placed };
  });
}
