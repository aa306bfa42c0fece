import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { ingestAnsibleFacts, ingestAnsibleInventory } from "../sources/ansible/ingest.js";
import { ingestTerraform } from "../sources/terraform/ingest.js";
import { walk } from "../graph/walk.js";
import { listCis, stats } from "../store/queries.js";
import { CmdbError, UsageError } from "../util/errors.js";
import { summarizeIngest } from "./ingest.js";
import { renderStats, renderTree } from "./render.js";
import { globals } from "./context.js";
import { withStore } from "./store-context.js";
import { table } from "../util/table.js";

function examplesDir(flag: string | undefined): string {
  if (flag) {
    if (!existsSync(join(flag, "terraform"))) throw new UsageError("is not an examples directory (it has no terraform/ folder)", { where: flag, hint: "pass the examples/ folder of a gitops-cmdb clone" });
    return resolve(flag);
  }
  // dist/cli.js and src/cli/demo-run.ts both sit two levels below the package root
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "examples"))) return join(dir, "examples");
    dir = dirname(dir);
  }
  throw new CmdbError("cannot find the examples directory", { hint: "pass --examples DIR" });
}

export async function runDemo(command: Command, flag: string | undefined): Promise<void> {
  const dir = examplesDir(flag);
  const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  await withStore(command, async ({ store, settings }) => {
    out(`gitops-cmdb demo: ingesting the example infrastructure in ${dir} into ${store.engine.label}\n`);
    const tfDir = join(dir, "terraform");
    for (const file of readdirSync(tfDir).filter((f) => f.endsWith(".tfstate")).sort()) {
      const workspace = file.replace(/\.tfstate$/, "");
      for (const r of await ingestTerraform(store, { input: join(tfDir, file), workspace, settings, proxmoxCluster: "homelab", acceptOlderSerial: true })) {
        out(summarizeIngest(r));
      }
    }
    // The package root, so that scopes read `ansible:examples/ansible/…` wherever the demo runs from.
    const root = dirname(dir);
    const ansibleDir = join(dir, "ansible");
    if (existsSync(ansibleDir)) {
      out(summarizeIngest(await ingestAnsibleInventory(store, [join(ansibleDir, "inventory.yml")], { settings, cwd: root })));
      out(summarizeIngest(await ingestAnsibleFacts(store, join(ansibleDir, "facts"), { settings, cwd: root })));
    }
    const cis = await listCis(store.engine);
    out(`\nWhat the CMDB knows (${cis.length} CIs):\n`);
    out(table(["ID", "TYPE", "NAME", "STATUS", "PROVIDER", "ENV", "SOURCES"], cis.map((c) => [c.id, c.type, c.name, c.status, c.provider, c.environment, c.sources.join(",")])));
    const machines = cis.filter((c) => c.sources.length > 1);
    if (machines.length > 0) {
      out(`\n${machines.length} machines are described by several sources and joined into one CI each (strong keys: MAC, SMBIOS UUID, machine-id):\n`);
      out(table(["ID", "NAME", "SOURCES"], machines.map((c) => [c.id, c.name, c.sources.join(", ")])));
    }
    const vm = cis.find((c) => c.type === "virtual_machine" && c.provider === "aws" && c.status === "active") ?? cis.find((c) => c.type === "virtual_machine");
    if (vm) {
      out(`\nWhat ${vm.name} depends on (cmdb deps ${vm.id}):\n`);
      out(renderTree(await walk(store.engine, vm.id, "deps", 3)));
    }
    out(`\n${renderStats(await stats(store.engine))}`);
    // Lines that work as printed, from the clone: `npx cmdb` runs the package's own CLI (or `npm link` once for `cmdb`).
    const db = globals(command).db;
    const cmdb = `npx cmdb${db ? ` --db ${/^[\w./:@-]+$/.test(db) ? db : JSON.stringify(db)}` : ""}`;
    const example = vm ?? cis[0];
    out(
      [
        "\nTry (`npx cmdb` from this clone, or `cmdb` after `npm link`):",
        `  ${cmdb} ci list --type virtual_machine`,
        ...(example ? [`  ${cmdb} ci show ${example.id}`, `  ${cmdb} impact ${example.id}`] : []),
        `  ${cmdb} changes --since 1h`,
        `  ${cmdb} snapshot export -o cmdb-snapshot.json`,
      ].join("\n"),
    );
  });
}
