import type { Command } from "commander";

/**
 * `cmdb demo`: ingests the example infrastructure shipped in examples/ into the store (the
 * embedded one by default) and shows what the CMDB made of it.
 */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("ingest the example infrastructure in examples/ and show what the CMDB found")
    .option("--examples <dir>", "the examples directory", "")
    .action(async (opts, command: Command) => {
      const { runDemo } = await import("./demo-run.js");
      await runDemo(command, opts.examples || undefined);
    });
}
