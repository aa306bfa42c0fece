import type { RotationReport } from "./findings.js";

const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : "unknown");
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The rotation report as Markdown: a table of due credentials, then the systems each one opens. */
export function rotationMarkdown(report: RotationReport): string {
  const overdue = report.credentials.filter((c) => c.status === "overdue").length;
  const soon = report.credentials.length - overdue;
  const lines = [`# Credential rotation as of ${day(report.asOf)}`, "", `${overdue} overdue, ${soon} due within ${report.within}.`, ""];
  if (report.credentials.length > 0) {
    lines.push("| Status | Due | Credential | Owner | Last rotated | Policy | Systems |", "| --- | --- | --- | --- | --- | --- | --- |");
    for (const c of report.credentials) {
      lines.push(
        `| ${c.status} | ${day(c.due)} | ${cell(c.name)} | ${cell(c.owner ?? "")} | ${day(c.lastRotated)} | ${cell(c.policy)} | ${cell(c.systems.map((s) => s.name).join(", "))} |`,
      );
    }
    for (const c of report.credentials.filter((x) => x.systems.length > 0)) {
      lines.push("", `## ${cell(c.name)}`, "");
      for (const s of c.systems) {
        lines.push(`- ${cell(s.name)} (${s.type})`);
        for (const d of s.dependents) lines.push(`${"  ".repeat(d.depth)}- ${cell(d.name)} (${d.type})`);
      }
    }
  }
  if (report.undated.length > 0) lines.push("", `Not dated (no rotation, creation or expiry date): ${report.undated.map((u) => cell(u.name)).join(", ")}.`);
  return `${lines.join("\n")}\n`;
}
