import type { Command } from "commander";
import { SOURCES } from "../sources/registry.js";
import { print } from "./context.js";
import { summarizeIngest } from "./ingest.js";

/** `cmdb ingest <name>` for every source of the registry, with the options its definition lists. */
export function registerSourceIngest(ingest: Command): void {
  for (const source of SOURCES) {
    const command = ingest.command(source.name).description(source.description);
    for (const option of source.options) command.option(option.flags, option.description);
    command.option("--json", "print the run's result as JSON").action(async (opts: Record<string, unknown>, cmd: Command) => {
      const { withStore } = await import("./store-context.js");
      const { ingestSource } = await import("../ingest/source.js");
      const { json, ...options } = opts;
      const results = await withStore(cmd, ({ store, settings }) => ingestSource(store, source, options, { settings }));
      print(results.length === 1 ? results[0] : results, json === true, () => results.map(summarizeIngest).join("\n"));
    });
  }
}
