import type { GraphCi } from "./types.js";

/**
 * Something to flag on a CI in a diagram or report. Stale marks are computed here from the store;
 * drift and credential findings come from the findings that produce them, in this same shape.
 */
export interface Mark {
  ciId: string;
  kind: "drift" | "stale" | "credential" | (string & {});
  severity?: "info" | "low" | "medium" | "high" | "critical";
  title?: string;
  /** What sort of finding within its kind (a drift finding's kind, a credential's `overdue`/`due-soon`): the report counts by it. */
  category?: string;
}

export const DEFAULT_STALE_AFTER_MS = 7 * 86_400_000;

/** Why a CI is stale, or undefined: missing or retired, or not seen by any source for longer than `staleAfterMs`. */
export function staleReason(ci: Pick<GraphCi, "status" | "lastSeen">, now: Date, staleAfterMs: number): string | undefined {
  if (ci.status === "missing") return "missing: no source reports it";
  if (ci.status === "retired") return "retired";
  if (ci.lastSeen === null) return "never seen by a source";
  const age = now.getTime() - Date.parse(ci.lastSeen);
  if (age > staleAfterMs) return `not seen for ${Math.floor(age / 3_600_000)} h`;
  return undefined;
}

export function staleMarks(cis: readonly Pick<GraphCi, "id" | "status" | "lastSeen">[], now: Date, staleAfterMs = DEFAULT_STALE_AFTER_MS): Mark[] {
  const marks: Mark[] = [];
  for (const ci of cis) {
    const reason = staleReason(ci, now, staleAfterMs);
    if (reason) marks.push({ ciId: ci.id, kind: "stale", severity: ci.status === "active" ? "low" : "medium", title: reason });
  }
  return marks;
}
