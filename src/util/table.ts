import { terminalSafe } from "./terminal.js";

/** A plain text table: columns padded to their widest cell, no borders, friendly to grep and CI logs. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  // Escaped before measuring: a cell is one line of known width whatever it holds.
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "" : terminalSafe(String(c)))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? "").padEnd(widths[i]!))).join("  ").trimEnd()).join("\n")}\n`;
}
