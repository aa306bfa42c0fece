import type { Command } from "commander";
import { CmdbError } from "../util/errors.js";
import { print } from "./context.js";

/** `cmdb scope remove SOURCE SCOPE`: stop tracking a scope nobody wants any more. */
export function registerScope(program: Command): void {
  const scope = program.command("scope").description("the scopes the CMDB tracks (see `cmdb stats`)");
  scope
    .command("remove")
    .description("stop tracking a scope: what it reported is marked gone (its CIs go missing unless another source reports them), then the scope is forgotten")
    .argument("<source>", "the source, as `cmdb stats` lists it (terraform, ansible, …)")
    .argument("<scope>", "the scope, as `cmdb stats` lists it")
    .option("--json", "print the run's result as JSON")
    .action(async (source: string, scopeName: string, opts: { json?: boolean }, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { ingestBatch } = await import("../reconcile/ingest.js");
      const { forgetScope } = await import("../store/scopes.js");
      const { summarizeIngest } = await import("./ingest.js");
      const result = await withStore(
        command,
        async ({ store, settings }) => {
          const known = await store.engine.transaction((tx) => store.scopeState(tx, source, scopeName));
          if (!known) {
            throw new CmdbError(`no scope ${JSON.stringify(scopeName)} of source ${source} is tracked`, { hint: "`cmdb stats` lists the scopes" });
          }
          const run = await ingestBatch(store, { source, scope: scopeName, complete: true, observations: [], relationships: [], meta: { removed: true } }, { settings });
          await forgetScope(store, { source, scope: scopeName });
          return run;
        },
        { existing: true },
      );
      print(result, opts.json ?? false, () => `${summarizeIngest(result)}\nremoved ${source} ${scopeName}`);
    });
}
