import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { splitCommand } from "../../actions/src/inputs.js";
import { annotation, escapeData, escapeProperty, outputRecord } from "../../actions/src/workflow-commands.js";
import type { ObservationBatch } from "../../src/model/observation.js";
import { openEngine } from "../../src/store/engine.js";
import { Store } from "../../src/store/store.js";
import { cliJson } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { startStandIn, TOKEN } from "../github/stand-in.js";
import { collectLive, ingestLive, LabFiles, labState } from "../findings/lab.js";
import { ec2Check, labRoutes } from "../aws/ec2-replay.js";
import { awsEnv } from "../discover/aws-env.js";
import { startReplayServer } from "../helpers/replay-server.js";

/** Each run starts the CLI several times, each opening PGlite: generous on a loaded machine, never a speed test. */
const SLOW = 300_000;
const ENTRY = join(REPO_ROOT, "actions/dist/index.js");
const EXAMPLES = join(REPO_ROOT, "examples");

interface EntryRun {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

/** The runner's file commands: `name=value` lines and `name<<DELIMITER` heredocs. */
function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      if (end === -1) throw new Error(`unterminated output ${heredoc[1]}`);
      out[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (line.includes("=")) {
      out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return out;
}

/**
 * Runs the committed entry as the runner runs a step: inputs as INPUT_<NAME> (upper case, spaces as
 * underscores, dashes kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, GITHUB_REPOSITORY, the
 * workspace as the working directory.
 */
function runEntry(inputs: Record<string, string>, options: { env?: NodeJS.ProcessEnv; workspace?: string } = {}): Promise<EntryRun> {
  const dir = mkdtempSync(join(tmpdir(), "cmdb-action-"));
  const outputFile = join(dir, "output");
  const summaryFile = join(dir, "summary");
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(INPUT_|GITHUB_|CMDB_|RUNNER_)/.test(k)) env[k] = v;
  const workspace = options.workspace ?? REPO_ROOT;
  Object.assign(env, {
    GITHUB_ACTIONS: "true",
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: "lab-org/infra",
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: dir,
    ...options.env,
  });
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY], { cwd: workspace, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => out.push(d));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), outputs: parseOutputFile(readFileSync(outputFile, "utf8")), summary: readFileSync(summaryFile, "utf8") }),
    );
  });
}

const ciTotal = async (db: string) => (await cliJson<{ cis: { total: number } }>(["--db", db, "stats", "--json"])).cis.total;

describe("workflow commands", () => {
  it("escape data so that no value ends a command or starts another", () => {
    expect(escapeData("50% done\r\n::error::x")).toBe("50%25 done%0D%0A::error::x");
    expect(escapeProperty("web01: a,b%")).toBe("web01%3A a%2Cb%25");
    expect(annotation("warning", "line one\nline two", { title: "drift: web01, memory", file: undefined })).toBe("::warning title=drift%3A web01%2C memory::line one%0Aline two");
  });

  it("write outputs as heredocs whose delimiter no value can contain", () => {
    const value = 'multi\nline\nghadelimiter_x\nname=evil';
    const record = outputRecord("findings", value);
    expect(parseOutputFile(record)).toEqual({ findings: value });
  });

  it("split the command input like a shell, without one", () => {
    expect(splitCommand(`ingest terraform "my state.tfstate" --workspace 'prod eu' a\\ b $HOME`)).toEqual(["ingest", "terraform", "my state.tfstate", "--workspace", "prod eu", "a b", "$HOME"]);
    expect(() => splitCommand(`drift "open`)).toThrow(/unterminated " quote/);
  });
});

describe("the action's entry over the examples on the embedded store", () => {
  const work = mkdtempSync(join(tmpdir(), "cmdb-action-examples-"));
  const first = join(work, "run1-store");
  const snapshot = join(work, "reports", "cmdb-snapshot.json");

  it("ingests, and gives counts as outputs and a table in the job summary", async () => {
    const r = await runEntry({ command: `ingest terraform ${join(EXAMPLES, "terraform/homelab-proxmox.tfstate")}`, "database-url": first, snapshot });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs["exit-code"]).toBe("0");
    const counts = JSON.parse(r.outputs.counts!) as Record<string, number>;
    expect(counts.runs).toBe(1);
    expect(counts.new).toBeGreaterThan(0);
    expect(counts.new).toBe(await ciTotal(first));
    expect(JSON.parse(r.outputs.findings!)).toEqual([]);
    expect(r.summary).toMatch(/^### cmdb ingest terraform\n/);
    expect(r.summary).toMatch(/\| terraform \| [^|]+ \| success \| \d+ \| \d+ \| 0 \| 0 \|/);
    // What the CLI printed sits between stop-commands markers: data never runs as a workflow command.
    expect(r.stdout).toMatch(/\[command\]cmdb ingest terraform \S+ --json\n::stop-commands::([0-9a-f-]{36})\n[\s\S]*?::\1::\n/);
    expect(existsSync(snapshot)).toBe(true);
  }, SLOW);

  it("keeps the CMDB between runs: a restored cache is used as it is, an empty store loads the committed snapshot", async () => {
    const inventory = await runEntry({ command: `ingest ansible -i ${join(EXAMPLES, "ansible/inventory.yml")}`, "database-url": first, snapshot });
    expect(inventory.code, inventory.stdout).toBe(0);
    const total = await ciTotal(first);

    // The next run on a runner whose cache was restored: the same store directory.
    const cached = join(work, "run2-cached-store");
    cpSync(first, cached, { recursive: true });
    const again = await runEntry({ command: `ingest terraform ${join(EXAMPLES, "terraform/homelab-proxmox.tfstate")}`, "database-url": cached, snapshot });
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain(`the store already holds ${total} CIs`);
    const counts = JSON.parse(again.outputs.counts!) as Record<string, number>;
    expect(counts.new).toBe(0);
    expect(counts.unchanged).toBe(counts.seen);

    // The next run after the cache was evicted: a new, empty store and the snapshot from reports/.
    const fresh = join(work, "run3-fresh-store");
    const reports = join(work, "reports");
    const report = await runEntry({ command: `report --out ${reports}`, "database-url": fresh, snapshot });
    expect(report.code, report.stdout).toBe(0);
    expect(report.stdout).toMatch(/imported \d+ CIs|"cis": \d+/);
    expect(await ciTotal(fresh)).toBe(total);
    expect(report.outputs["report-path"]).toBe(join(reports, "latest.md"));
    const written = readFileSync(report.outputs["report-path"]!, "utf8");
    expect(written.length).toBeGreaterThan(0);
    // The job summary is the same health report.
    expect(report.summary.trim()).toBe(written.trim());
  }, SLOW);

  it("rejects bad inputs with one annotation naming the input", async () => {
    const bad = await runEntry({ command: "drift", "fail-on": "severe", "database-url": first });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("::error title=cmdb%3A bad action input::input fail-on: expected one of none, any, critical, high, medium, low, info");
    const twice = await runEntry({ command: "drift --markdown", "database-url": first });
    expect(twice.code).toBe(1);
    expect(twice.stdout).toContain("input command: drop --markdown");
    const failed = await runEntry({ command: "ci show nosuch", "database-url": first });
    expect(failed.code).toBe(1);
    expect(failed.outputs["exit-code"]).not.toBe("0");
    expect(failed.stdout).toMatch(/::error title=cmdb other failed::cmdb ci show nosuch failed \(exit \d\): cmdb: /);
  }, SLOW);
});

describe("the action's entry on drift with --github against the GitHub stand-in", () => {
  let db: string;
  let live: ObservationBatch[];
  beforeAll(async () => {
    live = await collectLive();
    db = join(mkdtempSync(join(tmpdir(), "cmdb-action-drift-")), "store");
    const store = await Store.open(await openEngine(db));
    await new LabFiles().ingestDeclared(store, labState(), "ghost01 ansible_host=10.10.0.99\n");
    await ingestLive(store, live);
    await store.close();
  }, SLOW);

  it("dry-run writes nothing; a run opens the issues, sets outputs, annotates each finding, and fail-on gates", async () => {
    const gh = await startStandIn();
    const env = { GITHUB_API_URL: gh.url, CMDB_GITHUB_WRITE_INTERVAL_MS: "0" };
    try {
      const dry = await runEntry({ command: "drift --github", "database-url": db, token: TOKEN, "dry-run": "true" }, { env });
      expect(dry.code, dry.stdout).toBe(0);
      expect(gh.writes()).toBe(0);
      expect(dry.stdout).toMatch(/would create issue "Drift: web01 \(virtual_machine\)"/);

      const r = await runEntry({ command: "drift --github", "database-url": db, token: TOKEN }, { env });
      expect(r.code, r.stdout).toBe(0);
      expect([...gh.issues.values()].map((i) => i.title)).toContain("Drift: web01 (virtual_machine)");
      const findings = JSON.parse(r.outputs.findings!) as { kind: string; severity: string; ci: string; attribute?: string; fingerprint: string }[];
      expect(findings).toContainEqual(expect.objectContaining({ kind: "changed", severity: "medium", ci: "web01", attribute: "memory_mb" }));
      expect(findings).toContainEqual(expect.objectContaining({ kind: "inventory-orphan", ci: "ghost01" }));
      expect(r.outputs["finding-count"]).toBe(String(findings.length));
      const counts = JSON.parse(r.outputs.counts!) as Record<string, number>;
      expect(counts.findings).toBe(findings.length);
      expect(counts["kind:changed"]).toBe(findings.filter((f) => f.kind === "changed").length);
      expect(r.stdout).toContain("::warning title=cmdb drift%3A changed web01 memory_mb (medium)::");
      const annotations = r.stdout.split("\n").filter((l) => /^::(warning|error|notice) title=cmdb drift%3A /.test(l));
      expect(annotations).toHaveLength(findings.length);
      // The summary is the CLI's own Markdown report.
      expect(r.summary).toMatch(new RegExp(`^# Drift report\\n\\nGenerated [^:]+:[^:]+:[^:]+: ${findings.length} finding\\(s\\)\\.`));
      for (const text of [r.stdout, r.summary, JSON.stringify(r.outputs)]) expect(text).not.toContain(TOKEN);

      gh.reset();
      const gated = await runEntry({ command: "drift --github", "database-url": db, token: TOKEN, "fail-on": "medium" }, { env });
      expect(gated.code).toBe(1);
      expect(gh.writes()).toBe(0);
      const over = findings.filter((f) => ["medium", "high", "critical"].includes(f.severity)).length;
      expect(gated.stdout).toContain(`::error title=cmdb drift::${over} finding(s) at or above fail-on medium`);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
    }
  }, SLOW);

  it("fails loudly, naming `permissions: issues: write`, when GitHub answers 403 to an issue write", async () => {
    const gh = await startStandIn();
    gh.faults.push({ match: (method) => method !== "GET", times: 1000, status: 403, message: "Resource not accessible by integration" });
    try {
      const r = await runEntry({ command: "drift --github", "database-url": db, token: TOKEN }, { env: { GITHUB_API_URL: gh.url, CMDB_GITHUB_WRITE_INTERVAL_MS: "0" } });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("::error title=cmdb%3A missing permission issues%3A write::cmdb could not write GitHub issues: GitHub answered 403");
      expect(r.stdout).toContain("%0A  permissions:%0A    issues: write%0A");
      expect(r.summary).toContain("```yaml\npermissions:\n  issues: write\n```");
      // The CLI says it too, for workflows that run it without the action.
      expect(r.stdout).toMatch(/cmdb: github lab-org\/infra: .*\(HTTP 403\): Resource not accessible by integration.*add `permissions: issues: write` to the workflow or the job/);
      expect(r.outputs["exit-code"]).toBe("2");
      expect(gh.issues.size).toBe(0);
    } finally {
      await gh.close();
    }
  }, SLOW);
});

describe("the action's entry on rotation and discover", () => {
  it("rotation --github: overdue credentials are high, issues are kept, the summary is the CLI's Markdown", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "cmdb-action-rotation-")), "store");
    const ingest = await runEntry({ command: `ingest bitwarden --from-export ${join(REPO_ROOT, "test/fixtures/bitwarden/export-rotation.json")}`, "database-url": db });
    expect(ingest.code, ingest.stdout).toBe(0);
    const gh = await startStandIn();
    try {
      const r = await runEntry({ command: "rotation --github --as-of 2026-12-31", "database-url": db, token: TOKEN, "fail-on": "high" }, { env: { GITHUB_API_URL: gh.url, CMDB_GITHUB_WRITE_INTERVAL_MS: "0" } });
      expect(r.code, r.stdout).toBe(1);
      const findings = JSON.parse(r.outputs.findings!) as { kind: string; severity: string; ci: string }[];
      expect(findings).toContainEqual(expect.objectContaining({ kind: "overdue", severity: "high", ci: "ops ssh key" }));
      const counts = JSON.parse(r.outputs.counts!) as Record<string, number>;
      expect(counts.overdue).toBe(findings.filter((f) => f.kind === "overdue").length);
      expect(r.stdout).toContain("::error title=cmdb rotation%3A overdue ops ssh key (high)::ops ssh key is overdue for rotation (due 2026-04-10)");
      expect(r.stdout).toContain(`::error title=cmdb rotation::${counts.overdue} finding(s) at or above fail-on high`);
      expect(r.summary).toMatch(/^# Credential rotation as of 2026-12-31\n/);
      expect(gh.issues.size).toBeGreaterThanOrEqual(counts.overdue!);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
    }
  }, SLOW);

  it("discover: sources from the configuration, counts per source, a table in the summary", async () => {
    const server = await startReplayServer({ routes: labRoutes(), check: ec2Check() });
    try {
      const dir = mkdtempSync(join(tmpdir(), "cmdb-action-discover-"));
      writeFileSync(join(dir, "cmdb.config.yaml"), "sources:\n  ec2:\n    regions: [us-east-1]\n");
      const r = await runEntry({ command: "discover", "database-url": join(dir, "store"), config: join(dir, "cmdb.config.yaml") }, { env: awsEnv(server.url), workspace: dir });
      expect(r.code, r.stdout).toBe(0);
      const counts = JSON.parse(r.outputs.counts!) as Record<string, number>;
      expect(counts).toMatchObject({ sources: 1, failed: 0 });
      expect(counts.new).toBeGreaterThan(0);
      expect(counts.new).toBe(await ciTotal(join(dir, "store")));
      expect(r.summary).toMatch(/^### cmdb discover\n\n\| source \| result \|[^\n]*\n[^\n]*\n\| [^|]+ \| ok \| 1 \| \d+ \| \d+ \| 0 \| 0 \|\n/);
      // A live source alone gives the same report, and a second collection finds nothing new.
      const again = await runEntry({ command: "ingest ec2 --region us-east-1", "database-url": join(dir, "store") }, { env: awsEnv(server.url), workspace: dir });
      expect(again.code, again.stdout).toBe(0);
      expect(JSON.parse(again.outputs.counts!)).toMatchObject({ sources: 1, failed: 0, new: 0, seen: counts.seen });
      expect(again.summary).toMatch(/^### cmdb ingest ec2\n/);
      expect(server.violations).toEqual([]);
    } finally {
      await server.close();
    }
  }, SLOW);
});
