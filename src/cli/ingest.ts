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
    .option("--json", "print the run's result as JSON")
    .action(async (input: string, opts, command: Command) => {
      const { requirePath } = await import("../util/input.js");
      requirePath(input, "give the path of terraform.tfstate, `-` for stdin, an http(s):// backend URL or s3://bucket/key", { file: true });
      const { withStore } = await import("./store-context.js");
      const { ingestTerraform } = await import("../ingest/terraform.js");
      const results = await withStore(command, ({ store, settings }) =>
        ingestTerraform(store, { input, workspace: opts.workspace, proxmoxCluster: opts.proxmoxCluster, force: opts.force, settings }),
      );
      print(results.length === 1 ? results[0] : results, opts.json, () => results.map(summarizeIngest).join("\n"));
    });

  registerLiveIngest(ingest);
  registerAnsibleIngest(ingest);
  registerSourceIngest(ingest);
}
