/** What drift finds, and how bad it is. */
export const FINDING_KINDS = ["changed", "missing", "unmanaged", "not-in-inventory", "inventory-orphan", "stale"] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** From the most to the least severe. */
export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** One attribute whose live value differs from the declared one, as one live source reports it. */
export interface Diff {
  attribute: string;
  declared: unknown;
  live: unknown;
  source: string;
}

export interface FindingCi {
  id: string;
  name: string;
  type: string;
  keys: string[];
}

export interface Finding {
  /** Stable across runs: kind + the CI's strongest key + attribute path, never the values. */
  fingerprint: string;
  kind: FindingKind;
  severity: Severity;
  ci: FindingCi;
  /** The CI's strongest key, the one the fingerprint and ignore rules name. */
  key: string;
  /** The attribute path of a `changed` finding; for `stale`, what is stale (`seen` or `live:<source>`). */
  attribute?: string;
  diffs?: Diff[];
  /** One sentence for people. */
  message: string;
  /** The source and scope the finding rests on (the live scope, the inventory, the state). */
  sources: { source: string; scope: string }[];
}
