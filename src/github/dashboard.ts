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
  // One block per issue, kept on one page: a heading never parts from its items unless they alone pass the limit.
  const blocks = entries.map((e) => ["", `### ${e.number ? `#${e.number} ` : ""}${e.title}`, ...e.items.map((item) => `- ${item.summary ?? item.line}`)]);
  const pages: string[][] = [[intro.trimEnd()]];
  let size = pages[0]![0]!.length;
  const room = (lines: string[]) => lines.reduce((n, l) => n + l.length + 1, 0);
  for (const block of blocks) {
    if (size + room(block) > limit && pages[pages.length - 1]!.length > 0) {
      pages.push([]);
      size = 0;
    }
    for (const line of block) {
      if (size + line.length + 1 > limit && pages[pages.length - 1]!.length > 0) {
        pages.push([]);
        size = 0;
      }
      pages[pages.length - 1]!.push(line.length > limit ? `${line.slice(0, limit - 1)}…` : line);
      size += line.length + 1;
    }
  }
  return pages.map((p, i) => ({
    title: i === 0 ? title : `${title} (page ${i + 1})`,
    body: `${pages.length > 1 ? `Page ${i + 1} of ${pages.length}.\n\n` : ""}${p.join("\n").trim()}\n`,
  }));
}
