import type { Command } from "commander";
import { type IngestCommand, ingestCommands, type SourceDefinition, type SourceOption } from "../sources/contract.js";
import { SOURCES } from "../sources/registry.js";
import { terminalSafe } from "../util/terminal.js";
import { globals, print } from "./context.js";
import { summarizeIngest } from "./ingest.js";
import { collect, count } from "./option-parsers.js";

function addOption(command: Command, option: SourceOption): void {
  if (option.value === "list") command.option(option.flags, option.description, collect, []);
  else if (option.value === "count") command.option(option.flags, option.description, count);
  else command.option(option.flags, option.description);
}

/** `cmdb ingest <name>` for every command of every source of the registry, as its definition declares it. */
export function registerSourceIngest(ingest: Command): void {
  for (const source of SOURCES as readonly SourceDefinition[]) for (const spec of ingestCommands(source)) registerCommand(ingest, source, spec);
}

function registerCommand(ingest: Command, source: SourceDefinition, spec: IngestCommand): void {
  const command = ingest.command(spec.name).description(spec.description);
  if (spec.argument) command.argument(spec.argument.name, spec.argument.description, spec.argument.default);
  for (const option of spec.options) addOption(command, option);
  command.option("--json", spec.output === "summary" ? "print the summary as JSON" : "print the run's result as JSON").action(async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    const { json, ...options } = args.at(-2) as Record<string, unknown>;
    const argument = spec.argument ? (args[0] as string | undefined) : undefined;
    const plan = await (await source.load()).ingest(spec.name, { ...(argument !== undefined ? { argument } : {}), argumentGiven: cmd.args.length > 0, options });
    if (plan.kind === "live") {
      const { runLive } = await import("../discover/command.js");
      await runLive(globals(cmd), json === true, plan.tasks);
      return;
    }
    const { withStore } = await import("./store-context.js");
    const results = await withStore(cmd, (ctx) => plan.run(ctx));
    if (plan.warnOnStderr) for (const r of results) for (const warning of r.warnings) process.stderr.write(`cmdb: warning: ${terminalSafe(warning)}\n`);
    print(results.length === 1 ? results[0] : results, json === true, () => results.map(summarizeIngest).join("\n"));
  });
}
