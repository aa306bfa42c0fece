import type { ObservationBatch } from "../model/observation.js";
import type { PendingRelationship, RunCounts, StoredRelationship } from "./types.js";

export interface RelationshipContext {
  runId: string;
  now: Date;
  /** Where a CI id now lives: itself, or the CI it was merged into. */
  remap: (id: string) => string;
  counts: RunCounts;
  warnings: string[];
  change: (ciId: string, source: string | null, field: string, oldValue: unknown, newValue: unknown) => void;
}

/**
 * The batch's edges: drafts resolved to CIs (by ref within the batch, or by key), what a complete
 * scope no longer states marked gone, and edges to keys no source has reported kept pending. Pure.
 */
export function planRelationships(
  batch: ObservationBatch,
  scopeRelationships: readonly StoredRelationship[],
  assigned: ReadonlyMap<string, string>,
  keyOwners: ReadonlyMap<string, ReadonlySet<string>>,
  ctx: RelationshipContext,
): { relationships: StoredRelationship[]; pending: PendingRelationship[] } {
  const { now, runId, counts, warnings, change } = ctx;
  const prior = new Map<string, StoredRelationship>();
  // Edges whose stored row is unchanged when a complete batch states them again: the scope
  // state's last complete run says when they were seen, so they are not written.
  const unchanged = new Set<string>();
  const storedAs = new Map<string, boolean>();
  for (const stored of scopeRelationships) {
    const r = { ...stored, fromCi: ctx.remap(stored.fromCi), toCi: ctx.remap(stored.toCi) };
    if (r.fromCi === r.toCi) continue;
    const id = `${r.type}\u0000${r.fromCi}\u0000${r.toCi}`;
    const seen = prior.get(id);
    if (!seen || (seen.status === "gone" && r.status === "present")) {
      prior.set(id, r);
      // Stored under these very ids (not moved by a merge): rewriting it would change nothing.
      storedAs.set(id, !seen && stored.fromCi === r.fromCi && stored.toCi === r.toCi);
    }
  }
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
    } else if (batch.complete && storedAs.get(id) === true) {
      unchanged.add(id);
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
  if (unresolved.size > 0) warnings.push(unresolvedWarning(counts.relationshipsUnresolved, [...unresolved.keys()]));
  const relationships: StoredRelationship[] = [];
  for (const [id, r] of out) if (!unchanged.has(id)) relationships.push(r);
  return { relationships, pending: [...pending.values()] };
}


/** The warning for edges whose target no source has reported: how many, and the first few targets. */
export function unresolvedWarning(count: number, targets: readonly string[]): string {
  const sample = targets.slice(0, 5).join(", ");
  return `${count} relationship(s) point at things no source has reported yet (${sample}${targets.length > 5 ? ", …" : ""}); they are kept and drawn when one does`;
}
