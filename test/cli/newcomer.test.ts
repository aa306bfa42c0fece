import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEngine } from "../../src/store/engine.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";

/**
 * The mistakes a newcomer makes in the first hour, each answered in one line with the right exit
 * code, and none of them writing where nothing should be written.
 */

const EXAMPLES = join(REPO_ROOT, "examples");
const SHOP_STATE = join(EXAMPLES, "terraform/aws-shop-vpc.tfstate");

interface Case {
  args: string[];
  code: number;
  /** The whole of stderr: one line matching this. */
  message: RegExp;
  /** Paths (relative to the case's working directory) that must not exist afterwards. */
  absent?: string[];
}

function expectOneLine(r: CliResult, c: Case, label: string): void {
  expect({ code: r.code, stderr: r.stderr }, label).toMatchObject({ code: c.code, stderr: expect.stringMatching(c.message) });
  expect(r.stderr.trimEnd().split("\n"), `${label}: ${r.stderr}`).toHaveLength(1);
  expect(r.stderr, label).toMatch(/^cmdb: /);
}

const READ_ONLY = [
  ["ci", "list"],
  ["ci", "show", "ci_0"],
  ["deps", "hostname:web1"],
  ["impact", "hostname:web1"],
  ["changes"],
  ["runs"],
  ["runs", "--prune"],
  ["stats"],
  ["snapshot", "export"],
  ["ansible", "inventory", "--list"],
  ["scope", "remove", "terraform", "x/default"],
  ["diagram"],
  ["report"],
  ["ci", "why", "hostname:web1"],
  ["keys", "--shared"],
  ["graph", "export", "--format", "json"],
];

describe("a newcomer's mistakes, without a store", { timeout: 300_000 }, () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), "cmdb-newcomer-"));
    mkdirSync(join(cwd, "examples"));
    writeFileSync(join(cwd, "notes.txt"), "not a store\n");
    mkdirSync(join(cwd, "a-directory"));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  const cases: Case[] = [
    // nothing is created by accident
    ...READ_ONLY.map((args) => ({ args, code: 1, message: /^cmdb: \.cmdb: no cmdb store here yet \(`cmdb demo` or `cmdb ingest …` creates one/, absent: [".cmdb"] })),
    { args: ["--db", "examples", "ci", "list"], code: 1, message: /^cmdb: examples: holds no cmdb store \(/, absent: ["examples/pgdata", "examples/cmdb.lock"] },
    { args: ["--db", "mysql://x/y", "ci", "list"], code: 2, message: /^cmdb: --db: mysql:\/\/ is not a store this cmdb can use \(give a directory .* or postgres:\/\//, absent: ["mysql:"] },
    { args: ["--db", "mysql://x/y", "ingest", "ansible", "-i", "web1,"], code: 2, message: /mysql:\/\/ is not a store/, absent: ["mysql:"] },
    { args: ["--db", "notes.txt", "ingest", "ansible", "-i", "web1,"], code: 2, message: /^cmdb: notes\.txt: is a file, not a store directory/ },
    // one line per usage error, with the typo hint and where to look
    { args: ["frobnicate"], code: 2, message: /^cmdb: unknown command 'frobnicate' \(see `cmdb --help`\)$/m },
    { args: ["ci", "lst"], code: 2, message: /^cmdb: ci: unknown command 'lst' \(did you mean list\?; see `cmdb ci --help`\)$/m },
    { args: ["ci", "list", "--stauts", "active"], code: 2, message: /^cmdb: ci list: unknown option '--stauts' \(did you mean --status\?; see `cmdb ci list --help`\)$/m },
    { args: ["--dbb", "x", "stats"], code: 2, message: /unknown option '--dbb' \(did you mean --db\?/ },
    { args: ["deps"], code: 2, message: /^cmdb: deps: missing required argument 'id\|key'/ },
    // values are checked, before any store is looked for
    { args: ["deps", "x", "--depth", "-1"], code: 2, message: /^cmdb: deps: option '--depth <n>' argument '-1' is invalid\. expected a whole number, 0 or more/, absent: [".cmdb"] },
    { args: ["impact", "x", "--depth", "two"], code: 2, message: /expected a whole number, 0 or more/ },
    { args: ["ci", "list", "--status", "bogus"], code: 2, message: /argument 'bogus' is invalid\. Allowed choices are active, missing, retired/, absent: [".cmdb"] },
    { args: ["ci", "list", "--type", "nosuchtype"], code: 2, message: /argument 'nosuchtype' is invalid\. Allowed choices are server, virtual_machine, .*generic/ },
    { args: ["ci", "list", "--source", "nosuch"], code: 2, message: /argument 'nosuch' is invalid \(one of proxmox, ec2, ssh, .*terraform, ansible/, absent: [".cmdb"] },
    { args: ["runs", "--limit", "0"], code: 2, message: /^cmdb: runs: option '--limit <n>' argument '0' is invalid\. expected a whole number, 1 or more/ },
    { args: ["changes", "--since", "yesterdayx"], code: 2, message: /--since: "yesterdayx" is neither a time, an age \(24h, 7d\) nor a run id/, absent: [".cmdb"] },
    // files: plain sentences, and a path that does not exist is a usage error before any store
    { args: ["snapshot", "import", "nosuch.json"], code: 2, message: /^cmdb: nosuch\.json: does not exist$/m, absent: [".cmdb"] },
    { args: ["snapshot", "import", "a-directory"], code: 2, message: /^cmdb: a-directory: is a directory$/m, absent: [".cmdb"] },
    { args: ["--config", "nosuch.yaml", "ci", "list"], code: 2, message: /^cmdb: nosuch\.yaml: the configuration file does not exist$/m },
    { args: ["--config", "a-directory", "ci", "list"], code: 2, message: /^cmdb: a-directory: the configuration file is a directory$/m },
    { args: ["ingest", "ansible", "-i", "nosuch"], code: 2, message: /^cmdb: nosuch: does not exist \(give an inventory file/, absent: [".cmdb"] },
    { args: ["ingest", "ansible-facts", "./nosuch"], code: 2, message: /^cmdb: \.\/nosuch: does not exist \(give a facts JSON file/, absent: [".cmdb"] },
    { args: ["ingest", "terraform", "nosuch.tfstate"], code: 2, message: /^cmdb: nosuch\.tfstate: does not exist \(give the path of terraform\.tfstate/, absent: [".cmdb"] },
    { args: ["ingest", "terraform", "a-directory"], code: 2, message: /^cmdb: a-directory: is a directory, not a file \(give the path of terraform\.tfstate/, absent: [".cmdb"] },
    { args: ["ingest", "terraform"], code: 2, message: /^cmdb: terraform\.tfstate: does not exist/, absent: [".cmdb"] },
    { args: ["ingest", "ansible-playbook", "nosuch.json"], code: 2, message: /^cmdb: nosuch\.json: does not exist$/m, absent: [".cmdb"] },
    { args: ["demo", "--examples", "nosuch"], code: 2, message: /^cmdb: nosuch: is not an examples directory/, absent: [".cmdb"] },
  ];

  it.each(cases.map((c) => [c.args.join(" "), c] as const))("cmdb %s", async (_label, c) => {
    const r = await runCli(c.args, { cwd });
    expectOneLine(r, c, c.args.join(" "));
    expect(r.stdout).toBe("");
    for (const path of c.absent ?? []) expect(existsSync(join(cwd, path)), `${path} after cmdb ${c.args.join(" ")}`).toBe(false);
  });

  it("`cmdb` alone and a group alone show their help (exit 2), nothing else", async () => {
    for (const args of [[], ["ci"]]) {
      const r = await runCli(args, { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^Usage: cmdb/);
    }
    expect(existsSync(join(cwd, ".cmdb"))).toBe(false);
  });

  it("help states each default once", async () => {
    for (const args of [["ingest", "ec2"], ["ingest", "ssh"], ["demo"], ["ansible", "parse"], ["discover"], ["runs"]]) {
      const help = (await runCli([...args, "--help"], { cwd })).stdout.replace(/\s+/g, " ");
      expect(help, args.join(" ")).not.toMatch(/\(default: (\[\]|"")\)/);
      for (const option of help.split(/ (?=-)/)) expect((option.match(/\bdefault\b/g) ?? []).length, option).toBeLessThanOrEqual(1);
    }
  });
});

describe("an S3 state that cannot be read says why", { timeout: 300_000 }, () => {
  it("names a refused connection, and the AWS SDK's Node notice stays out of it", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "cmdb-s3-"));
    const env = {
      AWS_ENDPOINT_URL_S3: "http://127.0.0.1:1",
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      AWS_EC2_METADATA_DISABLED: "true",
      HOME: cwd,
    };
    const r = await runCli(["--db", join(cwd, "store"), "ingest", "terraform", "s3://tf-states/prod.tfstate"], { cwd, env });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(/^cmdb: s3:\/\/tf-states\/prod\.tfstate: cannot reach S3: connection refused \(connect ECONNREFUSED 127\.0\.0\.1:1\)/);
    expect(r.stderr).not.toContain("wJalrXUtnFEMI");
    expect(lines.slice(0, -1)).toEqual([]);
    rmSync(cwd, { recursive: true, force: true });
  });
});

interface Scope {
  source: string;
  scope: string;
  lastOutcome: string | null;
}

// Each CLI call starts its own store; on a loaded machine that is slow, and speed is not what these test.
describe.each(ENGINES)("a newcomer's store on $name", { timeout: 600_000 }, (engine) => {
  let dir: string;
  let db: string;
  const cli = (args: string[], env?: NodeJS.ProcessEnv) => runCli(["--db", db, ...args], { cwd: dir, ...(env ? { env } : {}) });
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cli([...args, "--json"]);
    expect(r.stderr, args.join(" ")).toBe("");
    return JSON.parse(r.stdout) as T;
  };
  const scopes = async () => (await json<{ scopes: Scope[] }>(["stats"])).scopes;
  const ciCount = async () => (await json<unknown[]>(["ci", "list"])).length;
  const runCount = async () => (await json<unknown[]>(["runs", "--limit", "1000"])).length;

  beforeAll(async () => {
    if (!engine.available) return;
    dir = mkdtempSync(join(tmpdir(), "cmdb-newcomer-store-"));
    db = await engine.location(dir);
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await dropTestSchemas();
  });

  it.skipIf(!engine.available)("reading an empty database creates nothing in it", async () => {
    const r = await cli(["stats"]);
    expectOneLine(r, { args: [], code: 1, message: /(holds no cmdb store|no cmdb store here yet) \(`cmdb demo` or `cmdb ingest …` creates one/ }, "stats");
    if (engine.name === "postgres") {
      const server = await openEngine(db);
      const [row] = await server.query<{ t: string | null }>("SELECT to_regclass('cmdb_migration')::text AS t");
      await server.close();
      expect(row?.t).toBeNull();
    } else {
      expect(existsSync(db)).toBe(false);
    }
  });

  it.skipIf(!engine.available)("the demo runs, ends with Try lines that work as printed, and runs again after a newer state", async () => {
    const first = await cli(["demo"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const tries = first.stdout
      .slice(first.stdout.indexOf("\nTry"))
      .split("\n")
      .filter((l) => l.startsWith("  npx cmdb "));
    expect(tries.length).toBeGreaterThanOrEqual(4);
    for (const line of tries) {
      const args = line.trim().split(/\s+/).slice(2);
      expect(args.slice(0, 2)).toEqual(["--db", db]);
      const r = await runCli(args, { cwd: dir });
      expect({ line, code: r.code, stderr: r.stderr }).toEqual({ line, code: 0, stderr: "" });
    }
    expect(await ciCount()).toBe(40);

    const newer = JSON.parse(readFileSync(SHOP_STATE, "utf8"));
    newer.serial += 1;
    writeFileSync(join(dir, "newer.tfstate"), JSON.stringify(newer));
    expect((await cli(["ingest", "terraform", join(dir, "newer.tfstate"), "--workspace", "aws-shop-vpc"])).code).toBe(0);
    const again = await cli(["demo"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(await ciCount()).toBe(40);
  });

  it.skipIf(!engine.available)("the same lineage without --workspace is the workspace the store knows; under another name it is refused", async () => {
    const before = await scopes();
    const runs = await runCount();
    const same = await cli(["ingest", "terraform", SHOP_STATE]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/warning: lineage 6f3a9c2e-1b4d-4e8f-9a7c-2d5e8f1b3c6a is tracked as workspace "aws-shop-vpc": ingested as that workspace/);
    expect(await ciCount()).toBe(40);
    expect((await scopes()).map((s) => s.scope)).toEqual(before.map((s) => s.scope));

    const other = await cli(["ingest", "terraform", SHOP_STATE, "--workspace", "staging"]);
    expectOneLine(
      other,
      { args: [], code: 1, message: /aws-shop-vpc\.tfstate: lineage 6f3a9c2e-.* is already tracked as workspace "aws-shop-vpc"; as "staging" every resource would be counted twice \(pass --workspace aws-shop-vpc/ },
      "--workspace staging",
    );
    expect((await scopes()).map((s) => s.scope)).toEqual(before.map((s) => s.scope));
    expect(await runCount()).toBe(runs + 1);
  });

  it.skipIf(!engine.available)("a path that does not exist leaves no run; a real failure is recorded and --prune removes it", async () => {
    const runs = await runCount();
    const missing = await cli(["ingest", "ansible-facts", "./nosuch"]);
    expectOneLine(missing, { args: [], code: 2, message: /^cmdb: \.\/nosuch: does not exist/ }, "nosuch");
    expect(await runCount()).toBe(runs);
    expect((await scopes()).some((s) => s.scope.includes("nosuch"))).toBe(false);

    writeFileSync(join(dir, "broken.json"), "{ not json");
    const broken = await cli(["ingest", "ansible-facts", join(dir, "broken.json"), "--scope", "broken"]);
    expect(broken.code).toBe(1);
    expect((await scopes()).find((s) => s.scope === "ansible-facts:broken")?.lastOutcome).toBe("failed");
    const failedRun = (await json<{ scope: string; errors: string[]; warnings: string[] }[]>(["runs", "--scope", "ansible-facts:broken"]))[0]!;
    expect(failedRun.errors[0]).toMatch(/not valid JSON/);
    expect(failedRun.warnings).toEqual([]);

    const pruned = await json<{ source: string; scope: string }[]>(["runs", "--prune"]);
    expect(pruned).toEqual([{ source: "ansible-facts", scope: "ansible-facts:broken" }]);
    expect((await scopes()).some((s) => s.scope === "ansible-facts:broken")).toBe(false);
    expect(await runCount()).toBe(runs);
    expect(await json<unknown[]>(["runs", "--prune"])).toEqual([]);
    expect(await ciCount()).toBe(40);
  });

  it.skipIf(!engine.available)("runs keeps a landed run's warnings apart from errors", async () => {
    const runs = await json<{ id: string; outcome: string; errors: string[]; warnings: string[] }[]>(["runs", "--limit", "1000"]);
    const warned = runs.find((r) => r.outcome === "success" && r.warnings.length > 0)!;
    expect(warned.warnings[0]).toMatch(/relationship\(s\) point at things no source has reported yet/);
    expect(runs.filter((r) => r.outcome !== "failed").every((r) => r.errors.length === 0)).toBe(true);
    const text = (await cli(["runs", "--limit", "1000"])).stdout;
    expect(text).toMatch(/ERRORS \/ WARNINGS\n/);
    expect(text.split("\n").find((l) => l.startsWith(warned.id))).toMatch(/success .* 1 warning: \d+ relationship/);
    expect(text).not.toMatch(/success .* error:/);
  });

  it.skipIf(!engine.available)("deps and impact print a real tree: every line under the CI it was reached through", async () => {
    const vpc = (await json<{ id: string; type: string }[]>(["ci", "list", "--type", "vpc"]))[0]!;
    for (const direction of ["impact", "deps"]) {
      const nodes = await json<{ id: string; via: { from: string } | null }[]>([direction, vpc.id, "--depth", "5"]);
      const lines = (await cli([direction, vpc.id, "--depth", "5"])).stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(nodes.length);
      const idOf = (line: string) => /(ci_[0-9a-f]+)$/.exec(line)![1]!;
      const depthOf = (line: string) => /^[│ ]*[├└]?─? ?/.exec(line)![0].length / 3;
      for (const [i, line] of lines.entries()) {
        const node = nodes.find((n) => n.id === idOf(line))!;
        if (!node.via) {
          expect(i).toBe(0);
          continue;
        }
        const parent = lines
          .slice(0, i)
          .reverse()
          .find((above) => depthOf(above) === depthOf(line) - 1)!;
        expect(idOf(parent), line).toBe(node.via.from);
      }
      if (direction === "impact") expect(lines.some((l) => /^ {3}|^│ {2}/.test(l))).toBe(true);
    }
  });

  it.skipIf(!engine.available)("changes reads as one sentence per change, never cut-off JSON", async () => {
    const text = (await cli(["changes"])).stdout;
    expect(text).toMatch(/created vpc shop-vpc\n/);
    expect(text).toMatch(/observed as module\.network\.aws_vpc\.this in 6f3a9c2e-1b4d-4e8f-9a7c-2d5e8f1b3c6a\/aws-shop-vpc\n/);
    expect(text).toMatch(/relationship added: MEMBER_OF → ci_[0-9a-f]+\n/);
    expect(text).not.toMatch(/\{"|…$/m);
  });

  it.skipIf(!engine.available)("snapshot export -o says plainly why a file cannot be written", async () => {
    for (const [target, message] of [
      [join(dir, "no-such-dir", "snap.json"), /no-such-dir\/snap\.json: cannot be written \(its directory does not exist\)$/m],
      [dir, /: is a directory$/m],
    ] as const) {
      const r = await cli(["snapshot", "export", "-o", target]);
      expectOneLine(r, { args: [], code: 1, message }, target);
    }
  });

  it.skipIf(!engine.available)("scope remove stops tracking a scope: its CIs go missing, the scope leaves stats", async () => {
    const shop = (await scopes()).find((s) => s.scope.endsWith("/aws-shop-vpc"))!;
    const onlyShop = (await json<{ id: string; provider: string; name: string }[]>(["ci", "list"])).filter((c) => c.provider === "aws" || c.name === "aws-shop-vpc");
    const r = await cli(["scope", "remove", "terraform", shop.scope]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/15 gone, 14 now missing/);
    expect((await scopes()).some((s) => s.scope === shop.scope)).toBe(false);
    const missing = await json<{ id: string }[]>(["ci", "list", "--status", "missing"]);
    expect(missing.map((c) => c.id).sort()).toEqual(onlyShop.map((c) => c.id).sort());
    const unknown = await cli(["scope", "remove", "terraform", shop.scope]);
    expectOneLine(unknown, { args: [], code: 1, message: /no scope ".*aws-shop-vpc" of source terraform is tracked \(`cmdb stats` lists the scopes\)/ }, "again");
  });
});

describe("the package", () => {
  it("lists in `files` only what exists", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { files: string[] };
    for (const entry of pkg.files.filter((f) => f !== "dist")) expect(existsSync(join(REPO_ROOT, entry)), entry).toBe(true);
    expect(readdirSync(join(REPO_ROOT, "examples/terraform")).length).toBeGreaterThan(0);
  });
});
