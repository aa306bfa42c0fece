import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BW_SESSION, bwEnv } from "../discover/bw-standin.js";
import { cliJson, runCli } from "../helpers/cli.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { startStandIn, TOKEN } from "../github/stand-in.js";
import { PLANTED, ROTATION_CONFIG, ROTATION_FILES } from "./vault.js";

let tmp: string;
let config: string;
let inventory: string;
let template: string;
let stores = 0;
/** A fresh PGlite store: a copy of a migrated, closed one (initdb takes seconds). */
const pgliteDir = () => {
  const dir = join(tmp, `store-${++stores}`);
  cpSync(template, dir, { recursive: true });
  return dir;
};
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "cmdb-bw-cli-"));
  template = join(tmp, "template");
  // `stats` only reads an existing store; `rotation` opens (and so creates) one.
  expect((await runCli(["--db", template, "rotation"])).code).toBe(0);
  config = join(tmp, "cmdb.config.yaml");
  writeFileSync(config, ROTATION_CONFIG);
  inventory = join(tmp, "hosts.ini");
  writeFileSync(inventory, "[web]\nweb1.lab.example\n\n[db]\ndb1\n");
}, 300_000);
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await dropTestSchemas();
});

const env = (state: Parameters<typeof bwEnv>[0] = "unlocked") => ({
  ...bwEnv(state, []),
  BW_STANDIN_ITEMS: ROTATION_FILES.items,
  BW_STANDIN_FOLDERS: ROTATION_FILES.folders,
  BW_STANDIN_COLLECTIONS: ROTATION_FILES.collections,
  BW_STANDIN_ORGANIZATIONS: ROTATION_FILES.organizations,
  BW_STANDIN_SERVER: "https://vault.lab.example",
});

interface Listed {
  credentials: { id: string; name: string; status: string; due: string; lastRotated: string; policy: string; owner: string | null; systems: { name: string }[] }[];
}

describe.each(ENGINES)("cmdb ingest bitwarden and cmdb rotation on $name", { timeout: 600_000 }, (engine) => {
  it("ingests the vault, lists what is due as of a date in every format, and shows what a credential opens", async (ctx) => {
    if (!engine.available) ctx.skip();
    const db = engine.name === "pglite" ? pgliteDir() : await engine.location(tmp);
    const base = ["--db", db, "--config", config];
    expect((await runCli([...base, "ingest", "ansible", "-i", inventory])).code).toBe(0);
    const ingest = await runCli([...base, "ingest", "bitwarden"], { env: env() });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stdout).toMatch(/^bitwarden bitwarden:vault\.lab\.example\/email@example\.com: 6 seen, 6 new, 0 changed, 0 gone, \d+ relationships added/);
    expect(ingest.stdout).toContain("warning: skipped (not infrastructure credentials or in the trash): 1 card, 1 identity, 1 deleted");

    const asOf = ["rotation", "--as-of", "2026-11-15"];
    const listed = await cliJson<Listed>([...base, ...asOf, "--json"]);
    expect(listed.credentials.map((c) => [c.name, c.status, c.due.slice(0, 10), c.lastRotated.slice(0, 10), c.policy, c.owner, c.systems.map((s) => s.name)])).toEqual([
      ["ops ssh key", "overdue", "2026-05-10", "2026-01-10", "folder:Infrastructure", null, []],
      ["pve1 root@pam", "overdue", "2026-07-31", "2026-06-01", "collection:hypervisors", "alice", []],
      ["web1 deploy", "due-soon", "2026-11-19", "2026-09-20", "item", "bob", ["web1.lab.example"]],
      ["db1 backup key", "due-soon", "2026-11-20", "2026-10-01", "expires", null, ["db1"]],
    ]);
    const narrow = await cliJson<Listed>([...base, ...asOf, "--within", "4d12h", "--json"]);
    expect(narrow.credentials.map((c) => c.name)).toEqual(["ops ssh key", "pve1 root@pam", "web1 deploy"]);

    const table = await runCli([...base, ...asOf]);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^STATUS\s+DUE\s+NAME\s+OWNER\s+LAST ROTATED\s+POLICY\s+SYSTEMS\s+ID$/);
    expect(table.stdout).toMatch(/due-soon\s+2026-11-19\s+web1 deploy\s+bob\s+2026-09-20\s+item\s+web1\.lab\.example/);
    const markdown = await runCli([...base, ...asOf, "--markdown"]);
    expect(markdown.stdout).toContain("# Credential rotation as of 2026-11-15\n\n2 overdue, 2 due within 14d.");
    expect(markdown.stdout).toContain("| due-soon | 2026-11-20 | db1 backup key |  | 2026-10-01 | expires | db1 |");
    const issues = await cliJson<{ issues: { title: string; labels: string[]; assignees: string[]; body: string }[] }>([...base, ...asOf, "--issues"]);
    expect(issues.issues.map((i) => [i.title, i.labels.join(","), i.assignees.join(",")])).toEqual([
      ["Rotate credential: ops ssh key", "credential-rotation,overdue", ""],
      ["Rotate credential: pve1 root@pam", "credential-rotation,overdue", "alice-gh"],
      ["Rotate credential: web1 deploy", "credential-rotation,due-soon", ""],
      ["Rotate credential: db1 backup key", "credential-rotation,due-soon", ""],
    ]);
    expect(issues.issues[2]!.body).toContain("- **web1.lab.example** (server, active,");

    expect((await runCli([...base, ...asOf, "--check"])).code).toBe(1);
    const early = await runCli([...base, "rotation", "--as-of", "2026-01-01", "--check"]);
    expect([early.code, early.stdout]).toEqual([0, "no credential is overdue or due within 14d as of 2026-01-01\n"]);

    const gh = await startStandIn();
    const ghEnv = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.url, CMDB_GITHUB_WRITE_INTERVAL_MS: "0" };
    try {
      const dry = await runCli([...base, ...asOf, "--github", "lab-org/infra", "--dry-run"], { env: ghEnv });
      expect([dry.code, gh.writes()]).toEqual([0, 0]);
      expect(dry.stderr).toMatch(/would create issue "Rotate credential: pve1 root@pam" \[credential-rotation, cmdb, overdue\] assigned to @alice-gh/);
      const synced = await runCli([...base, ...asOf, "--github", "lab-org/infra"], { env: ghEnv });
      expect(synced.code, synced.stderr).toBe(0);
      const opened = [...gh.issues.values()];
      expect(opened.map((i) => i.title).sort()).toEqual(issues.issues.map((i) => i.title).sort());
      expect(opened.find((i) => i.title === "Rotate credential: web1 deploy")!.body).toContain("- **web1.lab.example** (server, active,");
      for (const planted of [...PLANTED, TOKEN, BW_SESSION]) expect(JSON.stringify(opened) + synced.stderr, planted).not.toContain(planted);
      gh.reset();
      expect((await runCli([...base, ...asOf, "--github", "lab-org/infra"], { env: ghEnv })).code).toBe(0);
      expect(gh.writes()).toBe(0);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
    }

    const web = listed.credentials.find((c) => c.name === "web1 deploy")!;
    const impact = await runCli([...base, "impact", web.id]);
    expect(impact.stdout).toMatch(/^web1 deploy \(credential, active\) ci_\S+\n└─ AUTHENTICATES_TO web1\.lab\.example \(server, active\) ci_\S+\n$/);

    const outputs = [ingest, table, markdown, early, impact].flatMap((r) => [r.stdout, r.stderr]).join("\n") + JSON.stringify(listed) + JSON.stringify(issues);
    for (const planted of PLANTED) expect(outputs, planted).not.toContain(planted);
    expect(outputs).not.toContain(BW_SESSION);
  });
});

// Every step starts a cmdb process; on a machine shared with other jobs that takes its time.
describe("cmdb ingest bitwarden and cmdb rotation errors", { timeout: 300_000 }, () => {
  it("says in one line what is wrong with the vault, exits 1 and writes nothing", async () => {
    const db = pgliteDir();
    const locked = await runCli(["--db", db, "ingest", "bitwarden"], { env: env("locked") });
    expect([locked.code, locked.stdout, locked.stderr]).toEqual([
      1,
      "",
      "cmdb: bw (vault.lab.example/email@example.com): the Bitwarden vault is locked (BW_SESSION is set but not valid: unlock again with `export BW_SESSION=$(bw unlock --raw)`)\n",
    ]);
    const none = await runCli(["--db", db, "ci", "list", "--json"]);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it("answers usage mistakes with exit 2", async () => {
    const db = pgliteDir();
    const both = await runCli(["--db", db, "ingest", "bitwarden", "--from-export", ROTATION_FILES.export, "--bw-serve", "http://127.0.0.1:8087"]);
    expect([both.code, both.stderr]).toEqual([2, "cmdb: cmdb ingest bitwarden: --from-export and --bw-serve read different things: give one\n"]);
    const within = await runCli(["--db", db, "rotation", "--within", "soon"]);
    expect([within.code, within.stderr]).toEqual([2, 'cmdb: --within: "soon" is not a duration (use e.g. 14d, 2w, 36h)\n']);
    const dryAlone = await runCli(["--db", db, "rotation", "--dry-run"]);
    expect([dryAlone.code, dryAlone.stderr]).toEqual([2, "cmdb: --dry-run only applies to --github\n"]);
    const badRepo = await runCli(["--db", db, "rotation", "--github", "lab-org"]);
    expect(badRepo.code).toBe(2);
    expect(badRepo.stderr).toContain("expected OWNER/REPO");
    const asOf = await runCli(["--db", db, "rotation", "--as-of", "end of quarter"]);
    expect([asOf.code, asOf.stderr]).toEqual([2, 'cmdb: --as-of: "end of quarter" is not a date (use e.g. 2026-12-31 or 2026-12-31T18:00:00Z)\n']);
    const bad = join(tmp, "bad.yaml");
    writeFileSync(bad, "rotation:\n  folders:\n    Infrastructure: monthly\n");
    const config = await runCli(["--db", db, "--config", bad, "rotation"]);
    expect([config.code, config.stderr]).toEqual([2, `cmdb: ${bad}: rotation.folders.Infrastructure: not a duration: "monthly" (use e.g. 90s, 15m, 12h, 7d)\n`]);
  });

  it("reads an export from the command line", async () => {
    const db = pgliteDir();
    const r = await runCli(["--db", db, "ingest", "bitwarden", "--from-export", ROTATION_FILES.export, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ source: "bitwarden", scope: "bitwarden:export/export-rotation.json", counts: { new: 5 } });
  });
});

describe("cmdb discover with sources.bitwarden", { timeout: 300_000 }, () => {
  it("collects the vault with the other sources; a locked vault later fails the run and retires nothing", async () => {
    const db = pgliteDir();
    const file = join(tmp, "discover.yaml");
    writeFileSync(file, `sources:\n  bitwarden:\n    folder: Infrastructure\n${ROTATION_CONFIG}`);
    const first = await runCli(["--db", db, "--config", file, "discover", "--json"], { env: env() });
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as { ok: boolean; sources: { source: string; new: number; runs: { scope: string; outcome: string }[] }[] };
    expect(report.sources.map((s) => [s.source, s.new, s.runs.map((r) => [r.scope, r.outcome])])).toEqual([
      ["bitwarden", 5, [["bitwarden:vault.lab.example/email@example.com?folder=Infrastructure", "success"]]],
    ]);
    const locked = await runCli(["--db", db, "--config", file, "discover", "--json"], { env: env("locked") });
    expect(locked.code).toBe(1);
    const failed = JSON.parse(locked.stdout) as { sources: { errors: { message: string }[]; runs: { scope: string; outcome: string }[] }[] };
    expect(failed.sources[0]!.errors[0]!.message).toContain("the Bitwarden vault is locked");
    expect(failed.sources[0]!.runs).toEqual([expect.objectContaining({ scope: "bitwarden:vault.lab.example/email@example.com?folder=Infrastructure", outcome: "failed" })]);
    const cis = await cliJson<{ status: string }[]>(["--db", db, "ci", "list", "--type", "credential", "--json"]);
    expect(cis.map((c) => c.status)).toEqual(["active", "active", "active", "active", "active"]);
  });
});
