import type { Command } from "commander";

/**
 * `cmdb demo`: ingests the example infrastructure shipped in examples/ (Terraform state, an Ansible
 * inventory and facts, recorded Proxmox VE answers replayed on loopback, a Bitwarden export) into
 * the store (the embedded one by default), shows drift and due credentials, and writes a health
 * report and a diagram.
 */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("ingest the example infrastructure in examples/, show drift and due credentials, write a report and a diagram")
    .option("--examples <dir>", "the examples directory", "")
    .option("--out <dir>", "where the health report and the diagram go", "cmdb-demo")
    .action(async (opts, command: Command) => {
      const { runDemo } = await import("./demo-run.js");
      await runDemo(command, { ...(opts.examples ? { examples: opts.examples } : {}), out: opts.out });
    });
}
