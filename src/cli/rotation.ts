import { type Command, InvalidArgumentError } from "commander";

const repo = (value: string) => {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(value)) throw new InvalidArgumentError("expected OWNER/REPO");
  return value;
};

/** `cmdb rotation`: credentials overdue or due soon, as of now or of a date. */
export function registerRotation(program: Command): void {
  program
    .command("rotation")
    .description("list credentials overdue for rotation or due within a window (from `cmdb ingest bitwarden`)")
    .option("--within <duration>", "how far ahead to look (default: rotation.within in the configuration, else 14d)")
    .option("--as-of <date>", "as of this date or time instead of now (plan ahead: --as-of 2026-12-31)")
    .option("--json", "print { asOf, within, credentials: [...], undated: [...] }")
    .option("--markdown", "print a Markdown report")
    .option("--issues", "print the GitHub issues to keep (title, body, labels, assignees, fingerprint) as JSON")
    .option("--check", "exit 1 when a credential is overdue")
    .option("--github <owner/repo>", "keep one GitHub issue per due credential, closed once it is rotated (token from GITHUB_TOKEN or GH_TOKEN; GITHUB_API_URL for Enterprise)", repo)
    .option("--dry-run", "with --github: print every issue write with its body and send none")
    .action(async (opts, command: Command) => {
      const { parseDuration } = await import("../config/duration.js");
      const { UsageError } = await import("../util/errors.js");
      const formats = ["json", "markdown", "issues"].filter((f) => opts[f]);
      if (formats.length > 1) throw new UsageError(`--${formats.join(" and --")} are different outputs: give one`);
      let withinMs: number | undefined;
      if (opts.within !== undefined) {
        withinMs = parseDuration(opts.within);
        if (withinMs === undefined) throw new UsageError(`--within: ${JSON.stringify(opts.within)} is not a duration (use e.g. 14d, 2w, 36h)`);
      }
      let asOf = new Date();
      if (opts.asOf !== undefined) {
        asOf = new Date(opts.asOf);
        if (Number.isNaN(asOf.getTime())) throw new UsageError(`--as-of: ${JSON.stringify(opts.asOf)} is not a date (use e.g. 2026-12-31 or 2026-12-31T18:00:00Z)`);
      }
      const { withStore } = await import("./store-context.js");
      const { readCredentials } = await import("../findings/rotation/read.js");
      const { rotationFindings } = await import("../findings/rotation/findings.js");
      const { rotationPolicy } = await import("../findings/rotation/policy.js");
      if (opts.dryRun && !opts.github) throw new UsageError("--dry-run only applies to --github");
      const { report, all, policy } = await withStore(command, async ({ store, config }) => {
        const policy = rotationPolicy(config.rotation);
        const all = await readCredentials(store.engine);
        const report = rotationFindings(all, policy, asOf, withinMs ?? policy.withinMs);
        if (opts.github) {
          const { rotationIssues } = await import("../findings/rotation/issues.js");
          const { rotationFingerprint } = await import("../findings/rotation/findings.js");
          const { syncRotationIssues } = await import("../github/rotation-issues.js");
          // A credential with no date to count from was not evaluated: its open issue stays open.
          const undated = new Set(report.undated.map((u) => u.id));
          const sync = await syncRotationIssues(store, rotationIssues(report.credentials, all, policy), {
            repo: opts.github,
            dryRun: opts.dryRun === true,
            held: all.filter((c) => undated.has(c.id)).map(rotationFingerprint),
            log: (line) => process.stderr.write(`${line}\n`),
          });
          if (sync.dryRunLog.length > 0) process.stderr.write(`${sync.dryRunLog.join("\n\n")}\n`);
        }
        return { report, all, policy };
      });
      if (opts.issues) {
        const { rotationIssues } = await import("../findings/rotation/issues.js");
        process.stdout.write(`${JSON.stringify(rotationIssues(report.credentials, all, policy), null, 2)}\n`);
      } else if (opts.markdown) {
        const { rotationMarkdown } = await import("../findings/rotation/report.js");
        process.stdout.write(rotationMarkdown(report));
      } else if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const { table } = await import("../util/table.js");
        const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "-");
        const head =
          report.credentials.length === 0
            ? `no credential is overdue or due within ${report.within} as of ${day(report.asOf)}\n`
            : table(
                ["STATUS", "DUE", "NAME", "OWNER", "LAST ROTATED", "POLICY", "SYSTEMS", "ID"],
                report.credentials.map((c) => [c.status, day(c.due), c.name, c.owner ?? "-", day(c.lastRotated), c.policy, c.systems.map((s) => s.name).join(", ") || "-", c.id]),
              );
        const undated = report.undated.length > 0 ? `${report.undated.length} credential(s) have no date to count from: ${report.undated.map((u) => u.name).join(", ")}\n` : "";
        process.stdout.write(head + undated);
      }
      if (opts.check && report.credentials.some((c) => c.status === "overdue")) process.exitCode = 1;
    });
}
