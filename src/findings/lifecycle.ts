import type { FindingRecord as StoredRecord } from "../store/findings.js";
import type { Finding } from "./types.js";

export type FindingRecord = StoredRecord<Finding>;


export interface LifecyclePlan {
  records: FindingRecord[];
  opened: string[];
  reopened: string[];
  resolved: string[];
}

/**
 * The next state of every finding: what is found now is open (new, still open, or reopened after a
 * resolution: a flap); what was open and is not found now is resolved — unless `held` says its CI
 * could not be evaluated this time (stale or partial live data), then it stays open as it was.
 */
export function planLifecycle(previous: readonly FindingRecord[], current: readonly Finding[], held: (kind: string, ciId: string) => boolean, now: Date): LifecyclePlan {
  const before = new Map(previous.map((r) => [r.fingerprint, r]));
  const plan: LifecyclePlan = { records: [], opened: [], reopened: [], resolved: [] };
  const found = new Set<string>();
  for (const f of current) {
    found.add(f.fingerprint);
    const prior = before.get(f.fingerprint);
    const base = { fingerprint: f.fingerprint, kind: f.kind, severity: f.severity, ciId: f.ci.id, key: f.key, attribute: f.attribute ?? null, finding: f, lastSeen: now };
    if (!prior) {
      plan.opened.push(f.fingerprint);
      plan.records.push({ ...base, status: "open", acknowledged: false, firstSeen: now, resolvedAt: null, reopenedAt: null, flaps: 0 });
    } else if (prior.status === "resolved") {
      plan.reopened.push(f.fingerprint);
      plan.records.push({ ...prior, ...base, status: "open", resolvedAt: null, reopenedAt: now, flaps: prior.flaps + 1 });
    } else {
      plan.records.push({ ...prior, ...base });
    }
  }
  for (const prior of previous) {
    if (found.has(prior.fingerprint) || prior.status !== "open" || held(prior.kind, prior.ciId)) continue;
    plan.resolved.push(prior.fingerprint);
    plan.records.push({ ...prior, status: "resolved", resolvedAt: now });
  }
  return plan;
}
