/**
 * Ansible inventory source: reads static inventories (INI, YAML/JSON, directories of them, with
 * group_vars/ and host_vars/) exactly as ansible-core 2.14's `ansible-inventory` does.
 *
 * - `loadInventory(paths)`: what `ansible-inventory -i P… --list` / `--host H` print, vault values
 *   as `{"__ansible_vault": …}`.
 * - `loadInventoryRedacted(paths)`: the same with vault values and secret variables replaced by
 *   REDACTED — the only form the ingest may keep.
 * - `transformInventory` (source "ansible"), `transformFactsFiles` / `transformFacts` (source
 *   "ansible-facts"), `transformPlaybook` (source "ansible-playbook", the callback's document):
 *   pure, to ObservationBatch. `buildDynamicInventory`: CMDB CIs as Ansible's `--list` JSON.
 */
import type { SourceImplementation } from "../contract.js";
import { UsageError } from "../../util/errors.js";
import { readInput, requirePath } from "../../util/input.js";
import { readInventorySources } from "./get.js";
import { ingestAnsibleFacts, ingestAnsibleInventory, ingestAnsiblePlaybook } from "./ingest.js";
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

export { type InventoryView, INVENTORY_SOURCE, transformInventory } from "./inventory-observe.js";
export { type Facts, factsSchema, parseFacts } from "./facts-schema.js";
export { FACTS_SOURCE, type FactsTarget, transformFacts, transformFactsFiles } from "./facts-transform.js";
export { type FactsFile, readFactsInput } from "./facts-get.js";
export { PLAYBOOK_FORMAT, PLAYBOOK_SOURCE, type PlaybookDocument, parsePlaybookDocument, playbookDocumentSchema, transformPlaybook } from "./playbook.js";
export { ansibleHostOf, buildDynamicInventory, type DynamicInventory, defaultGroups, hostNameOf, type InventoryCi, safeGroupName } from "./dynamic-inventory.js";
export { absolutePath, inventoryScope, stablePath } from "./scope.js";
export { ansibleDynamicInventory, ingestAnsibleFacts, ingestAnsibleInventory, ingestAnsiblePlaybook, inventoryCis } from "./ingest.js";

export const implementation: SourceImplementation = {
  async ingest(command, { argument, options }) {
    if (command === "ansible-facts") {
      const path = argument!;
      requirePath(path, "give a facts JSON file, - for stdin, or a fact-cache directory");
      const { host, prefix, scope } = options as { host?: string; prefix?: string; scope?: string };
      return {
        kind: "runs",
        run: async ({ store, settings }) => [
          await ingestAnsibleFacts(store, path, { settings, ...(host ? { host } : {}), ...(prefix ? { prefix } : {}), ...(scope ? { scope } : {}) }),
        ],
      };
    }
    if (command === "ansible-playbook") {
      const report = argument ?? "-";
      const text = await readInput(report, { usage: true });
      return { kind: "runs", run: async ({ store, settings }) => [await ingestAnsiblePlaybook(store, text, report === "-" ? "stdin" : report, { settings })] };
    }
    const inventory = options.inventory as string[];
    if (inventory.length === 0) throw new UsageError("at least one -i/--inventory is required", { hint: "cmdb ingest ansible -i inventory/hosts.yml" });
    // A comma makes a host list, as in Ansible; anything else is a path.
    for (const path of inventory) if (!path.includes(",")) requirePath(path, "give an inventory file or directory, or a comma-separated host list");
    return { kind: "runs", warnOnStderr: true, run: async ({ store, settings }) => [await ingestAnsibleInventory(store, inventory, { settings })] };
  },
};
