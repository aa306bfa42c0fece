/**
 * Ansible inventory source: reads static inventories (INI, YAML/JSON, directories of them, with
 * group_vars/ and host_vars/) exactly as ansible-core 2.14's `ansible-inventory` does.
 *
 * - `loadInventory(paths)`: what `ansible-inventory -i P… --list` / `--host H` print, vault values
 *   as `{"__ansible_vault": …}`.
 * - `loadInventoryRedacted(paths)`: the same with vault values and secret variables replaced by
 *   REDACTED — the only form the ingest may keep.
 */
import { readInventorySources } from "./get.js";
import { type AnsibleList, buildInventory, type ParsedInventory, redactHostVars, redactList } from "./transform.js";
import type { VarsDict } from "./values.js";

export type { AnsibleList, ParsedInventory, SourceSnapshot } from "./transform.js";
export { buildInventory, redactHostVars, redactList } from "./transform.js";
export { readInventorySources } from "./get.js";
export { UnsafeValue, VaultValue } from "./values.js";

export async function loadInventory(paths: string[]): Promise<ParsedInventory> {
  return buildInventory(await readInventorySources(paths));
}

export interface RedactedInventory {
  list: AnsibleList;
  hostVars(name: string): VarsDict;
  warnings: string[];
}

export async function loadInventoryRedacted(paths: string[]): Promise<RedactedInventory> {
  const inventory = await loadInventory(paths);
  return {
    list: redactList(inventory.list()),
    hostVars: (name) => redactHostVars(inventory.hostVars(name)),
    warnings: inventory.warnings,
  };
}
