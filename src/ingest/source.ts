import type { ReconcileSettings } from "../config/schema.js";
import { type IngestResult, ingestBatch } from "../reconcile/ingest.js";
import type { Sql } from "../store/engine.js";
import type { Store } from "../store/store.js";
import type { IngestContext, LiveTask } from "../discover/task.js";
import { ingestInOrder } from "../discover/task.js";
import type { KeyLookup, SourceDefinition, SourceRun } from "../sources/contract.js";
import { CmdbError, UsageError } from "../util/errors.js";

/** The store's answers to a source's `link`: how many CIs carry a key, and a key naming one CI. */
export function storeKeyLookup(sql: Sql): KeyLookup {
  return {
    async owners(keys) {
      const out = new Map<string, number>();
      if (keys.length === 0) return out;
      const rows = await sql.query<{ key: string; n: number | string }>(
        `SELECT k AS key, count(DISTINCT o.ci_id) AS n
           FROM observation o CROSS JOIN LATERAL unnest(o.keys) AS k
          WHERE o.status = 'present' AND k = ANY($1::text[])
          GROUP BY k`,
        [keys],
      );
      for (const r of rows) out.set(r.key, Number(r.n));
      return out;
    },
    async keyOfCi(idOrName) {
      const byName = await sql.query<{ id: string }>("SELECT id FROM ci WHERE status <> 'retired' AND (id = $1 OR lower(name) = lower($1)) ORDER BY (id = $1) DESC, id", [idOrName]);
      const exact = byName.find((r) => r.id === idOrName);
      const ci = exact ?? (byName.length === 1 ? byName[0] : undefined);
      if (!ci) return undefined;
      // A key of this CI that no other CI carries: strong keys first.
      const rows = await sql.query<{ key: string; strong: boolean }>(
        `SELECT k AS key, bool_or(k = ANY(o.strong_keys)) AS strong
           FROM observation o CROSS JOIN LATERAL unnest(o.keys) AS k
          WHERE o.ci_id = $1 AND o.status = 'present'
            AND NOT EXISTS (SELECT 1 FROM observation x WHERE x.ci_id <> $1 AND x.status = 'present' AND x.keys @> ARRAY[k])
          GROUP BY k ORDER BY bool_or(k = ANY(o.strong_keys)) DESC, k`,
        [ci.id],
      );
      return rows[0]?.key;
    },
  };
}

export interface SourceIngestOptions {
  settings: ReconcileSettings;
  env?: NodeJS.ProcessEnv;
  onProgress?: (message: string) => void;
}

/** `cmdb ingest <name>` for a source of the registry, from the library: its command line's options, checked by the source. */
export async function ingestSource(store: Store, source: SourceDefinition, cliOptions: Record<string, unknown>, options: SourceIngestOptions): Promise<IngestResult[]> {
  const plan = await (await source.load()).ingest(source.name, {
    options: cliOptions,
    ...(options.env ? { env: options.env } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  if (plan.kind !== "runs") throw new UsageError(`${source.name} is collected live: run it with cmdb ingest ${source.name} or cmdb discover`);
  return plan.run({ store, settings: options.settings });
}

/**
 * A source's run as `cmdb ingest <name>` runs it: collect, draw its edges with what the store
 * knows, then one transaction per batch. A collection that fails ingests nothing.
 */
export async function ingestRun(store: Store, run: SourceRun, options: SourceIngestOptions): Promise<IngestResult[]> {
  let collected = await run.collect({ env: options.env ?? process.env, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  if (collected.errors.length > 0) {
    const first = collected.errors[0]!;
    throw new CmdbError(`${first.message}${collected.errors.length > 1 ? ` (and ${collected.errors.length - 1} more)` : ""}`, { where: first.where });
  }
  if (run.link) collected = await run.link(collected, storeKeyLookup(store.engine));
  const results: IngestResult[] = [];
  for (const batch of collected.batches) results.push(await ingestBatch(store, batch, { settings: options.settings }));
  return results;
}

/**
 * A source's run as one task of `cmdb discover`: collect, then (with the store open) draw its
 * edges and ingest its batches in order. A failed collection is recorded against the scopes the
 * source reported before, so that `cmdb runs` shows them failed; nothing is marked gone.
 */
export function sourceTask(name: string, run: SourceRun, env: NodeJS.ProcessEnv): LiveTask {
  let linkState: unknown;
  return {
    source: name,
    label: name,
    waitingOn: `waiting on ${name}`,
    async collect({ signal, onProgress }) {
      const collected = await run.collect({ env, onProgress: (m) => onProgress(m.replace(new RegExp(`^${name}: `), "")), ...(signal ? { signal } : {}) });
      linkState = collected.linkState;
      return { batches: collected.batches, errors: collected.errors };
    },
    async ingest(collected, context: IngestContext) {
      const linked = run.link ? await run.link({ ...collected, linkState }, storeKeyLookup(context.store.engine)) : collected;
      const out = await ingestInOrder(linked.batches, context);
      return { results: out.results, errors: [...linked.errors, ...out.errors] };
    },
    async failedScopes(collected, context) {
      if (collected && collected.batches.length > 0) return [];
      const known = await context.store.scopesOf(context.store.engine, name);
      return known.length > 0 ? known.map((s) => s.scope) : [`${name}:(not collected)`];
    },
  };
}
