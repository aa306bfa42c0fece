import type { IssueItem } from "./types.js";

/** GitHub refuses an issue body over 65,536 characters; pages stay well under it, marker included. */
export const BODY_LIMIT = 65_536;
const PAGE_LIMIT = BODY_LIMIT - 4_096;

export interface DashboardEntry {
  title: string;
  /** The group's issue, when it has one. */
  number: number | null;
  items: IssueItem[];
}

/**
 * The dashboard's pages, as Renovate keeps its Dependency Dashboard: counts on top, then every open
 * item under the issue that carries it; split into pages before GitHub's body limit.
 */
export function dashboardPages(title: string, intro: string, entries: readonly DashboardEntry[], limit = PAGE_LIMIT): { title: string; body: string }[] {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push("", `### ${e.number ? `#${e.number} ` : ""}${e.title}`);
    for (const item of e.items) lines.push(`- ${item.summary ?? item.line}`);
  }
  const pages: string[][] = [[intro.trimEnd()]];
  let size = pages[0]![0]!.length;
  for (const line of lines) {
    const room = line.length + 1;
    if (size + room > limit && pages[pages.length - 1]!.length > 1) {
      pages.push([]);
      size = 0;
    }
    pages[pages.length - 1]!.push(line.length > limit ? `${line.slice(0, limit - 1)}…` : line);
    size += room;
  }
  return pages.map((p, i) => ({
    title: i === 0 ? title : `${title} (page ${i + 1})`,
    body: `${pages.length > 1 ? `Page ${i + 1} of ${pages.length}.\n\n` : ""}${p.join("\n").trim()}\n`,
  }));
}
