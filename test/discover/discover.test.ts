import { openEngine } from "../../src/store/engine.js";
import { Store } from "../../src/store/store.js";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ec2Check, labRoutes, SECRET_ACCESS_KEY } from "../aws/ec2-replay.js";
import { cliJson, runCli } from "../helpers/cli.js";
import { type ReplayServer, startReplayServer } from "../helpers/replay-server.js";
import { commandWorks, requireService } from "../helpers/services.js";
import { type Sshd, sshdAvailability, startSshd } from "../helpers/sshd.js";
import { checkPveRequest, fixtureRoutes, makeTestPki, TOKEN_ID, TOKEN_SECRET, type TestPki } from "../proxmox/pve-replay.js";
import { awsEnv } from "./aws-env.js";
import { BW_SESSION, bwEnv } from "./bw-standin.js";

interface Report {
  ok: boolean;
  exitCode: number;
  sources: { source: string; label: string; scopes: number; ok: boolean; errors: { where: string; message: string }[]; runs: { scope: string; outcome: string }[] }[];
}

const openssl = requireService("openssl", () => commandWorks("openssl", ["version"]));
const sshdOk = sshdAvailability();

describe.runIf(openssl.ok && sshdOk.ok)("cmdb discover: Proxmox, EC2 and SSH from one configuration", () => {
  let tmp: string;
  let pki: TestPki;
  let sshd: Sshd;
  let pve: ReplayServer;
  let refusing: ReplayServer;
  let ec2: ReplayServer;
  let template: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "cmdb-discover-"));
    pki = makeTestPki();
    sshd = await startSshd();
    pve = await startReplayServer({ routes: fixtureRoutes("lab"), tls: { key: pki.key, cert: pki.cert }, check: checkPveRequest });
    refusing = await startReplayServer({ routes: [{ name: "any", match: () => true, reply: { status: 401, statusText: "authentication failure" } }], tls: { key: pki.key, cert: pki.cert } });
    ec2 = await startReplayServer({ routes: labRoutes(), check: ec2Check() });
    template = join(tmp, "template");
    // `stats` only reads an existing store: the template is made by opening one.
    await (await Store.open(await openEngine(template))).close();
  });
  afterAll(async () => {
    for (const server of [pve, ec2]) {
      await server?.close();
      expect(server?.violations ?? []).toEqual([]);
    }
    await refusing?.close();
    await sshd?.stop();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  });

  let stores = 0;
  const freshStore = () => {
    const dir = join(tmp, `store-${++stores}`);
    cpSync(template, dir, { recursive: true });
    return dir;
  };

  function config(name: string, options: { pveUrl?: string; extraSshHost?: string; url?: string } = {}): string {
    const file = join(tmp, name);
    writeFileSync(
      file,
      [
        "# yaml-language-server: $schema=../src/config/cmdb.config.schema.json",
        "sources:",
        "  proxmox:",
        "    - name: lab",
        `      url: ${options.url ?? options.pveUrl ?? pve.url}`,
        "      tokenId: ${PVE_TOKEN_ID}",
        "      tokenSecret: bw://proxmox%20lab/password",
        `      caFile: ${pki.caFile}`,
        "  ec2:",
        "    regions: [us-east-1, eu-west-1]",
        "  ssh:",
        "    hosts:",
        `      - ${sshd.user}@127.0.0.1:${sshd.port}`,
        ...(options.extraSshHost ? [`      - ${options.extraSshHost}`] : []),
        `    identityFiles: [${sshd.userKey}]`,
        `    knownHostsFile: ${sshd.knownHostsFile}`,
        "    useAgent: false",
        "    timeout: 10s",
        "",
      ].join("\n"),
    );
    return file;
  }

  const env = (vault: "unlocked" | "locked" = "unlocked") => ({ ...bwEnv(vault), ...awsEnv(ec2.url), PVE_TOKEN_ID: TOKEN_ID });

  it("collects all three at once, ingests them, and prints one summary row per source (and the same as JSON)", async () => {
    const db = freshStore();
    const file = config("all.yaml");
    const r = await runCli(["--db", db, "-c", file, "discover"], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^SOURCE\s+SCOPES\s+SEEN\s+NEW\s+CHANGED\s+GONE\s+ERRORS\s+TIME\s+RESULT$/);
    expect(lines[1]).toMatch(/^proxmox lab\s+3\s+\d+\s+\d+\s+0\s+0\s+0\s+\S+\s+ok$/);
    expect(lines[2]).toMatch(/^ec2 default\s+2\s+\d+\s+\d+\s+0\s+0\s+0\s+\S+\s+ok$/);
    expect(lines[3]).toMatch(/^ssh\s+1\s+1\s+1\s+0\s+0\s+0\s+\S+\s+ok$/);
    expect(r.stdout).toContain("all sources collected");
    // Not a terminal: plain progress lines, one per message, on stderr.
    expect(r.stderr).toMatch(/^cmdb: proxmox lab: waiting on 127\.0\.0\.1:\d+ for the cluster status$/m);
    expect(r.stderr).toMatch(/^cmdb: ssh: 1\/1 hosts done$/m);
    expect(r.stderr).toMatch(/^cmdb: ec2 default: done: 2 scope\(s\)/m);

    const again = await runCli(["--db", db, "-c", file, "discover", "--json"], { env: env() });
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.sources.map((s) => [s.label, s.scopes, s.ok])).toEqual([
      ["proxmox lab", 3, true],
      ["ec2 default", 2, true],
      ["ssh", 1, true],
    ]);
    const snapshot = await runCli(["--db", db, "snapshot", "export"]);
    for (const text of [r.stdout, r.stderr, again.stdout, again.stderr, snapshot.stdout]) {
      expect(text).not.toContain(TOKEN_SECRET);
      expect(text).not.toContain(BW_SESSION);
      expect(text).not.toContain(SECRET_ACCESS_KEY);
    }
  });

  it("when Proxmox refuses the token and an SSH host is unreachable: exit 1, EC2 and the other host land, nothing of the failed is retired", async () => {
    const db = freshStore();
    expect((await runCli(["--db", db, "-c", config("good.yaml"), "discover"], { env: env() })).code).toBe(0);
    const before = await cliJson<{ name: string; status: string }[]>(["--db", db, "ci", "list", "--json"]);

    const r = await runCli(["--db", db, "-c", config("failing.yaml", { pveUrl: refusing.url, extraSshHost: "nowhere.invalid" }), "discover", "--json"], { env: env() });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.sources.map((s) => [s.label, s.ok])).toEqual([
      ["proxmox lab", false],
      ["ec2 default", true],
      ["ssh", false],
    ]);
    expect(report.sources[0]!.errors[0]!.message).toContain("HTTP 401");
    expect(report.sources[0]!.runs).toEqual([expect.objectContaining({ scope: "proxmox:lab", outcome: "failed" })]);
    expect(report.sources[1]!.runs.map((x) => x.outcome)).toEqual(["success", "success"]);
    expect(report.sources[2]!.runs.map((x) => [x.scope, x.outcome])).toEqual([
      ["ssh:127.0.0.1", "success"],
      ["ssh:nowhere.invalid", "failed"],
    ]);
    const after = await cliJson<{ name: string; status: string }[]>(["--db", db, "ci", "list", "--json"]);
    expect(after.filter((c) => c.status !== "active")).toEqual([]);
    expect(after.length).toBe(before.length);
    const runs = await cliJson<{ scope: string; outcome: string; errors: string[] }[]>(["--db", db, "runs", "--source", "proxmox", "--limit", "1", "--json"]);
    expect(runs[0]).toMatchObject({ scope: "proxmox:lab", outcome: "failed" });
    expect(JSON.stringify(runs)).not.toContain(TOKEN_SECRET);
  });

  it("a locked vault fails the source whose secret it holds, naming the reference, and only that source", async () => {
    const r = await runCli(["--db", freshStore(), "-c", config("all.yaml"), "discover", "--only", "proxmox", "--only", "ec2"], { env: env("locked") });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^proxmox lab\s+0 \(\+1 failed\).*FAILED$/m);
    expect(r.stdout).toMatch(/^ec2 default\s+2\s.*ok$/m);
    expect(r.stdout).toContain("sources.proxmox[0].tokenSecret (bw://proxmox%20lab/password): the Bitwarden vault is locked");
    expect(r.stdout).not.toMatch(/^ssh/m);
  });

  it("a wrong configuration stops before anything runs: exit 2, naming the file and the path", async () => {
    const file = join(tmp, "bad.yaml");
    writeFileSync(file, "sources:\n  proxmox:\n    - name: lab\n      url: pve1\n      tokenId: ${PVE_TOKEN_ID}\n      tokenSecret: ${PVE_TOKEN_SECRET}\n");
    const asked = pve.requests.length + ec2.requests.length;
    const r = await runCli(["--db", freshStore(), "-c", file, "discover"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cmdb: ${file}: sources.proxmox[0].url: expected a URL such as https://pve.example.org:8006, or a secret reference: \${ENV_NAME} or bw://item/field\n`);
    expect(r.stdout).toBe("");
    expect(pve.requests.length + ec2.requests.length).toBe(asked);
  });
});
