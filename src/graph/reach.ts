import type { Sql } from "../store/engine.js";
import { byCodePoint } from "../util/order.js";
import { FORWARD_TYPES, REVERSE_TYPES } from "./walk.js";

/**
 * Every present dependency edge as "needer -> needed", whatever the status of its CIs (callers drop
 * retired ones): one scan of the relationships.
 */
export async function dependencyEdges(sql: Sql): Promise<{ needer: string; needed: string }[]> {
  return sql.query<{ needer: string; needed: string }>(
    `SELECT DISTINCT CASE WHEN type = ANY($2::text[]) THEN to_ci ELSE from_ci END AS needer,
                     CASE WHEN type = ANY($2::text[]) THEN from_ci ELSE to_ci END AS needed
       FROM relationship WHERE status = 'present' AND (type = ANY($1::text[]) OR type = ANY($2::text[])) AND from_ci <> to_ci`,
    [FORWARD_TYPES, REVERSE_TYPES],
  );
}

export interface Reach {
  id: string;
  /** CIs that need it, directly or through others. */
  dependents: number;
  /** Of those, the ones that `counts` (production CIs, for single points of failure). */
  counted: number;
}

/**
 * For every CI that something needs: how many CIs its failure reaches (transitively), and how many
 * of those satisfy `counts`. A breadth-first walk per CI over the reversed edges: infrastructure
 * graphs are shallow, so this stays near linear in practice.
 */
export function reach(edges: readonly { needer: string; needed: string }[], counts: (id: string) => boolean): Reach[] {
  const neededBy = new Map<string, string[]>();
  for (const e of edges) {
    const list = neededBy.get(e.needed);
    if (list) list.push(e.needer);
    else neededBy.set(e.needed, [e.needer]);
  }
  const out: Reach[] = [];
  for (const id of [...neededBy.keys()].sort(byCodePoint)) {
    const seen = new Set<string>([id]);
    const queue = [id];
    let counted = 0;
    for (let i = 0; i < queue.length; i++) {
      for (const next of neededBy.get(queue[i]!) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
        if (counts(next)) counted++;
      }
    }
    out.push({ id, dependents: seen.size - 1, counted });
  }
  return out;
}
