import { table } from "../util/table.js";
import { formatDuration } from "../config/duration.js";
import type { DiscoveryReport } from "./run.js";

/** The table printed at the end of a run: one row per source, then its errors and warnings. */
export function renderSummary(report: DiscoveryReport): string {
  const rows = report.sources.map((s) => [
    s.label,
    s.failedScopes.length > 0 ? `${s.scopes} (+${s.failedScopes.length} failed)` : s.scopes,
    s.seen,
    s.new,
    s.changed,
    s.gone,
    s.errors.length,
    formatDuration(s.durationMs),
    s.ok ? "ok" : "FAILED",
  ]);
  let out = table(["SOURCE", "SCOPES", "SEEN", "NEW", "CHANGED", "GONE", "ERRORS", "TIME", "RESULT"], rows);
  const problems: string[] = [];
  for (const s of report.sources) {
    for (const e of s.errors) problems.push(`error    ${s.label}: ${e.where}: ${e.message}`);
    for (const w of s.warnings) problems.push(`warning  ${s.label}: ${w.where}: ${w.message}`);
  }
  if (problems.length > 0) out += `\n${problems.join("\n")}\n`;
  const failed = report.sources.filter((s) => !s.ok).length;
  out += `\n${failed === 0 ? "all sources collected" : `${failed} of ${report.sources.length} source(s) failed; their scopes without a batch were recorded as failed and retired nothing`} (${formatDuration(report.durationMs)})\n`;
  return out;
}
