import { type Command, InvalidArgumentError } from "commander";
import { print } from "./context.js";

const depth = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
  return n;
};

/** Commands that read the CMDB: ci list/show, deps, impact, changes, runs, stats. */
export function registerQueries(program: Command): void {
  const ci = program.command("ci").description("list and show configuration items");

  ci.command("list")
    .description("list CIs, optionally filtered")
    .option("--type <type>", "CI type (server, virtual_machine, subnet, …)")
    .option("--provider <provider>", "provider (aws, proxmox, …)")
    .option("--status <status>", "active, missing or retired")
    .option("--environment <env>", "environment")
    .option("--tag <key[=value]>", "CIs carrying this tag (and value)")
    .option("--source <source>", "CIs currently reported by this source (terraform, proxmox, ssh, …)")
    .option("--json", "print a JSON array")
    .action(async (opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { listCis } = await import("../store/queries.js");
      const { table } = await import("./table.js");
      const rows = await withStore(command, ({ store }) => listCis(store.engine, opts));
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
      const detail = await withStore(command, async ({ store }) => ciDetail(store.engine, (await resolveCi(store.engine, idOrKey)).id));
      print(detail, opts.json, () => renderCi(detail));
    });

  for (const direction of ["deps", "impact"] as const) {
    program
      .command(direction)
      .description(direction === "deps" ? "what a CI depends on, transitively" : "what depends on a CI: who breaks if it fails")
      .argument("<id|key>", "a CI id or identity key")
      .option("--depth <n>", "hops to follow", depth, 3)
      .option("--json", "print JSON")
      .action(async (idOrKey: string, opts, command: Command) => {
        const { withStore } = await import("./store-context.js");
        const { resolveCi } = await import("../store/queries.js");
        const { walk } = await import("../graph/walk.js");
        const { renderTree } = await import("./render.js");
        const nodes = await withStore(command, async ({ store }) => walk(store.engine, (await resolveCi(store.engine, idOrKey)).id, direction, opts.depth));
        print(nodes, opts.json, () => renderTree(nodes));
      });
  }

  program
    .command("changes")
    .description("what changed: every source's differences, CI status changes and relationships")
    .option("--since <time|run>", "an ISO time, a relative age (24h, 7d) or a run id (changes after that run)")
    .option("--ci <id|key>", "only this CI")
    .option("--json", "print JSON")
    .action(async (opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { changesSince, resolveCi } = await import("../store/queries.js");
      const { parseSince, renderChanges } = await import("./render.js");
      const rows = await withStore(command, async ({ store }) => {
        const ciId = opts.ci ? (await resolveCi(store.engine, opts.ci)).id : undefined;
        return changesSince(store.engine, parseSince(opts.since), ciId);
      });
      print(rows, opts.json, () => renderChanges(rows));
    });

  program
    .command("runs")
    .description("ingest and discovery runs, newest first")
    .option("--source <source>", "only this source")
    .option("--scope <scope>", "only this scope")
    .option("--limit <n>", "how many", depth, 50)
    .option("--json", "print JSON")
    .action(async (opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { listRuns } = await import("../store/queries.js");
      const { renderRuns } = await import("./render.js");
      const rows = await withStore(command, ({ store }) => listRuns(store.engine, opts));
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
      const s = await withStore(command, ({ store }) => stats(store.engine));
      print(s, opts.json, () => renderStats(s));
    });
}
