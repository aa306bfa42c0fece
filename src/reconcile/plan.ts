import { createHash } from "node:crypto";
import type { ReconcileSettings } from "../config/schema.js";
import { keyString } from "../model/keys.js";
import type { Observation, ObservationBatch } from "../model/observation.js";
import { CmdbError } from "../util/errors.js";
import { redactByName } from "../util/redact.js";
import { assignIds } from "./assign.js";
import { diffObservation, fieldsOf, sameCi } from "./history.js";
import { clusterNodes, type IdNode, type LinkOverride } from "./identify.js";
import { KeyQuality } from "./key-quality.js";
import { effectiveValues } from "./precedence.js";
import { planRelationships } from "./relationships.js";
import { RuleBook, schemeOf } from "./rules.js";
import type { ChangeRow, CiMerge, Plan, RunCounts, Slice, StoredCi, StoredObservation } from "./types.js";

export interface PlanContext {
  runId: string;
  now: Date;
  settings: ReconcileSettings;
  /** Of the batch's repeatable ids (`repeatableIds`), those the store has given already. */
  takenIds?: ReadonlySet<string>;
}

const refId = (o: { source: string; scope: string; ref: string }) => `${o.source}\u0000${o.scope}\u0000${o.ref}`;

/**
 * Reconcile one batch against what the store holds, in small pure steps: identify which
 * observations are one thing (identify.ts, by ranked rules and learned key quality), give each
 * cluster its CI id with merges and splits (assign.ts), keep every source's values and derive the
 * effective ones by precedence (precedence.ts), mark what a complete scope no longer reports as
 * gone, plan the edges (relationships.ts) and record each difference once (history.ts). The store
 * loads the slice and applies the plan in one transaction.
 */
export function planBatch(batch: ObservationBatch, slice: Slice, ctx: PlanContext): Plan {
  validateBatch(batch);
  const { runId, now, settings } = ctx;
  const rules = new RuleBook(settings.identity.rules);
  const quality = new KeyQuality(settings.identity.ignoreKeys, slice.sharedKeys);
  const warnings: string[] = [...(batch.warnings ?? [])];
  const changes: ChangeRow[] = [];
  const counts: RunCounts = {
    seen: batch.observations.length,
    new: 0,
    changed: 0,
    unchanged: 0,
    gone: 0,
    missing: 0,
    retired: 0,
    relationshipsAdded: 0,
    relationshipsRemoved: 0,
    relationshipsUnresolved: 0,
  };
  const change = (ciId: string, source: string | null, field: string, oldValue: unknown, newValue: unknown) =>
    changes.push({ ciId, source, field, oldValue: oldValue ?? null, newValue: newValue ?? null, runId, at: now });

  // The nodes: what the batch reports, and every stored observation it can touch.
  const priorByRef = new Map(slice.scopeObservations.map((o) => [o.ref, o]));
  const drafts: StoredObservation[] = [];
  const claims: (string | undefined)[] = [];
  const stored: (StoredObservation | undefined)[] = [];
  const inBatch: boolean[] = [];
  const index = new Map<string, number>();
  const add = (o: StoredObservation, prior: StoredObservation | undefined, claim: string | undefined, fromBatch: boolean) => {
    index.set(refId(o), drafts.length);
    drafts.push(o);
    stored.push(prior);
    claims.push(claim);
    inBatch.push(fromBatch);
  };
  for (const raw of batch.observations) {
    const obs = sanitize(raw);
    const keys = [...new Set(obs.keys.map(keyString))].sort();
    const strongKeys = [...new Set(obs.keys.filter((k) => k.strength === "strong").map(keyString))].sort();
    const prior = priorByRef.get(obs.ref);
    const replaced = prior !== undefined && replacedIdentity(rules, obs.type, prior.strongKeys, strongKeys);
    add(
      {
        source: batch.source,
        scope: batch.scope,
        ref: obs.ref,
        ciId: "",
        type: obs.type,
        keys,
        strongKeys,
        fields: fieldsOf(obs),
        attributes: obs.attributes,
        status: "present",
        firstSeen: prior && !replaced ? prior.firstSeen : now,
        lastSeen: now,
        goneAt: null,
        runId,
      },
      prior,
      replaced ? undefined : prior?.ciId,
      true,
    );
  }
  for (const prior of slice.scopeObservations) {
    if (index.has(refId(prior))) continue;
    const gone = batch.complete && prior.status === "present";
    add(gone ? { ...prior, status: "gone", goneAt: now } : prior, prior, prior.ciId, false);
  }
  for (const list of slice.ciObservations.values()) {
    for (const o of list) if (!index.has(refId(o))) add(o, o, o.ciId, false);
  }

  const nodes: IdNode[] = drafts.map((o, i) => ({
    source: o.source,
    scope: o.scope,
    ref: o.ref,
    type: o.type,
    keys: o.keys,
    strongKeys: new Set(o.strongKeys),
    present: o.status === "present",
    inBatch: inBatch[i]!,
    firstSeen: o.firstSeen.getTime(),
    lastSeen: o.lastSeen.getTime(),
    ...(claims[i] ? { prior: claims[i] } : {}),
  }));
  const overrides: LinkOverride[] = [];
  for (const o of slice.overrides) {
    const a = index.get(refId(o.a));
    const b = index.get(refId(o.b));
    if (a !== undefined && b !== undefined) overrides.push({ kind: o.kind, a, b });
  }
  const clustering = clusterNodes(nodes, { rules, quality, overrides });
  warnings.push(...clustering.warnings);

  const usedIds = new Set<string>();
  const createdAt = (id: string) => slice.cis.get(id)?.createdAt.getTime() ?? Number.MAX_SAFE_INTEGER;
  const assignment = assignIds(
    drafts.map((o, i) => ({
      present: o.status === "present",
      claim: claims[i],
      stored: stored[i]?.ciId,
      strong: o.strongKeys.some((k) => quality.verdict(k).usable),
    })),
    clustering.root,
    createdAt,
    (i) => {
      // The same data gives the same ids in any store; an id already given (a replaced
      // resource's second CI, a split) takes the run into its hash instead, and cannot clash.
      const repeatable = repeatableId(drafts[i]!);
      if (!ctx.takenIds?.has(repeatable) && !slice.cis.has(repeatable) && !usedIds.has(repeatable)) {
        usedIds.add(repeatable);
        return repeatable;
      }
      return newCiId(drafts[i]!, runId);
    },
  );
  const remap = (id: string) => assignment.merged.get(id) ?? id;

  // Observations with their CI, the history of each, and which CIs they touch.
  const ciObservations = new Map<string, StoredObservation[]>();
  const touched = new Set<string>();
  const written: StoredObservation[] = [];
  const assigned = new Map<string, string>();
  drafts.forEach((draft, i) => {
    const ciId = assignment.ciOf[i]!;
    const next = { ...draft, ciId };
    const list = ciObservations.get(ciId) ?? [];
    list.push(next);
    ciObservations.set(ciId, list);
    const prior = stored[i];
    if (inBatch[i]) assigned.set(next.ref, ciId);
    if (inBatch[i]) {
      touched.add(ciId);
      if (prior) touched.add(prior.ciId);
      if (!prior) {
        change(ciId, batch.source, "observed", null, { scope: batch.scope, ref: next.ref });
      } else {
        const before = changes.length;
        if (prior.ciId !== ciId) {
          change(prior.ciId, batch.source, "observed", { scope: batch.scope, ref: next.ref }, null);
          change(ciId, batch.source, "observed", null, { scope: batch.scope, ref: next.ref });
        } else if (prior.status === "gone") {
          change(ciId, batch.source, "observed", null, { scope: batch.scope, ref: next.ref });
        }
        diffObservation(prior, next, (field, o, n) => change(ciId, batch.source, field, o, n));
        if (changes.length > before) counts.changed++;
        else {
          counts.unchanged++;
          // A complete run's scope state says when its present rows were last seen: an unchanged
          // row is not written again.
          if (batch.complete && prior.status === "present" && prior.ciId === ciId && prior.firstSeen.getTime() === next.firstSeen.getTime()) return;
        }
      }
      written.push(next);
      return;
    }
    const becameGone = draft.status === "gone" && prior?.status === "present";
    if (becameGone) {
      counts.gone++;
      change(prior!.ciId, batch.source, "observed", { scope: batch.scope, ref: draft.ref }, null);
    }
    if (becameGone || prior?.ciId !== ciId) {
      touched.add(ciId);
      if (prior) touched.add(prior.ciId);
      if (prior && prior.ciId !== ciId && !assignment.merged.has(prior.ciId)) {
        change(prior.ciId, draft.source, "observed", { scope: draft.scope, ref: draft.ref }, null);
        change(ciId, draft.source, "observed", null, { scope: draft.scope, ref: draft.ref });
      }
      written.push(next);
    }
  });

  // Merges and splits, each with the keys that decided it.
  const joinedBy = (members: Set<number>) =>
    [...new Set(clustering.joins.filter((j) => members.has(j.a) || members.has(j.b)).map((j) => j.key))].sort();
  const membersOf = (ciId: string) => new Set(assignment.ciOf.flatMap((id, i) => (id === ciId ? [i] : [])));
  const merges: CiMerge[] = [];
  for (const [from, to] of [...assignment.merged].sort()) {
    const keys = joinedBy(membersOf(to));
    merges.push({ from, to, keys });
    touched.delete(from);
    touched.add(to);
    change(to, null, "merged", null, { from, keys });
    warnings.push(`merged ${from} into ${to}: ${keys.length > 0 ? `one thing by ${keys.join(", ")}` : "a person's correction"}`);
  }
  for (const [id, from] of assignment.splitFrom) {
    for (const old of from) {
      if (assignment.merged.has(old) || !slice.cis.has(old)) continue;
      change(old, null, "split", null, { to: id });
      change(id, null, "split", { from: old }, null);
      warnings.push(`split ${id} from ${old}: ${splitReason(clustering, drafts, membersOf(id))}`);
    }
  }

  // CI rows: effective values and status of every CI whose observations changed.
  const newCis = new Map<string, StoredCi>();
  const updatedCis: StoredCi[] = [];
  for (const id of [...touched].sort()) {
    if (assignment.merged.has(id)) continue;
    const observations = ciObservations.get(id) ?? [];
    const existing = slice.cis.get(id);
    const isNew = assignment.created.has(id);
    if (!existing && !isNew) continue;
    const first = observations.find((o) => o.status === "present") ?? observations[0];
    const base: StoredCi = existing ?? {
      id,
      type: first?.type ?? "generic",
      name: first?.fields.name ?? first?.ref ?? id,
      status: "active",
      environment: null,
      provider: null,
      region: null,
      zone: null,
      owner: null,
      tags: {},
      attributes: {},
      createdAt: now,
      updatedAt: now,
      missingSince: null,
      retiredAt: null,
    };
    if (isNew) {
      counts.new++;
      change(id, first?.source ?? batch.source, "created", null, { type: base.type, name: base.name });
    }
    const eff = effectiveValues(observations, settings, now);
    const anyPresent = observations.some((o) => o.status === "present");
    let { status, missingSince, retiredAt } = base;
    if (anyPresent && status !== "active") {
      if (!isNew) change(id, null, "status", status, "active");
      status = "active";
      missingSince = null;
      retiredAt = null;
    } else if (!anyPresent && status === "active") {
      change(id, null, "status", "active", "missing");
      status = "missing";
      missingSince = now;
      counts.missing++;
    }
    const next: StoredCi = { ...base, ...eff, status, missingSince, retiredAt };
    if (isNew) newCis.set(id, next);
    else if (!sameCi(base, next)) updatedCis.push({ ...next, updatedAt: now });
  }

  // Every key the slice's CIs now carry (the slice holds every CI carrying a batch key), for edges drawn to a key.
  const keyOwners = new Map<string, Set<string>>();
  for (const list of ciObservations.values()) {
    for (const o of list) {
      for (const key of o.keys) {
        const owners = keyOwners.get(key);
        if (owners) owners.add(o.ciId);
        else keyOwners.set(key, new Set([o.ciId]));
      }
    }
  }
  const { relationships, pending } = planRelationships(batch, slice.scopeRelationships, assigned, keyOwners, {
    runId,
    now,
    remap,
    counts,
    warnings,
    change,
  });

  return {
    newCis: [...newCis.values()],
    updatedCis,
    observations: written,
    relationships,
    pending,
    changes,
    merges,
    sharedKeys: clustering.shared.filter((s) => !slice.sharedKeys.has(s.key)),
    counts,
    warnings,
  };
}

function splitReason(clustering: ReturnType<typeof clusterNodes>, drafts: readonly StoredObservation[], members: Set<number>): string {
  const refs = new Set([...members].map((m) => `${drafts[m]!.source}:${drafts[m]!.scope}:${drafts[m]!.ref}`));
  const keys = clustering.shared.filter((s) => s.evidence.some((e) => refs.has(e))).map((s) => s.key);
  return keys.length > 0 ? `no longer joined, ${keys.join(", ")} identifies nothing (shared)` : "its observations are no longer joined by any key";
}

function validateBatch(batch: ObservationBatch): void {
  if (!batch.source || !batch.scope) throw new CmdbError("an observation batch needs a source and a scope");
  const refs = new Set<string>();
  for (const obs of batch.observations) {
    if (refs.has(obs.ref)) throw new CmdbError(`two observations share the ref ${JSON.stringify(obs.ref)}`, { where: `${batch.source} ${batch.scope}` });
    refs.add(obs.ref);
  }
}

/** The store's last line of defence for secrets: whatever a source missed by name is redacted here. */
function sanitize(obs: Observation): Observation {
  return { ...obs, attributes: redactByName(obs.state === undefined ? obs.attributes : { ...obs.attributes, state: obs.state }) };
}

/**
 * A different value of an instance-identity scheme under the same source ref, with no other strong
 * key agreeing: a new thing in the old slot (a replaced instance, a vmid reused by another VM, a new
 * machine at a known address). A reinstalled OS (new machine-id, same SMBIOS UUID) is no new thing.
 */
function replacedIdentity(rules: RuleBook, type: Observation["type"], before: readonly string[], after: readonly string[]): boolean {
  const old = new Set(before);
  const oldSchemes = new Set(before.map(schemeOf));
  let differs = false;
  for (const key of after) {
    const scheme = schemeOf(key);
    const rule = rules.describe(type, scheme, true);
    if (old.has(key)) {
      if (!rule.slot) return false;
      continue;
    }
    if (rule.replaces && oldSchemes.has(scheme) && !before.some((k) => schemeOf(k) === scheme && after.includes(k))) differs = true;
  }
  return differs;
}

/** The id a CI founded by this observation gets in any store, unless the store gave it already. */
export function repeatableId(o: { source: string; scope: string; ref: string }): string {
  const hash = createHash("sha256").update(`${o.source}\u0000${o.scope}\u0000${o.ref}\u0000`).digest("hex");
  return `ci_${hash.slice(0, 16)}`;
}

/** Ids derive from the observation that founded the CI and the run: a new id can never be one already given. */
function newCiId(o: { source: string; scope: string; ref: string }, runId: string): string {
  const hash = createHash("sha256").update(`${o.source}\u0000${o.scope}\u0000${o.ref}\u0000${runId}`).digest("hex");
  return `ci_${hash.slice(0, 16)}`;
}
