import type { Command } from "commander";
import { terminalSafe } from "../util/terminal.js";
import { UsageError } from "../util/errors.js";
import { print } from "./context.js";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

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
      const { loadInventory } = await import("../sources/ansible/index.js");
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
      const { ansibleDynamicInventory } = await import("../ingest/ansible.js");
      const inventory = await withStore(command, ({ store }) => ansibleDynamicInventory(store), { existing: true });
      const output = options.host === undefined ? inventory : (inventory._meta.hostvars[options.host] ?? {});
      process.stdout.write(`${JSON.stringify(sortKeys(output), null, 2)}\n`);
    });
}

/** `cmdb ingest ansible | ansible-facts | ansible-playbook`. */
export function registerAnsibleIngest(ingest: Command): void {
  ingest
    .command("ansible")
    .description("ingest an Ansible inventory: hosts, groups (ansible_group CIs) and MEMBER_OF edges, variables redacted")
    .option("-i, --inventory <path>", "inventory file, directory or host list (repeatable; several form one inventory, as in Ansible)", collect, [])
    .option("--json", "print the run's result as JSON")
    .action(async (opts: { inventory: string[]; json?: boolean }, command: Command) => {
      if (opts.inventory.length === 0) throw new UsageError("at least one -i/--inventory is required", { hint: "cmdb ingest ansible -i inventory/hosts.yml" });
      const { requirePath } = await import("../util/input.js");
      // A comma makes a host list, as in Ansible; anything else is a path.
      for (const path of opts.inventory) if (!path.includes(",")) requirePath(path, "give an inventory file or directory, or a comma-separated host list");
      const { withStore } = await import("./store-context.js");
      const { ingestAnsibleInventory } = await import("../ingest/ansible.js");
      const { summarizeIngest } = await import("./ingest.js");
      const result = await withStore(command, ({ store, settings }) => ingestAnsibleInventory(store, opts.inventory, { settings }));
      for (const warning of result.warnings) process.stderr.write(`cmdb: warning: ${terminalSafe(warning)}\n`);
      print(result, opts.json ?? false, () => summarizeIngest(result));
    });
  ingest
    .command("ansible-facts")
    .description("ingest Ansible facts: `ansible -m setup` output (file or -), or a jsonfile fact-cache / --tree directory")
    .argument("<path>", "facts JSON file, - for stdin, or a directory with one file per host")
    .option("--host <name>", "the inventory host name of a single facts file (default: the facts' host name)")
    .option("--prefix <prefix>", "fact_caching_prefix of the cache directory")
    .option("--scope <name>", "scope name instead of the path (e.g. when reading stdin)")
    .option("--json", "print the run's result as JSON")
    .action(async (path: string, opts: { host?: string; prefix?: string; scope?: string; json?: boolean }, command: Command) => {
      const { requirePath } = await import("../util/input.js");
      requirePath(path, "give a facts JSON file, - for stdin, or a fact-cache directory");
      const { withStore } = await import("./store-context.js");
      const { ingestAnsibleFacts } = await import("../ingest/ansible.js");
      const { summarizeIngest } = await import("./ingest.js");
      const result = await withStore(command, ({ store, settings }) =>
        ingestAnsibleFacts(store, path, {
          settings,
          ...(opts.host ? { host: opts.host } : {}),
          ...(opts.prefix ? { prefix: opts.prefix } : {}),
          ...(opts.scope ? { scope: opts.scope } : {}),
        }),
      );
      print(result, opts.json ?? false, () => summarizeIngest(result));
    });
  ingest
    .command("ansible-playbook")
    .description("ingest one playbook run as written by the gitops_cmdb.cmdb.cmdb callback plugin (file or - for stdin)")
    .argument("[report]", "the callback's JSON document", "-")
    .option("--json", "print the run's result as JSON")
    .action(async (report: string, opts: { json?: boolean }, command: Command) => {
      const { readInput } = await import("../util/input.js");
      const text = await readInput(report, { usage: true });
      const { withStore } = await import("./store-context.js");
      const { ingestAnsiblePlaybook } = await import("../ingest/ansible.js");
      const { summarizeIngest } = await import("./ingest.js");
      const result = await withStore(command, ({ store, settings }) => ingestAnsiblePlaybook(store, text, report === "-" ? "stdin" : report, { settings }));
      print(result, opts.json ?? false, () => summarizeIngest(result));
    });
}
