import type { Command } from "commander";
import { discoveredSources } from "../sources/registry.js";
import { globals } from "./context.js";
import { collect } from "./option-parsers.js";

/** `cmdb discover`: every live source the configuration names, collected in parallel, then reconciled. */
export function registerDiscover(program: Command): void {
  program
    .command("discover")
    .description(`collect the sources in the configuration's sources: section (${discoveredSources().map((s) => s.name).join(", ")}) in parallel and ingest them`)
    .option("--only <source>", "only this source: proxmox, ec2 or ssh (repeatable)", collect, [])
    .option("--json", "print the summary as JSON")
    .addHelpText("after", "\nExit status: 0 when every source was collected, 1 when one failed (the others still land), 2 when the configuration is wrong.")
    .action(async (opts: { only: string[]; json?: boolean }, command: Command) => {
      const { runLive, discoverTasks } = await import("../discover/command.js");
      await runLive(globals(command), opts.json === true, (ctx) => discoverTasks(ctx, opts.only));
    });
}
