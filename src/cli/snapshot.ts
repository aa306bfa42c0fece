import type { Command } from "commander";
import { print } from "./context.js";

export function registerSnapshot(program: Command): void {
  const snapshot = program.command("snapshot").description("canonical JSON of the whole CMDB, for Git");

  snapshot
    .command("export")
    .description("print (or write) the snapshot: sorted, without volatile fields, byte-identical while nothing changes")
    .option("-o, --output <file>", "write to this file instead of stdout")
    .action(async (opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { exportSnapshot } = await import("../store/snapshot.js");
      const text = await withStore(command, ({ store }) => exportSnapshot(store.engine), { existing: true });
      if (opts.output) {
        const { writeFileSync } = await import("node:fs");
        const { fileError } = await import("../util/errors.js");
        try {
          writeFileSync(opts.output, text, { mode: 0o600 });
        } catch (error) {
          throw fileError(error, opts.output, "write");
        }
      } else {
        process.stdout.write(text);
      }
    });

  snapshot
    .command("import")
    .description("load a snapshot into an empty store")
    .argument("<file>", "a snapshot written by `cmdb snapshot export` (- for stdin)")
    .option("--replace", "empty a non-empty store first")
    .option("--json", "print the result as JSON")
    .action(async (file: string, opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { importSnapshot } = await import("../store/snapshot.js");
      const { readInput } = await import("../util/input.js");
      const text = await readInput(file, { usage: true });
      const result = await withStore(command, ({ store }) => importSnapshot(store, text, file, { replace: opts.replace }));
      print(result, opts.json, () => `imported ${result.cis} CIs and ${result.relationships} relationships (${result.runId})`);
    });
}
