import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ActionInputs, InputError, readInputs } from "./inputs.js";
import { type Plan, planCommand } from "./plan.js";
import { type ActionFinding, failing, levelOf, RANK, type Results, readResults } from "./results.js";
import { annotation, appendSummary, setOutput } from "./workflow-commands.js";

/**
 * The action's entry: runs one `cmdb` command the way a workflow asks for it (INPUT_* variables),
 * then turns its JSON output into step outputs, annotations and the job summary. All the work is
 * the CLI's; this file only speaks the runner's protocols.
 */

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** A dist/cli.js two levels up: actions/dist/index.js sits in the package whose CLI it runs. */
function cliPath(env: NodeJS.ProcessEnv): string {
  return env.CMDB_ACTION_CLI || resolve(dirname(fileURLToPath(import.meta.url)), "../../dist/cli.js");
}

function childEnv(env: NodeJS.ProcessEnv, inputs: ActionInputs): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith("INPUT_")) out[k] = v;
  // Secrets go to the CLI through its environment, never its command line (which `ps` shows).
  if (inputs.databaseUrl) out.CMDB_DATABASE_URL = inputs.databaseUrl;
  if (inputs.config) out.CMDB_CONFIG = inputs.config;
  if (inputs.token) out.GITHUB_TOKEN = inputs.token;
  return out;
}

/**
 * Runs the CLI. What it prints is data (CI names, issue titles): it is shown between
 * ::stop-commands:: markers, so no line of it can act as a workflow command.
 */
function runCli(cli: string, args: string[], env: NodeJS.ProcessEnv, options: { echoStdout: boolean }): Promise<Ran> {
  return new Promise((done, fail) => {
    const token = randomUUID();
    say(`[command]cmdb ${args.join(" ")}`);
    say(`::stop-commands::${token}`);
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => {
      out.push(d);
      if (options.echoStdout) process.stdout.write(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      err.push(d);
      process.stdout.write(d);
    });
    child.on("error", fail);
    child.on("close", (code, signal) => {
      const stderr = Buffer.concat(err).toString("utf8");
      if (stderr !== "" && !stderr.endsWith("\n")) process.stdout.write("\n");
      say(`::${token}::`);
      done({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString("utf8"), stderr });
    });
  });
}

function maskSecrets(inputs: ActionInputs): void {
  // A token from `secrets.*` is masked by the runner already; a password inside a URL typed into a variable is not.
  if (!/^postgres(ql)?:\/\//i.test(inputs.databaseUrl)) return;
  try {
    const password = decodeURIComponent(new URL(inputs.databaseUrl).password);
    if (password) say(`::add-mask::${password}`);
  } catch {
    // Not a URL the WHATWG parser reads: the CLI says so itself.
  }
}

/** GitHub answered 403 on an issue write: the workflow's token lacks the permission, and the fix is one line. */
function missingPermission(plan: Plan, ran: Ran): string | undefined {
  if (!plan.github || ran.code === 0) return undefined;
  if (!/\(HTTP 403\)|Resource not accessible by integration/.test(ran.stderr)) return undefined;
  return [
    "cmdb could not write GitHub issues: GitHub answered 403 (the token may not write issues).",
    "Add to the workflow or the job:",
    "  permissions:",
    "    issues: write",
    "(with a personal or app token instead of GITHUB_TOKEN: give it Issues read and write on this repository).",
  ].join("\n");
}

/**
 * With the embedded store, the CMDB lives in a directory the next run does not have unless it is
 * cached or restored: the committed snapshot (input `snapshot`) is loaded into an empty store.
 */
async function restoreSnapshot(cli: string, env: NodeJS.ProcessEnv, file: string): Promise<void> {
  if (!existsSync(file)) {
    say(`cmdb: no snapshot at ${file} yet: starting from an empty CMDB`);
    return;
  }
  const stats = await runCli(cli, ["stats", "--json"], env, { echoStdout: false });
  if (stats.code === 0) {
    const total = (JSON.parse(stats.stdout) as { cis?: { total?: number } }).cis?.total ?? 0;
    if (total > 0) {
      say(`cmdb: the store already holds ${total} CIs (restored from the cache): the snapshot is not loaded`);
      return;
    }
  } else if (!/no cmdb store/.test(stats.stderr)) {
    throw new Error(`cmdb stats failed (exit ${stats.code}) before loading the snapshot`);
  }
  const loaded = await runCli(cli, ["snapshot", "import", file, "--json"], env, { echoStdout: true });
  if (loaded.code !== 0) throw new Error(`cmdb snapshot import ${file} failed (exit ${loaded.code})`);
}

async function saveSnapshot(cli: string, env: NodeJS.ProcessEnv, file: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const saved = await runCli(cli, ["snapshot", "export", "--output", file], env, { echoStdout: true });
  if (saved.code !== 0) throw new Error(`cmdb snapshot export failed (exit ${saved.code})`);
}

function summaryOf(results: Results, plan: Plan, ran: Ran): string {
  if (results.summary) return results.summary;
  if (plan.kind === "other") return `### cmdb ${plan.args[0] ?? ""}\n\nexited ${ran.code}\n`;
  return "";
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let inputs: ActionInputs;
  let plan: Plan;
  try {
    inputs = readInputs(env);
    plan = planCommand(inputs, env.RUNNER_TEMP || tmpdir());
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    say(annotation("error", error.message, { title: "cmdb: bad action input" }));
    return 1;
  }
  const cli = cliPath(env);
  if (!existsSync(cli)) {
    say(annotation("error", `cmdb is not built: ${cli} is missing (run \`npm ci && npm run build\` in the action's repository; the action's install step does this)`, { title: "cmdb: not installed" }));
    return 1;
  }
  maskSecrets(inputs);
  const cenv = childEnv(env, inputs);

  if (inputs.snapshot) await restoreSnapshot(cli, cenv, inputs.snapshot);
  const jsonOut = plan.kind !== "other" && plan.kind !== "report";
  const ran = await runCli(cli, plan.args, cenv, { echoStdout: !jsonOut });
  setOutput(env.GITHUB_OUTPUT, "exit-code", String(ran.code));

  const denied = missingPermission(plan, ran);
  if (denied) {
    say(annotation("error", denied, { title: "cmdb: missing permission issues: write" }));
    appendSummary(env.GITHUB_STEP_SUMMARY, `### cmdb ${plan.kind}: missing permission\n\nGitHub answered 403 when cmdb wrote issues. Add to the workflow or the job:\n\n\`\`\`yaml\npermissions:\n  issues: write\n\`\`\`\n`);
    return 1;
  }
  // exit 2 is an error (bad configuration, unreachable store); discover's 1 is a source that failed.
  const completed = ran.code === 0 || (ran.code === 1 && plan.kind === "discover");
  if (!completed) {
    say(annotation("error", `cmdb ${plan.args.join(" ")} failed (exit ${ran.code}): ${lastLine(ran.stderr)}`, { title: `cmdb ${plan.kind} failed` }));
    return 1;
  }

  let results: Results;
  try {
    results = readResults(plan.kind, ran.stdout, plan.title);
  } catch (error) {
    say(annotation("error", (error as Error).message, { title: `cmdb ${plan.kind}: unreadable output` }));
    return 1;
  }
  if (inputs.snapshot) await saveSnapshot(cli, cenv, inputs.snapshot);

  setOutput(env.GITHUB_OUTPUT, "counts", JSON.stringify(results.counts));
  setOutput(env.GITHUB_OUTPUT, "findings", findingsOutput(results.findings));
  setOutput(env.GITHUB_OUTPUT, "finding-count", String(results.findings.length));
  setOutput(env.GITHUB_OUTPUT, "report-path", plan.reportPath ?? "");

  // GitHub shows ten annotations of a kind per step; past a screenful they only bury the log.
  const shown = [...results.findings].sort((a, b) => RANK[b.severity] - RANK[a.severity]).slice(0, MAX_ANNOTATIONS);
  for (const f of shown) {
    say(annotation(levelOf(f.severity), f.message, { title: `cmdb ${plan.kind}: ${f.kind} ${f.ci}${f.attribute ? ` ${f.attribute}` : ""} (${f.severity})` }));
  }
  if (results.findings.length > shown.length) say(annotation("notice", `${results.findings.length - shown.length} more finding(s): see the job summary and the findings output`, { title: `cmdb ${plan.kind}` }));
  for (const p of results.problems) say(annotation("error", p, { title: `cmdb ${plan.kind}: a source failed` }));

  if (plan.summaryArgs) {
    const summary = await runCli(cli, plan.summaryArgs, cenv, { echoStdout: false });
    if (summary.code === 0) appendSummary(env.GITHUB_STEP_SUMMARY, summary.stdout);
    else say(annotation("warning", `the job summary could not be written: cmdb ${plan.summaryArgs.join(" ")} exited ${summary.code}`));
  } else {
    appendSummary(env.GITHUB_STEP_SUMMARY, summaryOf(results, plan, ran));
  }

  const over = failing(results.findings, inputs.failOn);
  if (over.length > 0) {
    say(annotation("error", `${over.length} finding(s) at or above fail-on ${inputs.failOn}`, { title: `cmdb ${plan.kind}` }));
    return 1;
  }
  if (plan.kind === "discover" && ran.code === 1) return 1;
  return 0;
}

const MAX_ANNOTATIONS = 50;
/** Step outputs share 1 MB per job: the findings output keeps the most severe ones that fit in half of it. */
const MAX_FINDINGS_JSON = 512 * 1024;

function findingsOutput(findings: ActionFinding[]): string {
  const sorted = [...findings].sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  let json = JSON.stringify(sorted);
  if (json.length <= MAX_FINDINGS_JSON) return JSON.stringify(findings);
  let keep = sorted.length;
  while (keep > 0 && json.length > MAX_FINDINGS_JSON) {
    keep = Math.floor(keep * 0.9);
    json = JSON.stringify(sorted.slice(0, keep));
  }
  say(annotation("notice", `the findings output holds the ${keep} most severe of ${findings.length} findings (step outputs are limited in size); finding-count and counts hold them all`));
  return json;
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .filter((l) => l.trim() !== "")
      .pop() ?? "no message"
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      say(annotation("error", error instanceof Error ? error.message : String(error), { title: "cmdb action failed" }));
      process.exitCode = 1;
    },
  );
}
