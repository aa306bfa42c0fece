import { type Command, Option } from "commander";

/** `cmdb report`: the health report as Markdown, HTML or JSON. */
export function registerReport(program: Command): void {
  program
    .command("report")
    .description("health report: inventory, coverage, freshness, conflicts, findings, dependencies, changes, runs")
    .addOption(new Option("--format <format>", "output format").choices(["md", "html", "json"]).default("md"))
    .option("-o, --output <file>", "write to this file instead of stdout")
    .option("--out <dir>", "write a dated file (health-YYYY-MM-DD.<ext>) and a latest.<ext> copy into this directory")
    .option("--github-summary", "also append the Markdown report to $GITHUB_STEP_SUMMARY")
    .option("--marks <file>", "more marks from a JSON array { ciId, kind, severity?, title? } (open drift findings and due credentials come from the store)")
    .option("--stale-after <duration>", "a CI not seen for longer than this is stale", "7d")
    .option("--fresh-within <duration>", "the freshness target", "24h")
    .option("--changes-within <duration>", "how far back recent changes and failed runs go", "7d")
    .action(async (opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { collectHealth, renderHealth } = await import("../report/health/index.js");
      const { parseDuration } = await import("../config/duration.js");
      const { UsageError } = await import("../util/errors.js");
      const { writeOutput } = await import("./output.js");
      const duration = (flag: string, value: string) => {
        const ms = parseDuration(value);
        if (ms === undefined) throw new UsageError(`${flag}: ${JSON.stringify(value)} is not a duration (use e.g. 24h, 7d)`);
        return ms;
      };
      const staleAfterMs = duration("--stale-after", opts.staleAfter);
      const freshWithinMs = duration("--fresh-within", opts.freshWithin);
      const recentChangesMs = duration("--changes-within", opts.changesWithin);
      if (opts.output && opts.out) throw new UsageError("-o and --out exclude each other", { hint: "use -o FILE for one file, or --out DIR for dated files and a latest copy" });
      const summaryFile = process.env.GITHUB_STEP_SUMMARY;
      if (opts.githubSummary && !summaryFile) throw new UsageError("--github-summary: GITHUB_STEP_SUMMARY is not set", { hint: "run it in a GitHub Actions job, or set the variable to a file" });
      let marks: import("../graph/marks.js").Mark[] = [];
      if (opts.marks) {
        const { readInput } = await import("../util/input.js");
        const { parseMarks } = await import("../report/marks-file.js");
        marks = parseMarks(await readInput(opts.marks), opts.marks);
      }
      const now = new Date();
      const { storedMarks } = await import("../report/stored-marks.js");
      const report = await withStore(command, async ({ store, config }) => {
        const all = [...(await storedMarks(store.engine, { now, ...(config.rotation ? { rotation: config.rotation } : {}) })), ...marks];
        return collectHealth(store.engine, { now, staleAfterMs, freshWithinMs, recentChangesMs, marks: all });
      }, { existing: true });
      const text = renderHealth(report, opts.format);
      if (opts.out) {
        const { join } = await import("node:path");
        const dated = join(opts.out, `health-${now.toISOString().slice(0, 10)}.${opts.format}`);
        writeOutput(dated, text);
        writeOutput(join(opts.out, `latest.${opts.format}`), text);
        process.stderr.write(`wrote ${dated} and latest.${opts.format}\n`);
      } else if (opts.output) {
        writeOutput(opts.output, text);
      } else {
        process.stdout.write(text);
      }
      if (opts.githubSummary && summaryFile) writeOutput(summaryFile, opts.format === "md" ? text : renderHealth(report, "md"), { append: true });
    });
}
