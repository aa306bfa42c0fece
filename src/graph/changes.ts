import type { Sql } from "../store/engine.js";
import { date } from "../store/rows.js";
import { CmdbError } from "../util/errors.js";
import { byCodePoint } from "../util/order.js";

/** What changed in the graph after a point in time: the input of a `--since` diagram. */
export interface GraphChanges {
  /** The point compared against (ISO). */
  since: string;
  /** CIs created after it. */
  added: string[];
  /** CIs that were not retired then and are retired now: drawn as removed. */
  removed: string[];
  /** Other CIs with recorded changes after it, and which fields changed. */
  changed: { id: string; fields: string[] }[];
  addedEdges: { from: string; to: string; type: string }[];
  removedEdges: { from: string; to: string; type: string }[];
}

/** A point to compare against: a time, or a run (the graph as that run left it). */
export async function resolvePoint(sql: Sql, since: { time?: Date; runId?: string }): Promise<Date> {
  if (since.runId) {
    const [run] = await sql.query<{ started_at: Date | string }>("SELECT started_at FROM run WHERE id = $1", [since.runId]);
    if (!run) throw new CmdbError(`no run ${since.runId}`, { hint: "see `cmdb runs` for run ids" });
    // A run stamps everything it writes with its start; "after the run" is strictly later.
    return date(run.started_at);
  }
  if (since.time) return since.time;
  throw new CmdbError("a point in time or a run is needed to compare against");
}

/**
 * Compares the graph now with the graph at `at`, from the CI creation times, the recorded changes
 * and each relationship's first and last sighting.
 */
export async function graphChanges(sql: Sql, at: Date): Promise<GraphChanges> {
  const iso = at.toISOString();
  const added = await sql.query<{ id: string }>("SELECT id FROM ci WHERE created_at > $1", [iso]);
  const addedSet = new Set(added.map((r) => r.id));
  // The status a CI had at `at` is the old value of its first status change after it.
  const removed = await sql.query<{ id: string }>(
    `SELECT ci.id FROM ci
      WHERE ci.status = 'retired' AND ci.created_at <= $1
        AND (SELECT ch.old_value #>> '{}' FROM change ch WHERE ch.ci_id = ci.id AND ch.field = 'status' AND ch.at > $1 ORDER BY ch.id LIMIT 1) IS DISTINCT FROM 'retired'
        AND EXISTS (SELECT 1 FROM change ch WHERE ch.ci_id = ci.id AND ch.field = 'status' AND ch.at > $1)`,
    [iso],
  );
  const removedSet = new Set(removed.map((r) => r.id));
  const changed = await sql.query<{ ci_id: string; fields: string[] }>(
    `SELECT ch.ci_id, array_agg(DISTINCT ch.field) AS fields FROM change ch
      WHERE ch.at > $1 AND ch.field NOT IN ('created', 'relationship', 'observed') GROUP BY ch.ci_id`,
    [iso],
  );
  const edges = await sql.query<{ type: string; from_ci: string; to_ci: string; present_now: boolean }>(
    `SELECT type, from_ci, to_ci, bool_or(status = 'present') AS present_now FROM relationship
      GROUP BY type, from_ci, to_ci
     HAVING bool_or(status = 'present') <> bool_or(first_seen <= $1 AND (gone_at IS NULL OR gone_at > $1))`,
    [iso],
  );
  const edge = (r: { type: string; from_ci: string; to_ci: string }) => ({ from: r.from_ci, to: r.to_ci, type: r.type });
  const byEdge = (a: { from: string; to: string; type: string }, b: { from: string; to: string; type: string }) =>
    byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to) || byCodePoint(a.type, b.type);
  return {
    since: iso,
    added: [...addedSet].sort(byCodePoint),
    removed: [...removedSet].sort(byCodePoint),
    changed: changed
      .filter((r) => !addedSet.has(r.ci_id) && !removedSet.has(r.ci_id))
      .map((r) => ({ id: r.ci_id, fields: [...r.fields].sort(byCodePoint) }))
      .sort((a, b) => byCodePoint(a.id, b.id)),
    addedEdges: edges.filter((r) => r.present_now).map(edge).sort(byEdge),
    removedEdges: edges.filter((r) => !r.present_now).map(edge).sort(byEdge),
  };
}
