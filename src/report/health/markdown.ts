import type { Counts, HealthReport, Share } from "./types.js";

const cell = (v: unknown): string => {
  const text = v === null || v === undefined ? "–" : typeof v === "string" ? v : JSON.stringify(v);
  const short = text.length > 80 ? `${text.slice(0, 79)}…` : text;
  return short.replace(/\|/g, "\\|").replace(/\n/g, " ");
};
const pct = (s: Share) => `${(s.share * 100).toFixed(1)}%`;

export function table(head: string[], rows: unknown[][]): string {
  if (rows.length === 0) return "_none_\n";
  return `${[`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n")}\n`;
}

const countsTable = (title: string, counts: Counts) =>
  table(
    [title, "CIs"],
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([k, v]) => [k, v]),
  );

/** Lines (label, figure, verdict) of the coverage section, shared by Markdown and HTML. */
export function coverageRows(r: HealthReport): [string, string, string][] {
  const c = r.coverage;
  const of = (s: Share) => `${s.count} of ${c.machines} (${pct(s)})`;
  return [
    ["seen by live discovery (Proxmox, EC2, SSH, facts)", of(c.discovery), c.discovery.met ? "✅ above the 80% target" : "❌ below the 80% target"],
    [`seen within ${r.thresholds.freshWithinHours} h`, of(c.fresh), c.fresh.met ? "✅ all fresh" : "❌ some older than the target"],
    ["managed by Terraform", of(c.terraform), ""],
    ["listed in an Ansible inventory", of(c.inventory), ""],
    ["with an owner", of(c.owner), ""],
    ["with credentials tracked", of(c.credentials), ""],
  ];
}

/** The health report as GitHub-flavoured Markdown, with Mermaid charts where a picture helps. */
export function healthMarkdown(r: HealthReport): string {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  push(`# CMDB health report`, "", `As of ${r.at}: ${r.inventory.total} CIs, ${r.inventory.relationships} relationships.`, "");

  push("## Inventory", "");
  const types = Object.entries(r.inventory.byType).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (types.length > 0) {
    push("```mermaid", "pie showData title CIs by type (not retired)", ...types.map(([k, v]) => `  "${k}" : ${v}`), "```", "");
  }
  push("### By type", "", countsTable("type", r.inventory.byType));
  push("### By provider", "", countsTable("provider", r.inventory.byProvider));
  push("### By environment", "", countsTable("environment", r.inventory.byEnvironment));
  push("### By status", "", countsTable("status", r.inventory.byStatus));
  push("### By source (CIs each source reports now)", "", countsTable("source", r.inventory.bySource));

  push("## Coverage", "", `Of ${r.coverage.machines} active machines (servers, VMs, containers, hypervisor nodes):`, "");
  push(table(["", "machines", "target"], coverageRows(r)));

  push("## Freshness", "");
  push(table(["age since last seen (active CIs)", "CIs"], Object.entries(r.freshness.ages)));
  push(`### Stale CIs (${r.freshness.staleTotal})`, "", `Missing, retired in the last ${r.thresholds.recentChangesHours} h, or not seen for over ${r.thresholds.staleAfterHours} h.`, "");
  push(table(["CI", "type", "status", "last seen", "why"], r.freshness.stale.map((s) => [s.name, s.type, s.status, s.lastSeen, s.reason])));
  push("### Each source's last complete run", "");
  push(
    table(
      ["source", "scope", "last run", "last complete", "age (h)", `within ${r.thresholds.freshWithinHours} h`],
      r.freshness.scopes.map((s) => [s.source, s.scope, s.lastOutcome, s.lastCompleteAt ?? "never", s.ageHours, s.fresh ? "✅" : "❌"]),
    ),
  );

  push(`## Conflicts (${r.conflictsTotal})`, "", "Attributes whose sources disagree (the effective value follows source precedence).", "");
  push(table(["CI", "attribute", "values"], r.conflicts.map((c) => [c.name, c.attribute, c.values.map((v) => `${v.source}: ${cell(v.value)}`).join("; ")])));

  push("## Findings", "");
  if (r.findings.length === 0) push("No open drift finding and no credential due for rotation.", "");
  for (const f of r.findings) {
    push(`### ${f.kind} (${f.total})`, "", `By severity: ${Object.entries(f.bySeverity).map(([k, v]) => `${v} ${k}`).join(", ")}`, "");
    if (Object.keys(f.byCategory).length > 0) push(`By kind: ${Object.entries(f.byCategory).map(([k, v]) => `${v} ${k}`).join(", ")}`, "");
    push(table(["CI", "id", "severity", "finding"], f.items.map((i) => [i.name, `\`${i.id}\``, i.severity, i.title])));
  }

  push("## Most depended-upon CIs", "", "How many CIs need each one, directly or through others.", "");
  push(table(["CI", "type", "dependents"], r.dependedUpon.map((d) => [d.name, d.type, d.dependents])));
  push("## Single points of failure", "", "CIs whose failure reaches the most production CIs.", "");
  push(table(["CI", "type", "production CIs reached", "all CIs reached"], r.singlePointsOfFailure.map((d) => [d.name, d.type, d.productionDependents, d.dependents])));

  push(`## Recent changes (${r.changes.total} in the last ${r.thresholds.recentChangesHours} h)`, "");
  push(table(["kind of change", "count"], Object.entries(r.changes.byField)));
  push(table(["at", "CI", "source", "field", "old", "new"], r.changes.recent.map((c) => [c.at, c.name ?? c.ci, c.source, c.field, c.old, c.new])));

  push("## Discovery runs", "");
  push(table(["source", "scope", "last run", "outcome", "last complete"], r.runs.scopes.map((s) => [s.source, s.scope, s.lastRunAt, s.lastOutcome, s.lastCompleteAt ?? "never"])));
  push(`### Failed or partial runs in the last ${r.thresholds.recentChangesHours} h (${r.runs.failures.length})`, "");
  push(table(["started", "source", "scope", "outcome", "errors"], r.runs.failures.map((f) => [f.startedAt, f.source, f.scope, f.outcome, f.errors.join("; ")])));
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}
