import type { ReconcileSettings } from "../../config/schema.js";
import { MACHINE_TYPES } from "../../model/index.js";
import { ingestBatch, type IngestResult, newRunId, recordFailure } from "../../reconcile/ingest.js";
import {
  absolutePath,
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
  transformFactsFiles,
  transformInventory,
  transformPlaybook,
} from "./source.js";
import { machineCis } from "../../store/queries.js";
import type { Store } from "../../store/store.js";

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

/** `cmdb ingest ansible-facts PATH`: a setup output (file or -) or a fact-cache directory, scoped to its absolute path. */
export async function ingestAnsibleFacts(
  store: Store,
  path: string,
  options: Common & { host?: string; scope?: string; prefix?: string; stdin?: NodeJS.ReadableStream },
): Promise<IngestResult> {
  const scope = `${FACTS_SOURCE}:${options.scope ?? (path === "-" ? (options.host ? `stdin/${options.host}` : "stdin") : absolutePath(path, options.cwd ?? process.cwd()))}`;
  let batch: ReturnType<typeof transformFactsFiles>;
  try {
    const input = await readFactsInput(path, { ...(options.stdin ? { stdin: options.stdin } : {}), ...(options.prefix ? { prefix: options.prefix } : {}) });
    const files = input.files.map((f) => ({ ...(f.host ? { host: f.host } : {}), where: f.where, facts: parseFacts(f.document, f.where) }));
    batch = transformFactsFiles(files, scope, options.host ? { host: options.host } : {});
    if (input.notes.length > 0) batch = { ...batch, warnings: [...(batch.warnings ?? []), ...input.notes] };
    if (input.unreadable.length > 0) {
      batch = {
        ...batch,
        complete: false,
        warnings: [...(batch.warnings ?? []), ...input.unreadable.map((u) => `${u.where}: cannot read these facts (${u.reason}): the run is partial and retires no host`)],
      };
    }
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
  return machineCis(store.engine, [...MACHINE_TYPES]);
}

export async function ansibleDynamicInventory(store: Store): Promise<DynamicInventory> {
  return buildDynamicInventory(await inventoryCis(store));
}
