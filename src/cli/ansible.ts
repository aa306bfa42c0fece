import type { Command } from "commander";
import { terminalSafe } from "../util/terminal.js";
import { UsageError } from "../util/errors.js";
import { collect } from "./option-parsers.js";

/** Recursively sorted keys, as ansible-inventory prints them (sort_keys=True). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const json = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof json === "function") return sortKeys(json.call(value));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** `cmdb ansible …`: Ansible inventories as ansible-core reads them. */
export function registerAnsible(program: Command): void {
  const ansible = program.command("ansible").description("Ansible inventories and facts");
  ansible
    .command("parse")
    .description("print an inventory as `ansible-inventory --list` (or `--host NAME`) would, without needing Ansible")
    .option("-i, --inventory <path>", "inventory file, directory or comma-separated host list (repeatable)", collect, [])
    .option("--host <name>", "print the variables of one host")
    .option("--list", "print the whole inventory (default)")
    .action(async (options: { inventory: string[]; host?: string; list?: boolean }) => {
      if (options.inventory.length === 0) throw new UsageError("at least one -i/--inventory is required", { hint: "cmdb ansible parse -i inventory.ini" });
      if (options.host !== undefined && options.list) throw new UsageError("--host and --list are mutually exclusive");
      const { loadInventory } = await import("../sources/ansible/source.js");
      const inventory = await loadInventory(options.inventory);
      for (const warning of inventory.warnings) process.stderr.write(`cmdb: warning: ${terminalSafe(warning)}\n`);
      const output = options.host === undefined ? inventory.list() : inventory.hostVars(options.host);
      process.stdout.write(`${JSON.stringify(sortKeys(output), null, 4)}\n`);
    });
  ansible
    .command("inventory")
    .description("dynamic inventory for Ansible from the CMDB's active machines (script inventory: --list / --host NAME)")
    .option("--list", "print every host and group with _meta.hostvars (default)")
    .option("--host <name>", "print the variables of one host")
    .action(async (options: { host?: string; list?: boolean }, command: Command) => {
      if (options.host !== undefined && options.list) throw new UsageError("--host and --list are mutually exclusive");
      const { withStore } = await import("./store-context.js");
      const { ansibleDynamicInventory } = await import("../sources/ansible/ingest.js");
      const inventory = await withStore(command, ({ store }) => ansibleDynamicInventory(store), { existing: true });
      const output = options.host === undefined ? inventory : (inventory._meta.hostvars[options.host] ?? {});
      process.stdout.write(`${JSON.stringify(sortKeys(output), null, 2)}\n`);
    });
}
