import { type Command, InvalidArgumentError, Option } from "commander";

const whole = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
  return n;
};

/** `cmdb diagram`: the CMDB, or a CI's dependencies or impact, as Mermaid, DOT or SVG. */
export function registerDiagram(program: Command): void {
  program
    .command("diagram")
    .description("draw the CMDB (or what a CI needs, or who needs it) as Mermaid, Graphviz DOT or SVG")
    .addOption(new Option("--format <format>", "output format").choices(["mermaid", "dot", "svg"]).default("mermaid"))
    .option("-o, --output <file>", "write to this file instead of stdout")
    .option("--root <id|key>", "only this CI and what it needs (--direction down) or who needs it (up)")
    .option("--depth <n>", "hops from the root", whole, 3)
    .addOption(new Option("--direction <dir>", "down: what the root needs; up: who breaks if it fails").choices(["down", "up"]).default("down"))
    .option("--type <type>", "only CIs of this type")
    .option("--provider <provider>", "only CIs of this provider")
    .option("--environment <env>", "only CIs of this environment")
    .option("--status <status>", "only CIs of this status (retired CIs are left out unless asked for)")
    .option("--tag <key[=value]>", "only CIs carrying this tag")
    .option("--source <source>", "only CIs a source reports now")
    .addOption(
      new Option("--group-by <grouping>", "draw clusters").choices([
        "none",
        "environment",
        "provider",
        "type",
        "proxmox-cluster",
        "proxmox-node",
        "aws-account",
        "aws-vpc",
        "aws-subnet",
        "ansible-group",
      ]),
    )
    .option("--since <time|age|run>", "highlight what was added, removed and changed since then (an ISO time, 24h, 7d, or a run id)")
    .option("--marks <file>", "more marks from a JSON array { ciId, kind, severity?, title? } (open drift findings and due credentials come from the store)")
    .option("--stale-after <duration>", "mark CIs not seen for longer than this as stale", "7d")
    .option("--all", "also draw bookkeeping: Terraform workspaces, MANAGED_BY edges, retired CIs")
    .action(async (opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { resolveCi } = await import("../store/queries.js");
      const { drawDiagram } = await import("../report/diagram/draw.js");
      const { parseSince } = await import("./render.js");
      const { parseDuration } = await import("../config/duration.js");
      const { UsageError } = await import("../util/errors.js");
      const staleAfterMs = parseDuration(opts.staleAfter);
      if (staleAfterMs === undefined) throw new UsageError(`--stale-after: ${JSON.stringify(opts.staleAfter)} is not a duration (use e.g. 24h, 7d)`);
      const since = opts.since ? parseSince(opts.since) : undefined;
      let marks: import("../graph/marks.js").Mark[] = [];
      if (opts.marks) {
        const { readInput } = await import("../util/input.js");
        const { parseMarks } = await import("../report/marks-file.js");
        marks = parseMarks(await readInput(opts.marks), opts.marks);
      }
      const filter = Object.fromEntries(
        (["type", "provider", "environment", "status", "tag", "source"] as const).filter((k) => opts[k] !== undefined).map((k) => [k, opts[k] as string]),
      );
      const { storedMarks } = await import("../report/stored-marks.js");
      const drawn = await withStore(command, async ({ store, config }) => {
        const root = opts.root
          ? { id: (await resolveCi(store.engine, opts.root)).id, depth: opts.depth as number, direction: opts.direction === "up" ? ("impact" as const) : ("deps" as const) }
          : undefined;
        return drawDiagram(store.engine, opts.format, {
          scope: { filter, ...(root ? { root } : {}), ...(opts.all ? { all: true } : {}) },
          ...(opts.groupBy ? { groupBy: opts.groupBy } : {}),
          ...(since ? { since } : {}),
          marks: [...(await storedMarks(store.engine, { now: new Date(), ...(config.rotation ? { rotation: config.rotation } : {}) })), ...marks],
          staleAfterMs,
        });
      }, { existing: true });
      if (opts.output) {
        const { writeOutput } = await import("./output.js");
        writeOutput(opts.output, drawn.text);
        const notes = [`${drawn.nodes} nodes, ${drawn.edges} edges`];
        if (drawn.collapsedCis > 0) notes.push(`${drawn.collapsedCis} leaf CIs collapsed into counted nodes`);
        if (drawn.parts > 1) notes.push(`split into ${drawn.parts} linked parts (Markdown)`);
        process.stderr.write(`wrote ${opts.output}: ${notes.join("; ")}\n`);
      } else {
        process.stdout.write(drawn.text);
      }
    });
}
