import type { Command } from "commander";
import { show } from "../findings/drift.js";
import type { DriftReport } from "../findings/evaluate.js";
import { type Severity, severityRank } from "../findings/types.js";
import { CmdbError, describeError, UsageError } from "../util/errors.js";
import { table } from "../util/table.js";

export interface DriftCliOptions {
  json?: boolean;
  markdown?: boolean;
  failOn: string;
  ignoreFile?: string;
  github?: string;
  dryRun?: boolean;
  sarif?: string;
  tfDir?: string;
}

/** Exit 0 when nothing reaches --fail-on, 1 when drift does, 2 on any error (CI gates read these). */
export async function runDrift(command: Command, opts: DriftCliOptions): Promise<void> {
  let failing: boolean;
  try {
    if (opts.json && opts.markdown) throw new UsageError("--json and --markdown are exclusive");
    if (opts.sarif && !opts.tfDir) throw new UsageError("--sarif needs --tf-dir", { hint: "name the directory of the .tf files, relative to the repository root" });
    const { withStore } = await import("./store-context.js");
    const { evaluateDrift, acknowledge } = await import("../findings/evaluate.js");
    const report = await withStore(command, async ({ store, config, settings }) => {
      const r = await evaluateDrift(store, config, settings, { ignoreFile: opts.ignoreFile, dryRun: opts.dryRun });
      if (opts.github) {
        const { syncDriftIssues } = await import("../github/drift-issues.js");
        const sync = await syncDriftIssues(store, r, { repo: opts.github, dryRun: opts.dryRun === true, log: (line) => process.stderr.write(`${line}\n`) });
        if (!opts.dryRun) await acknowledge(store, sync.acknowledged);
        if (sync.dryRunLog.length > 0) process.stderr.write(sync.dryRunLog.join("\n\n") + "\n");
      }
      return r;
    });
    if (opts.sarif && opts.tfDir) {
      const { locateResources } = await import("../findings/tf-locate.js");
      const { toSarif } = await import("../findings/sarif.js");
      const { writeFileSync } = await import("node:fs");
      const sarif = toSarif(report.findings, await locateResources(opts.tfDir), opts.tfDir);
      try {
        writeFileSync(opts.sarif, `${JSON.stringify(sarif, null, 2)}\n`);
      } catch (error) {
        throw new CmdbError(`cannot write the SARIF file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { where: opts.sarif });
      }
    }
    await write(report, opts);
    failing = report.findings.some((f) => reaches(f.severity, opts.failOn));
  } catch (error) {
    if (error instanceof CmdbError && error.exitCode === 2) throw error;
    throw new CmdbError(describeError(error), { exitCode: 2, cause: error });
  }
  if (failing) process.exitCode = 1;
}

function reaches(severity: Severity, failOn: string): boolean {
  if (failOn === "none") return false;
  if (failOn === "any") return true;
  return severityRank(severity) >= severityRank(failOn as Severity);
}

async function write(report: DriftReport, opts: DriftCliOptions): Promise<void> {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  if (opts.markdown) {
    const { driftMarkdown } = await import("../findings/render.js");
    process.stdout.write(driftMarkdown(report));
    return;
  }
  const lines: string[] = [];
  if (report.findings.length === 0) lines.push("no drift\n");
  else {
    lines.push(
      table(
        ["SEVERITY", "KIND", "CI", "KEY", "ATTRIBUTE", "DETAIL"],
        report.findings.map((f) => [
          f.severity,
          f.kind,
          f.ci.name,
          f.key,
          f.attribute ?? "",
          f.diffs?.length ? f.diffs.map((d) => `${show(d.declared)} declared, ${show(d.live)} live (${d.source})`).join("; ") : f.message,
        ]),
      ),
    );
  }
  const counts = new Map<string, number>();
  for (const f of report.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
  lines.push(`${report.findings.length} finding(s)${summary ? `: ${summary}` : ""}; ${report.resolved.length} resolved, ${report.ignored.length} ignored\n`);
  for (const e of report.expiredIgnores) lines.push(`ignore rule ${e.rule} (${e.origin}) expired on ${e.expired}\n`);
  const pct = (share: number | null) => (share === null ? "n/a" : `${Math.round(share * 1000) / 10}%`);
  lines.push(`IaC coverage: ${pct(report.coverage.machines)} of live machines, ${pct(report.coverage.cis)} of live CIs\n`);
  if (report.coverage.scopes.length > 0) {
    lines.push(
      table(
        ["SOURCE", "SCOPE", "MACHINES MANAGED", "CIS MANAGED"],
        report.coverage.scopes.map((s) => [s.source, s.scope, `${s.managedMachines}/${s.machines}`, `${s.managedCis}/${s.cis}`]),
      ),
    );
  }
  process.stdout.write(lines.join(""));
}


