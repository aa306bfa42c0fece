import type { Mark } from "../../graph/marks.js";

export type Counts = Record<string, number>;

export interface Share {
  count: number;
  /** count / the denominator, rounded to 4 decimals (0 when there is nothing to count). */
  share: number;
}

export interface CiRef {
  id: string;
  name: string;
  type: string;
}

/** The health report's figures: what md, html and json all show. */
export interface HealthReport {
  format: "gitops-cmdb-health";
  version: 1;
  at: string;
  thresholds: { staleAfterHours: number; freshWithinHours: number; discoveryTarget: number; recentChangesHours: number };
  inventory: { total: number; relationships: number; byType: Counts; byProvider: Counts; byEnvironment: Counts; byStatus: Counts; bySource: Counts };
  coverage: {
    /** Active machines (servers, VMs, containers, hypervisor nodes): the denominator of every share. */
    machines: number;
    terraform: Share;
    inventory: Share;
    owner: Share;
    credentials: Share;
    discovery: Share & { target: number; met: boolean };
    fresh: Share & { met: boolean };
  };
  freshness: {
    /** Active CIs by age since any source last saw them. */
    ages: Counts;
    staleTotal: number;
    stale: (CiRef & { status: string; lastSeen: string | null; reason: string })[];
    scopes: { source: string; scope: string; lastOutcome: string | null; lastCompleteAt: string | null; ageHours: number | null; fresh: boolean }[];
  };
  conflictsTotal: number;
  conflicts: (CiRef & { attribute: string; values: { source: string; value: unknown }[] })[];
  findings: { kind: string; total: number; bySeverity: Counts; byCategory: Counts; items: (CiRef & { severity: string; title: string })[] }[];
  dependedUpon: (CiRef & { dependents: number })[];
  singlePointsOfFailure: (CiRef & { productionDependents: number; dependents: number })[];
  changes: { total: number; byField: Counts; recent: { at: string; ci: string; name: string | null; source: string | null; field: string; old: unknown; new: unknown }[] };
  runs: {
    scopes: { source: string; scope: string; lastRunAt: string | null; lastOutcome: string | null; lastCompleteAt: string | null }[];
    failures: { source: string; scope: string; startedAt: string; outcome: string; errors: string[] }[];
  };
}

export interface HealthOptions {
  now?: Date;
  staleAfterMs?: number;
  freshWithinMs?: number;
  recentChangesMs?: number;
  /** Drift, credential and other findings, as marks. */
  marks?: readonly Mark[];
  /** How many items each list shows (the totals count them all). */
  listLimit?: number;
}
