import type { ReconcileSettings } from "../config/schema.js";
import { MACHINE_TYPES } from "../model/index.js";
import { ingestBatch, type IngestResult, newRunId, recordFailure } from "../reconcile/ingest.js";
import {
  buildDynamicInventory,
  type DynamicInventory,
  FACTS_SOURCE,
  INVENTORY_SOURCE,
  type InventoryCi,
  inventoryScope,
  loadInventoryRedacted,
  parseFacts,
  parsePlaybookDocument,
  readFactsInput,
  stablePath,
  transformFactsFiles,
  transformInventory,
  transformPlaybook,
} from "../sources/ansible/index.js";
import type { Store } from "../store/store.js";

interface Common {
  settings: ReconcileSettings;
  now?: Date;
  /** Directory paths are made relative to (default: the process's). */
  cwd?: string;
}

/** A collection that failed before any batch existed: recorded as a failed run, then rethrown. Nothing lands. */
async function failed(store: Store, source: string, scope: string, error: unknown): Promise<never> {
  const started = new Date();
  await recordFailure(store, source, scope, newRunId(started), started, error);
  throw error;
}

/** `cmdb ingest ansible -i …`: one complete batch per inventory (several -i are one inventory, as in Ansible). */
export async function ingestAnsibleInventory(store: Store, paths: string[], options: Common): Promise<IngestResult> {
  const scope = inventoryScope(paths, options.cwd ?? process.cwd());
  let batch: ReturnType<typeof transformInventory>;
  try {
    batch = transformInventory(await loadInventoryRedacted(paths), scope);
  } catch (error) {
    return failed(store, INVENTORY_SOURCE, scope, error);
  }
  return ingestBatch(store, batch, { settings: options.settings, ...(options.now ? { now: options.now } : {}) });
}

/** `cmdb ingest ansible-facts PATH`: a setup output (file or -) or a fact-cache directory, scoped to that path. */
export async function ingestAnsibleFacts(
  store: Store,
  path: string,
  options: Common & { host?: string; scope?: string; prefix?: string; stdin?: NodeJS.ReadableStream },
): Promise<IngestResult> {
  const scope = `${FACTS_SOURCE}:${options.scope ?? (path === "-" ? (options.host ? `stdin/${options.host}` : "stdin") : stablePath(path, options.cwd ?? process.cwd()))}`;
  let batch: ReturnType<typeof transformFactsFiles>;
  try {
    const input = await readFactsInput(path, { ...(options.stdin ? { stdin: options.stdin } : {}), ...(options.prefix ? { prefix: options.prefix } : {}) });
    const files = input.files.map((f) => ({ ...(f.host ? { host: f.host } : {}), where: f.where, facts: parseFacts(f.document, f.where) }));
    batch = transformFactsFiles(files, scope, options.host ? { host: options.host } : {});
  } catch (error) {
    return failed(store, FACTS_SOURCE, scope, error);
  }
  return ingestBatch(store, batch, { settings: options.settings, ...(options.now ? { now: options.now } : {}) });
}

/** `cmdb ingest ansible-playbook FILE|-`: the callback plugin's document for one playbook run. */
export async function ingestAnsiblePlaybook(store: Store, text: string, where: string, options: Common): Promise<IngestResult> {
  const doc = parsePlaybookDocument(text, where);
  const batch = transformPlaybook(doc, where);
  return ingestBatch(store, batch, { settings: options.settings, ...(options.now ? { now: options.now } : {}) });
}

/** The active machine CIs with their effective values, as the dynamic inventory reads them. */
export async function inventoryCis(store: Store): Promise<InventoryCi[]> {
  const rows = await store.engine.query<Omit<InventoryCi, "keys" | "sources"> & { all_keys: string[]; all_sources: string[] }>(
    `SELECT ci.id, ci.type, ci.name, ci.status, ci.environment, ci.provider, ci.tags, ci.attributes,
        COALESCE((SELECT array_agg(DISTINCT k ORDER BY k) FROM observation o, unnest(o.keys) k WHERE o.ci_id = ci.id AND o.status = 'present'), '{}') AS all_keys,
        COALESCE((SELECT array_agg(DISTINCT o.source ORDER BY o.source) FROM observation o WHERE o.ci_id = ci.id AND o.status = 'present'), '{}') AS all_sources
       FROM ci WHERE ci.status = 'active' AND ci.type = ANY($1::text[]) ORDER BY ci.id`,
    [[...MACHINE_TYPES]],
  );
  return rows.map(({ all_keys, all_sources, ...ci }) => ({ ...ci, tags: ci.tags ?? {}, attributes: ci.attributes ?? {}, keys: all_keys, sources: all_sources }));
}

export async function ansibleDynamicInventory(store: Store): Promise<DynamicInventory> {
  return buildDynamicInventory(await inventoryCis(store));
}
