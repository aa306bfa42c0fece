import { type Command, InvalidArgumentError, Option } from "commander";
import { CI_TYPES } from "../model/ci-types.js";
import { UsageError } from "../util/errors.js";
import { print } from "./context.js";

const wholeNumber = (min: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number, ${min} or more`);
  return n;
};

const STATUSES = ["active", "missing", "retired"];

/** `--source` names one of the sources the CMDB knows; anything else would only ever match nothing. */
async function checkSource(source: string | undefined): Promise<void> {
  if (source === undefined) return;
  const { DEFAULT_PRECEDENCE } = await import("../config/schema.js");
  if (!DEFAULT_PRECEDENCE.includes(source)) {
    throw new UsageError(`option '--source <source>' argument '${source}' is invalid`, { hint: `one of ${DEFAULT_PRECEDENCE.join(", ")}` });
  }
}

/** Commands that read the CMDB: ci list/show, deps, impact, changes, runs, stats. None of them creates a store. */
export function registerQueries(program: Command): void {
  const ci = program.command("ci").description("list and show configuration items");

  ci.command("list")
    .description("list CIs, optionally filtered")
    .addOption(new Option("--type <type>", "CI type").choices(Object.keys(CI_TYPES)))
    .option("--provider <provider>", "provider (aws, proxmox, …)")
    .addOption(new Option("--status <status>", "CI status").choices(STATUSES))
    .option("--environment <env>", "environment")
    .option("--tag <key[=value]>", "CIs carrying this tag (and value)")
    .option("--source <source>", "CIs currently reported by this source (terraform, proxmox, ssh, …)")
    .option("--json", "print a JSON array")
    .action(async (opts, command: Command) => {
      await checkSource(opts.source);
      const { withStore } = await import("./store-context.js");
      const { listCis } = await import("../store/queries.js");
      const { table } = await import("../util/table.js");
      const rows = await withStore(command, ({ store }) => listCis(store.engine, opts), { existing: true });
      print(rows, opts.json, () =>
        rows.length === 0
          ? "no CIs match\n"
          : table(
              ["ID", "TYPE", "NAME", "STATUS", "PROVIDER", "ENV", "SOURCES"],
              rows.map((r) => [r.id, r.type, r.name, r.status, r.provider, r.environment, r.sources.join(",")]),
            ),
      );
    });

  ci.command("show")
    .description("show one CI: effective values, every source's observation, relationships")
    .argument("<id|key>", "a CI id or an identity key such as terraform:aws_instance.web[0] or hostname:web1")
    .option("--json", "print JSON")
    .action(async (idOrKey: string, opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { ciDetail, resolveCi } = await import("../store/queries.js");
      const { renderCi } = await import("./render.js");
      const detail = await withStore(command, async ({ store }) => ciDetail(store.engine, (await resolveCi(store.engine, idOrKey)).id), { existing: true });
      print(detail, opts.json, () => renderCi(detail));
    });

  for (const direction of ["deps", "impact"] as const) {
    program
      .command(direction)
      .description(direction === "deps" ? "what a CI depends on, transitively" : "what depends on a CI: who breaks if it fails")
      .argument("<id|key>", "a CI id or identity key")
      .option("--depth <n>", "hops to follow", wholeNumber(0), 3)
      .option("--json", "print JSON")
      .action(async (idOrKey: string, opts, command: Command) => {
        const { withStore } = await import("./store-context.js");
        const { resolveCi } = await import("../store/queries.js");
        const { walk } = await import("../graph/walk.js");
        const { renderTree } = await import("./render.js");
        const nodes = await withStore(
          command,
          async ({ store }) => walk(store.engine, (await resolveCi(store.engine, idOrKey)).id, direction, opts.depth),
          { existing: true },
        );
        print(nodes, opts.json, () => renderTree(nodes));
      });
  }

  program
    .command("changes")
    .description("what changed: every source's differences, CI status changes and relationships")
    .option("--since <time|age|run>", "an ISO time, a relative age (24h, 7d) or a run id (changes after that run)")
    .option("--ci <id|key>", "only this CI")
    .option("--json", "print JSON")
    .action(async (opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { changesSince, resolveCi } = await import("../store/queries.js");
      const { parseSince, renderChanges } = await import("./render.js");
      const since = parseSince(opts.since);
      const rows = await withStore(
        command,
        async ({ store }) => {
          const ciId = opts.ci ? (await resolveCi(store.engine, opts.ci)).id : undefined;
          return changesSince(store.engine, since, ciId);
        },
        { existing: true },
      );
      print(rows, opts.json, () => renderChanges(rows));
    });

  program
    .command("runs")
    .description("ingest and discovery runs, newest first; --prune removes what mistakes left behind")
    .option("--source <source>", "only this source")
    .option("--scope <scope>", "only this scope")
    .option("--limit <n>", "how many", wholeNumber(1), 50)
    .option("--prune", "remove the scopes that never completed a run and report nothing (an ingest of a wrong path), with their runs")
    .option("--json", "print JSON")
    .action(async (opts, command: Command) => {
      await checkSource(opts.source);
      const { withStore } = await import("./store-context.js");
      if (opts.prune) {
        const { pruneFailedScopes } = await import("../store/scopes.js");
        const pruned = await withStore(command, ({ store }) => pruneFailedScopes(store, opts), { existing: true });
        print(pruned, opts.json, () =>
          pruned.length === 0 ? "nothing to prune\n" : `pruned ${pruned.length} scope(s):\n${pruned.map((p) => `  ${p.source} ${p.scope}`).join("\n")}\n`,
        );
        return;
      }
      const { listRuns } = await import("../store/queries.js");
      const { renderRuns } = await import("./render.js");
      const rows = await withStore(command, ({ store }) => listRuns(store.engine, opts), { existing: true });
      print(rows, opts.json, () => renderRuns(rows));
    });

  program
    .command("stats")
    .description("counts, and each source+scope's last complete run and its freshness")
    .option("--json", "print JSON")
    .action(async (opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { stats } = await import("../store/queries.js");
      const { renderStats } = await import("./render.js");
      const s = await withStore(command, ({ store }) => stats(store.engine), { existing: true });
      print(s, opts.json, () => renderStats(s));
    });
}
