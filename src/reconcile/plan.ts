import { createHash } from "node:crypto";
import type { ReconcileSettings } from "../config/schema.js";
import { typesCompatible } from "../model/ci-types.js";
import { keyString } from "../model/keys.js";
import type { CiFields, Observation, ObservationBatch } from "../model/observation.js";
import { sameValue } from "../util/canonical.js";
import { CmdbError } from "../util/errors.js";
import { redactByName } from "../util/redact.js";
import { effectiveValues } from "./precedence.js";
import type { ChangeRow, PendingRelationship, Plan, RunCounts, Slice, StoredCi, StoredObservation, StoredRelationship } from "./types.js";

export interface PlanContext {
  runId: string;
  now: Date;
  settings: ReconcileSettings;
  /** Ids that must not be given to new CIs (already taken in the store). */
  reservedIds?: ReadonlySet<string>;
}

const FIELD_NAMES = ["name", "environment", "provider", "region", "zone", "owner", "tags"] as const;

/**
 * Reconcile one batch against what the store holds: identify each observation's CI, keep every
 * source's values, derive effective values by precedence, mark what a complete scope no longer
 * reports as gone, and record each difference once. Pure: the store loads the slice and applies
 * the plan in one transaction.
 */
export function planBatch(batch: ObservationBatch, slice: Slice, ctx: PlanContext): Plan {
  validateBatch(batch);
  const { runId, now } = ctx;
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

  const cis = new Map(slice.cis);
  const ciObservations = new Map<string, StoredObservation[]>();
  for (const [id, list] of slice.ciObservations) ciObservations.set(id, [...list]);
  const keyOwners = new Map<string, Set<string>>();
  for (const [key, owners] of slice.keyOwners) keyOwners.set(key, new Set(owners));
  const priorByRef = new Map(slice.scopeObservations.map((o) => [o.ref, o]));
  const newCis = new Map<string, StoredCi>();
  const touched = new Set<string>();
  const taken = new Set<string>([...(ctx.reservedIds ?? []), ...cis.keys()]);

  const replaceObservation = (next: StoredObservation, previous: StoredObservation | undefined) => {
    if (previous) {
      const list = ciObservations.get(previous.ciId) ?? [];
      ciObservations.set(
        previous.ciId,
        list.filter((o) => !(o.source === previous.source && o.scope === previous.scope && o.ref === previous.ref)),
      );
      touched.add(previous.ciId);
    }
    const list = ciObservations.get(next.ciId) ?? [];
    list.push(next);
    ciObservations.set(next.ciId, list);
    touched.add(next.ciId);
  };

  const strongKeysOf = (ciId: string) => {
    const keys = new Set<string>();
    for (const o of ciObservations.get(ciId) ?? []) for (const k of o.strongKeys) keys.add(k);
    return keys;
  };

  const contradicts = (ciId: string, strongKeys: string[]): boolean => {
    if (strongKeys.length === 0) return false;
    const theirs = strongKeysOf(ciId);
    for (const key of strongKeys) {
      const scheme = key.slice(0, key.indexOf(":"));
      let sameScheme = false;
      for (const other of theirs) {
        if (other === key) return false;
        if (other.startsWith(`${scheme}:`)) sameScheme = true;
      }
      if (sameScheme) return true;
    }
    return false;
  };

  const identify = (obs: Observation, keys: string[], strongKeys: string[]): string | undefined => {
    const prior = priorByRef.get(obs.ref);
    const strongHits = new Map<string, number>();
    for (const key of strongKeys) for (const owner of keyOwners.get(key) ?? []) strongHits.set(owner, (strongHits.get(owner) ?? 0) + 1);
    if (strongHits.size === 1) return [...strongHits.keys()][0];
    if (strongHits.size > 1) {
      const ranked = [...strongHits.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const chosen = prior && strongHits.has(prior.ciId) ? prior.ciId : ranked[0]![0];
      warnings.push(
        `${batch.source} ${obs.ref}: its strong keys match several CIs (${ranked.map((r) => r[0]).join(", ")}); joined ${chosen}, the others are not merged`,
      );
      return chosen;
    }
    if (prior && !replacedIdentity(prior.strongKeys, strongKeys)) return prior.ciId;

    const weakKeys = keys.filter((k) => !strongKeys.includes(k) && !LOOKUP_ONLY.has(schemeOf(k)));
    const votes = new Set<string>();
    for (const key of weakKeys) {
      const owners = [...(keyOwners.get(key) ?? [])].filter((id) => {
        const ci = cis.get(id) ?? newCis.get(id);
        if (!ci || ci.status === "retired" || !typesCompatible(ci.type, obs.type)) return false;
        const own = (ciObservations.get(id) ?? []).filter((o) => o.source === batch.source && o.status === "present");
        // A scope tells its own things apart: two refs of one scope are two things.
        if (own.some((o) => o.scope === batch.scope)) return false;
        // The same source in another scope (a second inventory naming the host) joins only
        // where it agrees with what that source already said: prod web1 at 10.0.0.1 and
        // staging web1 at 10.1.0.1 stay two CIs.
        if (own.some((o) => weakContradiction(o.keys, o.strongKeys, weakKeys))) return false;
        return !contradicts(id, strongKeys);
      });
      if (owners.length === 1) votes.add(owners[0]!);
    }
    if (votes.size === 1) return [...votes][0];
    if (votes.size > 1) warnings.push(`${batch.source} ${obs.ref}: its weak keys point at several CIs (${[...votes].sort().join(", ")}); kept apart`);
    return undefined;
  };

  const assigned = new Map<string, string>();
  const written: StoredObservation[] = [];
  for (const obs of batch.observations) {
    const clean = sanitize(obs);
    const keys = [...new Set(clean.keys.map(keyString))].sort();
    const strongKeys = [...new Set(clean.keys.filter((k) => k.strength === "strong").map(keyString))].sort();
    const prior = priorByRef.get(clean.ref);
    let ciId = identify(clean, keys, strongKeys);
    if (!ciId) {
      ciId = newCiId(batch.source, batch.scope, clean.ref, taken);
      taken.add(ciId);
      const ci: StoredCi = {
        id: ciId,
        type: clean.type,
        name: clean.name ?? clean.ref,
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
      newCis.set(ciId, ci);
      counts.new++;
      change(ciId, batch.source, "created", null, { type: clean.type, name: ci.name });
    }
    assigned.set(clean.ref, ciId);
    const fields = fieldsOf(clean);
    const next: StoredObservation = {
      source: batch.source,
      scope: batch.scope,
      ref: clean.ref,
      ciId,
      type: clean.type,
      keys,
      strongKeys,
      fields,
      attributes: clean.attributes,
      status: "present",
      firstSeen: prior?.firstSeen ?? now,
      lastSeen: now,
      goneAt: null,
      runId,
    };
    if (!prior) {
      change(ciId, batch.source, "observed", null, { scope: batch.scope, ref: clean.ref });
    } else {
      const before = changes.length;
      if (prior.ciId !== ciId) {
        change(prior.ciId, batch.source, "observed", { scope: batch.scope, ref: clean.ref }, null);
        change(ciId, batch.source, "observed", null, { scope: batch.scope, ref: clean.ref });
      } else if (prior.status === "gone") {
        change(ciId, batch.source, "observed", null, { scope: batch.scope, ref: clean.ref });
      }
      diffObservation(prior, next, (field, o, n) => change(ciId!, batch.source, field, o, n));
      if (changes.length > before) counts.changed++;
      else counts.unchanged++;
    }
    replaceObservation(next, prior);
    written.push(next);
    for (const key of keys) {
      const owners = keyOwners.get(key) ?? new Set<string>();
      if (prior && prior.ciId !== ciId && prior.keys.includes(key)) owners.delete(prior.ciId);
      owners.add(ciId);
      keyOwners.set(key, owners);
    }
  }

  const goneObservations: StoredObservation[] = [];
  if (batch.complete) {
    for (const prior of slice.scopeObservations) {
      if (assigned.has(prior.ref) || prior.status === "gone") continue;
      const gone: StoredObservation = { ...prior, status: "gone", goneAt: now };
      goneObservations.push(gone);
      replaceObservation(gone, prior);
      counts.gone++;
      change(prior.ciId, batch.source, "observed", { scope: batch.scope, ref: prior.ref }, null);
    }
  }

  const { relationships, pending } = planRelationships(batch, slice, assigned, keyOwners, ctx, counts, warnings, change);

  const updatedCis: StoredCi[] = [];
  for (const id of [...touched].sort()) {
    const stored = newCis.get(id) ?? cis.get(id);
    if (!stored) continue;
    const observations = ciObservations.get(id) ?? [];
    const eff = effectiveValues(observations, ctx.settings, now);
    const anyPresent = observations.some((o) => o.status === "present");
    let status = stored.status;
    let missingSince = stored.missingSince;
    let retiredAt = stored.retiredAt;
    if (anyPresent && status !== "active") {
      if (!newCis.has(id)) change(id, null, "status", status, "active");
      status = "active";
      missingSince = null;
      retiredAt = null;
    } else if (!anyPresent && status === "active") {
      change(id, null, "status", "active", "missing");
      status = "missing";
      missingSince = now;
      counts.missing++;
    }
    const next: StoredCi = { ...stored, ...eff, status, missingSince, retiredAt };
    if (newCis.has(id)) {
      newCis.set(id, next);
    } else if (!sameCi(stored, next)) {
      updatedCis.push({ ...next, updatedAt: now });
    }
  }

  return {
    newCis: [...newCis.values()],
    updatedCis,
    observations: [...written, ...goneObservations],
    relationships,
    pending,
    changes,
    counts,
    warnings,
  };
}

function planRelationships(
  batch: ObservationBatch,
  slice: Slice,
  assigned: Map<string, string>,
  keyOwners: Map<string, Set<string>>,
  ctx: PlanContext,
  counts: RunCounts,
  warnings: string[],
  change: (ciId: string, source: string | null, field: string, oldValue: unknown, newValue: unknown) => void,
): { relationships: StoredRelationship[]; pending: PendingRelationship[] } {
  const { now, runId } = ctx;
  const prior = new Map(slice.scopeRelationships.map((r) => [`${r.type}\u0000${r.fromCi}\u0000${r.toCi}`, r]));
  const out = new Map<string, StoredRelationship>();
  const unresolved = new Map<string, number>();
  const pending = new Map<string, PendingRelationship>();
  for (const draft of batch.relationships) {
    const fromCi = assigned.get(draft.from);
    let toCi: string | undefined;
    if ("ref" in draft.to) {
      toCi = assigned.get(draft.to.ref);
    } else {
      const owners = [...(keyOwners.get(draft.to.key) ?? [])];
      if (owners.length === 1) toCi = owners[0];
    }
    if (!fromCi || !toCi) {
      const target = "ref" in draft.to ? draft.to.ref : draft.to.key;
      unresolved.set(target, (unresolved.get(target) ?? 0) + 1);
      if (fromCi && "key" in draft.to) pending.set(`${draft.type}\u0000${fromCi}\u0000${draft.to.key}`, { type: draft.type, fromCi, toKey: draft.to.key });
      continue;
    }
    if (fromCi === toCi) continue;
    const id = `${draft.type}\u0000${fromCi}\u0000${toCi}`;
    if (out.has(id)) continue;
    const before = prior.get(id);
    if (!before || before.status === "gone") {
      counts.relationshipsAdded++;
      change(fromCi, batch.source, "relationship", null, { type: draft.type, to: toCi });
    }
    out.set(id, {
      source: batch.source,
      scope: batch.scope,
      type: draft.type,
      fromCi,
      toCi,
      status: "present",
      firstSeen: before && before.status === "present" ? before.firstSeen : now,
      lastSeen: now,
      goneAt: null,
      runId,
    });
  }
  if (batch.complete) {
    for (const [id, r] of prior) {
      if (out.has(id) || r.status === "gone") continue;
      counts.relationshipsRemoved++;
      change(r.fromCi, batch.source, "relationship", { type: r.type, to: r.toCi }, null);
      out.set(id, { ...r, status: "gone", goneAt: now });
    }
  }
  counts.relationshipsUnresolved = [...unresolved.values()].reduce((a, b) => a + b, 0);
  if (unresolved.size > 0) {
    const sample = [...unresolved.keys()].slice(0, 5).join(", ");
    warnings.push(
      `${counts.relationshipsUnresolved} relationship(s) point at things no source has reported yet (${sample}${unresolved.size > 5 ? ", …" : ""}); they are kept and drawn when one does`,
    );
  }
  return { relationships: [...out.values()], pending: [...pending.values()] };
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

function fieldsOf(obs: Observation): CiFields {
  const fields: CiFields = {};
  for (const name of FIELD_NAMES) {
    const value = obs[name];
    if (value === undefined || value === null || value === "") continue;
    if (name === "tags") {
      if (Object.keys(value as object).length > 0) fields.tags = value as Record<string, string>;
    } else {
      fields[name] = value as string;
    }
  }
  return fields;
}

/**
 * Keys to find a CI by, never to identify one: a Terraform address is unique only within its
 * workspace, and `null_resource.bootstrap` in two workspaces are two things.
 */
const LOOKUP_ONLY: ReadonlySet<string> = new Set(["terraform"]);

const schemeOf = (key: string) => key.slice(0, key.indexOf(":"));

/** Some weak scheme both sides carry with no value in common. */
function weakContradiction(theirKeys: string[], theirStrong: string[], ours: string[]): boolean {
  const theirs = new Map<string, Set<string>>();
  for (const key of theirKeys) {
    if (theirStrong.includes(key) || LOOKUP_ONLY.has(schemeOf(key))) continue;
    const scheme = schemeOf(key);
    theirs.set(scheme, (theirs.get(scheme) ?? new Set()).add(key));
  }
  const mine = new Map<string, string[]>();
  for (const key of ours) mine.set(schemeOf(key), [...(mine.get(schemeOf(key)) ?? []), key]);
  for (const [scheme, values] of mine) {
    const other = theirs.get(scheme);
    if (other && !values.some((v) => other.has(v))) return true;
  }
  return false;
}

/** A strong key of the same scheme with another value: the thing was replaced (a new instance id). */
function replacedIdentity(before: string[], after: string[]): boolean {
  if (before.length === 0 || after.length === 0) return false;
  if (before.some((k) => after.includes(k))) return false;
  const schemes = new Set(before.map((k) => k.slice(0, k.indexOf(":"))));
  return after.some((k) => schemes.has(k.slice(0, k.indexOf(":"))));
}

function diffObservation(before: StoredObservation, after: StoredObservation, record: (field: string, o: unknown, n: unknown) => void): void {
  if (before.type !== after.type) record("type", before.type, after.type);
  if (!sameValue(before.keys, after.keys)) record("keys", before.keys, after.keys);
  for (const name of FIELD_NAMES) {
    if (!sameValue(before.fields[name], after.fields[name])) record(name, before.fields[name], after.fields[name]);
  }
  diffObjects("attributes", before.attributes, after.attributes, record);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Records each changed leaf by its dotted path, so a one-field change in a nested value is one row, not the whole value. */
function diffObjects(path: string, before: Record<string, unknown>, after: Record<string, unknown>, record: (field: string, o: unknown, n: unknown) => void): void {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of [...names].sort()) {
    const o = before[name];
    const n = after[name];
    if (sameValue(o, n)) continue;
    if (isPlainObject(o) && isPlainObject(n)) diffObjects(`${path}.${name}`, o, n, record);
    else record(`${path}.${name}`, o, n);
  }
}

function sameCi(a: StoredCi, b: StoredCi): boolean {
  return (
    a.type === b.type &&
    a.name === b.name &&
    a.status === b.status &&
    a.environment === b.environment &&
    a.provider === b.provider &&
    a.region === b.region &&
    a.zone === b.zone &&
    a.owner === b.owner &&
    sameValue(a.tags, b.tags) &&
    sameValue(a.attributes, b.attributes)
  );
}

function newCiId(source: string, scope: string, ref: string, taken: ReadonlySet<string>): string {
  for (let attempt = 0; ; attempt++) {
    const hash = createHash("sha256").update(`${source}\u0000${scope}\u0000${ref}\u0000${attempt === 0 ? "" : attempt}`).digest("hex");
    const id = `ci_${hash.slice(0, 16)}`;
    if (!taken.has(id)) return id;
  }
}
