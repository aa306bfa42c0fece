import type { Finding, FindingKind, Severity } from "./types.js";

/** A severity rule from the configuration: the last rule that matches a finding decides. */
export interface SeverityRule {
  kind?: FindingKind;
  /** CI type. */
  type?: string;
  /** Attribute path; `*` matches any run of characters (`disks.*`). */
  attribute?: string;
  severity: Severity;
}

export const DEFAULT_SEVERITY: Record<FindingKind, Severity> = {
  missing: "high",
  changed: "medium",
  unmanaged: "medium",
  "not-in-inventory": "low",
  "inventory-orphan": "low",
  stale: "low",
};

export function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

export function severityOf(finding: Pick<Finding, "kind" | "attribute"> & { ci: { type: string } }, rules: readonly SeverityRule[]): Severity {
  let severity = DEFAULT_SEVERITY[finding.kind];
  for (const rule of rules) {
    if (rule.kind && rule.kind !== finding.kind) continue;
    if (rule.type && rule.type !== finding.ci.type) continue;
    if (rule.attribute && !glob(rule.attribute).test(finding.attribute ?? "")) continue;
    severity = rule.severity;
  }
  return severity;
}
