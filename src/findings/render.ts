import { show } from "./drift.js";
import type { DriftReport } from "./evaluate.js";
import type { Finding } from "./types.js";

/** Markdown table cells: pipes and newlines would break the row. */
export const cell = (value: unknown): string => show(value).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

const pct = (share: number | null) => (share === null ? "n/a" : `${Math.round(share * 1000) / 10}%`);

/** One line per diff of a `changed` finding, else the finding's message. */
export function findingDetail(f: Finding): string {
  if (!f.diffs?.length) return f.message;
  return f.diffs.map((d) => `${show(d.declared)} declared → ${show(d.live)} live (${d.source})`).join("; ");
}

/** Findings as a Markdown table, with the diffs of `changed` ones. */
export function findingsTableMarkdown(findings: readonly Finding[], withCi = true): string {
  const head = withCi ? "| Severity | Kind | CI | Attribute | Declared | Live | Details |\n|---|---|---|---|---|---|---|" : "| Severity | Kind | Attribute | Declared | Live | Details |\n|---|---|---|---|---|---|";
  const rows = findings.map((f) => {
    const d = f.diffs?.[0];
    const ci = withCi ? ` ${cell(f.ci.name)} (\`${cell(f.key)}\`) |` : "";
    return `| ${f.severity} | ${f.kind} |${ci} ${cell(f.attribute ?? "")} | ${d ? cell(d.declared) : ""} | ${d ? `${cell(d.live)} (${d.source})` : ""} | ${cell(f.message)} |`;
  });
  return `${head}\n${rows.join("\n")}\n`;
}

export function coverageMarkdown(report: DriftReport): string {
  const c = report.coverage;
  const lines = [`IaC coverage: ${pct(c.machines)} of live machines and ${pct(c.cis)} of all live CIs are declared in Terraform.`];
  if (c.scopes.length > 0) {
    lines.push("", "| Source | Scope | Machines managed | CIs managed |", "|---|---|---|---|");
    for (const s of c.scopes) {
      lines.push(`| ${s.source} | ${cell(s.scope)} | ${s.managedMachines}/${s.machines} | ${s.managedCis}/${s.cis} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export function driftMarkdown(report: DriftReport): string {
  const parts = [`# Drift report\n\nGenerated ${report.generatedAt}: ${report.findings.length} finding(s).\n`];
  if (report.findings.length > 0) parts.push(findingsTableMarkdown(report.findings));
  if (report.ignored.length > 0) parts.push(`${report.ignored.length} finding(s) ignored by rules.\n`);
  for (const e of report.expiredIgnores) parts.push(`Ignore rule \`${e.rule}\` (${e.origin}) expired on ${e.expired}: what it covered is reported again.\n`);
  parts.push(`## Coverage\n\n${coverageMarkdown(report)}`);
  return parts.join("\n");
}
