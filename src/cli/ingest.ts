import type { Command } from "commander";
import type { IngestResult } from "../reconcile/ingest.js";
import { terminalLines } from "../util/terminal.js";
import { registerAnsibleIngest } from "./ansible.js";
import { print } from "./context.js";
import { registerLiveIngest } from "./ingest-live.js";
import { registerSourceIngest } from "./ingest-source.js";

export function summarizeIngest(r: IngestResult): string {
  const c = r.counts;
  const parts = [`${c.seen} seen`, `${c.new} new`, `${c.changed} changed`, `${c.gone} gone`];
  if (c.missing) parts.push(`${c.missing} now missing`);
  if (c.retired) parts.push(`${c.retired} retired`);
  parts.push(`${c.relationshipsAdded} relationships added`, `${c.relationshipsRemoved} removed`);
  const head = `${r.source} ${r.scope}: ${parts.join(", ")} (${r.outcome}, ${r.runId}, ${r.durationMs} ms)`;
  return terminalLines([head, ...r.warnings.map((w) => `  warning: ${w}`)]);
}

/** `cmdb ingest <source>`: one source, one run, one transaction. */
export function registerIngest(program: Command): void {
  const ingest = program.command("ingest").description("ingest one source into the CMDB");

  ingest
    .command("terraform")
    .description("ingest Terraform state: a file, - for stdin, an HTTP backend URL, or s3://bucket/key")
    .argument("[state]", "terraform.tfstate, `terraform state pull` or `terraform show -json` output", "terraform.tfstate")
    .option("--workspace <name>", "the Terraform workspace (default: $TF_WORKSPACE or default)")
    .option("--proxmox-cluster <name>", "the Proxmox cluster the state's guests live in, so they join live discovery by proxmox.vm key")
    .option("--force", "ingest an older serial, or a new lineage for a known workspace")
    .option("--dir <dir>", "read the state the configuration in DIR names (its backend block: local, s3 or http) instead of [state]")
    .option("--destroying <hook-id>", "the cmdb-register hook being destroyed: leave it and what it watches out, so they go gone")
    .option("--json", "print the run's result as JSON")
    .action(async (input: string, opts, command: Command) => {
      const { requirePath } = await import("./input.js");
      if (opts.dir !== undefined && command.args.length > 0) {
        const { UsageError } = await import("../util/errors.js");
        throw new UsageError(`give either a state (${command.args[0]}) or --dir, not both`, { where: "--dir" });
      }
      if (opts.dir === undefined) requirePath(input, "give the path of terraform.tfstate, `-` for stdin, an http(s):// backend URL or s3://bucket/key", { file: true });
      // The backend is found before any store is opened: a wrong directory leaves no failed run behind.
      const located =
        opts.dir === undefined
          ? undefined
          : await (await import("../sources/terraform/backend.js")).stateOfDirectory(opts.dir, opts.workspace ? { workspace: opts.workspace } : {});
      const { withStore } = await import("./store-context.js");
      const { ingestTerraform } = await import("../ingest/terraform.js");
      const results = await withStore(command, ({ store, settings }) =>
        ingestTerraform(store, {
          input,
          workspace: opts.workspace,
          proxmoxCluster: opts.proxmoxCluster,
          force: opts.force,
          settings,
          ...(located ? { dir: located } : {}),
          ...(opts.destroying ? { destroying: opts.destroying } : {}),
        }),
      );
      print(results.length === 1 ? results[0] : results, opts.json, () => results.map(summarizeIngest).join("\n"));
    });

  registerLiveIngest(ingest);
  registerAnsibleIngest(ingest);
  registerSourceIngest(ingest);
}
