import type { Sql } from "./engine.js";
import type { Store } from "./store.js";

export interface ScopeRef {
  source: string;
  scope: string;
}

/**
 * Removes the scopes that never completed a run and report nothing: what a mistake leaves behind
 * (a path that could not be read, a host that never answered). Their runs go with them; a scope
 * that reports anything, or ever completed, is kept. Returns the scopes removed.
 */
export async function pruneFailedScopes(store: Store, filter: { source?: string; scope?: string } = {}): Promise<ScopeRef[]> {
  return store.engine.transaction(async (tx) => {
    await store.lockForIngest(tx);
    const doomed = await tx.query<ScopeRef>(
      `SELECT s.source, s.scope FROM scope_state s
        WHERE s.last_complete_run_id IS NULL
          AND ($1::text IS NULL OR s.source = $1) AND ($2::text IS NULL OR s.scope = $2)
          AND NOT EXISTS (SELECT 1 FROM observation o WHERE o.source = s.source AND o.scope = s.scope)
          AND NOT EXISTS (SELECT 1 FROM relationship r WHERE r.source = s.source AND r.scope = s.scope)
          AND NOT EXISTS (SELECT 1 FROM run r WHERE r.source = s.source AND r.scope = s.scope AND r.outcome <> 'failed')
        ORDER BY s.source, s.scope`,
      [filter.source ?? null, filter.scope ?? null],
    );
    if (doomed.length > 0) await deleteScopes(tx, doomed, true);
    return doomed;
  });
}

/** Forgets a scope's bookkeeping (its state and pending edges; with `runs`, its run history too). */
async function deleteScopes(tx: Sql, scopes: ScopeRef[], runs: boolean): Promise<void> {
  const list = JSON.stringify(scopes);
  const match = "USING jsonb_to_recordset($1::jsonb) AS x(source text, scope text) WHERE t.source = x.source AND t.scope = x.scope";
  if (runs) await tx.query(`DELETE FROM run t ${match}`, [list]);
  await tx.query(`DELETE FROM pending_relationship t ${match}`, [list]);
  await tx.query(`DELETE FROM scope_state t ${match}`, [list]);
}

/**
 * After a scope's last, empty, complete run has marked everything it reported gone (so its CIs
 * follow the usual missing → retired rules and every change is recorded), the scope itself is
 * forgotten: `cmdb stats` no longer lists it. Its runs and gone observations stay as history.
 */
export async function forgetScope(store: Store, ref: ScopeRef): Promise<void> {
  await store.engine.transaction(async (tx) => {
    await store.lockForIngest(tx);
    await deleteScopes(tx, [ref], false);
  });
}
