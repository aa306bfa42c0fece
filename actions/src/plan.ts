import { join } from "node:path";
import { type ActionInputs, InputError } from "./inputs.js";

export type Kind = "drift" | "rotation" | "report" | "discover" | "ingest" | "other";

export interface Plan {
  kind: Kind;
  /** The cmdb command line (after the global options), run once. */
  args: string[];
  /** A side-effect-free second command whose stdout is the job summary (drift and rotation print Markdown). */
  summaryArgs?: string[];
  /** Where the report lands, for the report-path output. */
  reportPath?: string;
  /** Whether the command talks to GitHub (a 403 then means a missing permission). */
  github: boolean;
  /** The heading of a summary the action writes itself. */
  title?: string;
}

const has = (args: string[], ...names: string[]) => args.some((a) => names.includes(a) || names.some((n) => a.startsWith(`${n}=`)));

function optionValue(args: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (names.includes(a)) return args[i + 1];
    const eq = names.find((n) => a.startsWith(`${n}=`));
    if (eq) return a.slice(eq.length + 1);
  }
  return undefined;
}

/** `args` without the named options, each with its value when `withValue`. */
function without(args: string[], names: string[], withValue: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (names.includes(a)) {
      if (withValue) i++;
      continue;
    }
    if (names.some((n) => a.startsWith(`${n}=`))) continue;
    out.push(a);
  }
  return out;
}

/** `--github` alone (the common case in a workflow) names the repository the workflow runs in. */
function fillGithub(args: string[], repository: string): string[] {
  const out = [...args];
  const i = out.indexOf("--github");
  if (i === -1) return out;
  const next = out[i + 1];
  if (next === undefined || next.startsWith("-")) {
    if (!repository) throw new InputError("`--github` needs a repository: set the github-repository input (it defaults to the workflow's own repository)");
    out.splice(i + 1, 0, repository);
  }
  return out;
}

function refuse(args: string[], names: string[], why: string): void {
  const found = names.find((n) => has(args, n));
  if (found) throw new InputError(`input command: drop ${found}: ${why}`);
}

/**
 * Turns the `command` input into the cmdb command lines to run. The action adds the flags it reads
 * (--json, --github-summary) and maps its inputs (dry-run, fail-on) onto each command's own flags.
 */
export function planCommand(inputs: ActionInputs, tempDir: string): Plan {
  const [name, ...rest] = inputs.command;
  const args = fillGithub(inputs.command, inputs.repository);
  const github = has(args, "--github");
  switch (name) {
    case "drift": {
      refuse(rest, ["--json", "--markdown"], "the action reads the JSON output itself and writes the Markdown to the job summary");
      refuse(rest, ["--fail-on"], "use the action's fail-on input");
      const run = [...args, "--json", "--fail-on", "none"];
      if (inputs.dryRun && !has(run, "--dry-run")) run.push("--dry-run");
      const local = without(without(args, ["--github", "--sarif", "--tf-dir"], true), ["--dry-run"], false);
      return { kind: "drift", args: run, summaryArgs: [...local, "--markdown", "--dry-run", "--fail-on", "none"], github };
    }
    case "rotation": {
      refuse(rest, ["--json", "--markdown", "--issues"], "the action reads the JSON output itself and writes the Markdown to the job summary");
      refuse(rest, ["--check"], "use the action's fail-on input (overdue counts as high, due soon as medium)");
      const run = [...args, "--json"];
      if (inputs.dryRun && github && !has(run, "--dry-run")) run.push("--dry-run");
      const local = without(without(args, ["--github"], true), ["--dry-run"], false);
      return { kind: "rotation", args: run, summaryArgs: [...local, "--markdown"], github };
    }
    case "report": {
      const format = optionValue(args, "--format") ?? "md";
      const out = optionValue(args, "--out");
      const file = optionValue(args, "-o", "--output");
      const run = [...args];
      let reportPath: string;
      if (out) reportPath = join(out, `latest.${format}`);
      else if (file) reportPath = file;
      else {
        reportPath = join(tempDir, `cmdb-report.${format}`);
        run.push("--output", reportPath);
      }
      if (!has(run, "--github-summary")) run.push("--github-summary");
      return { kind: "report", args: run, reportPath, github: false };
    }
    case "discover":
      return { kind: "discover", args: has(args, "--json") ? args : [...args, "--json"], github: false, title: "cmdb discover" };
    case "ingest": {
      const json = has(args, "--json") ? args : [...args, "--json"];
      // The live sources print discover's report (one entry per source, exit 1 when one failed).
      const live = ["proxmox", "ec2", "ssh"].includes(rest[0] ?? "");
      return { kind: live ? "discover" : "ingest", args: json, github: false, title: `cmdb ingest ${rest[0] ?? ""}`.trim() };
    }
    default:
      return { kind: "other", args, github };
  }
}
