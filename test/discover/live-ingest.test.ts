import { openEngine } from "../../src/store/engine.js";
import { Store } from "../../src/store/store.js";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ec2Check, labRoutes, SECRET_ACCESS_KEY } from "../aws/ec2-replay.js";
import { awsEnv } from "./aws-env.js";
import { cliJson, runCli } from "../helpers/cli.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { type ReplayServer, startReplayServer } from "../helpers/replay-server.js";
import { commandWorks, requireService } from "../helpers/services.js";
import { type Sshd, sshdAvailability, startSshd } from "../helpers/sshd.js";
import { checkPveRequest, fixtureRoutes, makeTestPki, syntheticClusterRoutes, TOKEN_ID, TOKEN_SECRET, type TestPki } from "../proxmox/pve-replay.js";

interface Report {
  ok: boolean;
  exitCode: number;
  sources: { source: string; label: string; scopes: number; seen: number; new: number; changed: number; gone: number; errors: { where: string; message: string }[]; runs: { scope: string; outcome: string }[] }[];
}
interface ListedCi {
  name: string;
  type: string;
  status: string;
  keys: string[];
  sources: string[];
}

const openssl = requireService("openssl", () => commandWorks("openssl", ["version"]));
const sshdOk = sshdAvailability();
const tmp = mkdtempSync(join(tmpdir(), "cmdb-live-"));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await dropTestSchemas();
});

let n = 0;
const template = join(tmp, "template");
beforeAll(async () => {
  // initdb takes seconds; a copy of a migrated, closed store directory is a fresh store in milliseconds.
  // `stats` only reads an existing store: the template is made by opening one.
  await (await Store.open(await openEngine(template))).close();
});
const pgliteDir = () => {
  const dir = join(tmp, `store-${++n}`);
  cpSync(template, dir, { recursive: true });
  return dir;
};

describe.runIf(openssl.ok)("cmdb ingest proxmox against a replayed cluster over TLS", () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

  const pveEnv = (server: ReplayServer) => ({ PROXMOX_URL: server.url, PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: TOKEN_SECRET });

  describe.each(ENGINES)("on $name", (engine) => {
    it("ingests the cluster batch, then one scope per node, and a second run changes nothing", async (ctx) => {
      if (!engine.available) ctx.skip();
      const server = await startReplayServer({ routes: fixtureRoutes("lab"), tls: { key: pki.key, cert: pki.cert }, check: checkPveRequest });
      try {
        const db = engine.name === "pglite" ? pgliteDir() : await engine.location(tmp);
        const first = await runCli(["--db", db, "ingest", "proxmox", "--ca-file", pki.caFile, "--json"], { env: pveEnv(server) });
        expect(first.code, first.stderr).toBe(0);
        const report = JSON.parse(first.stdout) as Report;
        expect(report.sources.map((s) => [s.source, s.label, s.scopes, s.errors])).toEqual([["proxmox", "proxmox 127.0.0.1:" + server.port, 3, []]]);
        expect(report.sources[0]!.runs.map((r) => [r.scope, r.outcome])).toEqual([
          ["proxmox:lab", "success"],
          ["proxmox:lab/pve1", "success"],
          ["proxmox:lab/pve2", "success"],
        ]);
        const cis = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--source", "proxmox", "--json"]);
        expect(cis.length).toBe(report.sources[0]!.new);
        expect(cis.find((c) => c.name === "web01")).toMatchObject({ type: "virtual_machine", status: "active" });
        // Node batches point at the cluster by key: the edge resolved because the cluster landed first.
        const web = await cliJson<{ relationships: { type: string; name: string }[] }>(["--db", db, "ci", "show", "proxmox.vm:lab/100", "--json"]);
        expect(web.relationships).toEqual(expect.arrayContaining([expect.objectContaining({ type: "MEMBER_OF", name: "lab" }), expect.objectContaining({ type: "RUNS_ON", name: "pve1" })]));

        const again = JSON.parse((await runCli(["--db", db, "ingest", "proxmox", "--ca-file", pki.caFile, "--json"], { env: pveEnv(server) })).stdout) as Report;
        expect([again.sources[0]!.new, again.sources[0]!.changed, again.sources[0]!.gone]).toEqual([0, 0, 0]);

        const human = await runCli(["--db", db, "ingest", "proxmox", "--ca-file", pki.caFile], { env: pveEnv(server) });
        expect(human.stdout).toMatch(/^SOURCE\s+SCOPES\s+SEEN\s+NEW\s+CHANGED\s+GONE\s+ERRORS\s+TIME\s+RESULT\n/);
        expect(human.stdout).toContain("all sources collected");
        const snapshot = await runCli(["--db", db, "snapshot", "export"]);
        for (const out of [first.stdout, first.stderr, human.stdout, human.stderr, snapshot.stdout]) expect(out).not.toContain(TOKEN_SECRET);
      } finally {
        await server.close();
        expect(server.violations).toEqual([]);
      }
    });
  });

  it("marks gone what a node held once the cluster no longer lists the node; guests that moved stay", async () => {
    const db = pgliteDir();
    for (const [nodes, guests] of [
      [3, 12],
      [2, 8],
    ] as const) {
      const server = await startReplayServer({ routes: syntheticClusterRoutes(nodes, guests), tls: { key: pki.key, cert: pki.cert }, check: checkPveRequest });
      try {
        const r = await runCli(["--db", db, "ingest", "proxmox", "--ca-file", pki.caFile, "--json"], { env: pveEnv(server) });
        expect(r.code, r.stderr).toBe(0);
        if (nodes === 2) {
          const runs = (JSON.parse(r.stdout) as Report).sources[0]!.runs;
          expect(runs.map((x) => x.scope)).toEqual(["proxmox:big", "proxmox:big/pve01", "proxmox:big/pve02", "proxmox:big/pve03"]);
        }
      } finally {
        await server.close();
      }
    }
    const cis = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--json"]);
    const status = (name: string) => cis.find((c) => c.name === name)?.status;
    // Three nodes: pve03 held guests 1002, 1005, 1008 and 1011. Two nodes and eight guests: 1002 and
    // 1005 run on pve01/pve02, 1008 and 1011 are gone with pve03, whose scope only the cluster batch can retire.
    expect(["guest-1002", "guest-1005", "guest-1008", "guest-1011", "guest-1009", "pve03"].map(status)).toEqual(["active", "active", "missing", "missing", "missing", "missing"]);
  });

  it("reports a cluster that refuses the token, exit 1, and records the failure against the cluster's scope", async () => {
    const db = pgliteDir();
    const good = await startReplayServer({ routes: fixtureRoutes("lab"), tls: { key: pki.key, cert: pki.cert }, check: checkPveRequest });
    const first = await runCli(["--db", db, "ingest", "proxmox", "--ca-file", pki.caFile, "--json"], { env: pveEnv(good) });
    await good.close();
    expect(first.code).toBe(0);
    const refusing = await startReplayServer({
      routes: [{ name: "any", match: () => true, reply: { status: 401, statusText: "authentication failure", body: "" } }],
      tls: { key: pki.key, cert: pki.cert },
    });
    try {
      const r = await runCli(["--db", db, "ingest", "proxmox", "--ca-file", pki.caFile], { env: pveEnv(refusing) });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/proxmox 127\.0\.0\.1:\d+\s+0 \(\+1 failed\)\s+0\s+0\s+0\s+0\s+1\s+\S+\s+FAILED/);
      expect(r.stdout).toContain("GET /cluster/status: HTTP 401");
      const cis = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--source", "proxmox", "--json"]);
      expect(cis.length).toBeGreaterThan(5);
      expect(cis.filter((c) => c.status !== "active")).toEqual([]);
      const runs = await cliJson<{ source: string; scope: string; outcome: string }[]>(["--db", db, "runs", "--source", "proxmox", "--json"]);
      expect(runs[0]).toMatchObject({ outcome: "failed" });
      expect(JSON.stringify(runs)).not.toContain(TOKEN_SECRET);
    } finally {
      await refusing.close();
    }
  });

  it("refuses to start without a token secret, naming the variable (exit 2)", async () => {
    const r = await runCli(["--db", pgliteDir(), "ingest", "proxmox"], { env: { PROXMOX_URL: "https://127.0.0.1:9", PROXMOX_TOKEN_ID: TOKEN_ID } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cmdb: environment: PROXMOX_TOKEN_SECRET is not set");
  });
});

describe("cmdb ingest ec2 against replayed EC2 answers", () => {
  it("ingests one scope per region under the source name ec2, provider aws", async () => {
    const server = await startReplayServer({ routes: labRoutes(), check: ec2Check() });
    try {
      const db = pgliteDir();
      const r = await runCli(["--db", db, "ingest", "ec2", "--region", "us-east-1", "--region", "eu-west-1", "--json"], { env: awsEnv(server.url) });
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.sources[0]!.runs.map((x) => [x.scope, x.outcome])).toEqual([
        ["aws:123456789012/eu-west-1", "success"],
        ["aws:123456789012/us-east-1", "success"],
      ]);
      const cis = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--source", "ec2", "--type", "virtual_machine", "--json"]);
      expect(cis.length).toBeGreaterThan(0);
      expect(cis.every((c) => c.keys.some((k) => k.startsWith("aws.instance:")))).toBe(true);
      expect(r.stdout + r.stderr).not.toContain(SECRET_ACCESS_KEY);
    } finally {
      await server.close();
      expect(server.violations).toEqual([]);
    }
  });
});

describe.runIf(sshdOk.ok)("cmdb ingest ssh against a real sshd on loopback", () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => sshd?.stop());

  const keyFlags = () => ["-i", sshd.userKey, "--known-hosts", sshd.knownHostsFile];

  it("reads the hosts given on the command line; an unreachable one is reported and fails only itself", async () => {
    const db = pgliteDir();
    const r = await runCli(["--db", db, "ingest", "ssh", "--host", `${sshd.user}@127.0.0.1:${sshd.port}`, "--host", "localhost:1", ...keyFlags(), "--timeout", "10s", "--json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.sources[0]!.runs.map((x) => [x.scope, x.outcome])).toEqual([
      ["ssh:127.0.0.1", "success"],
      ["ssh:localhost", "failed"],
    ]);
    expect(report.sources[0]!.scopes).toBe(1);
    expect(report.sources[0]!.errors.map((e) => e.where)).toEqual(["ssh:localhost"]);
  });

  it("logs in to the machines the ansible inventory put in the CMDB (--from-cmdb)", async () => {
    const db = pgliteDir();
    const inventory = join(tmp, "inventory.ini");
    // Named as the machine names itself, as inventories do: that weak key is what joins the two sources.
    const name = hostname().split(".")[0]!.toLowerCase();
    writeFileSync(inventory, `[lab]\n${name} ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=${sshd.user}\nnowhere ansible_host=127.0.0.1 ansible_port=1\n`);
    const seeded = await runCli(["--db", db, "ingest", "ansible", "-i", inventory]);
    expect(seeded.code, seeded.stderr).toBe(0);
    const r = await runCli(["--db", db, "ingest", "ssh", "--from-cmdb", ...keyFlags(), "--timeout", "10s", "--json"]);
    const report = JSON.parse(r.stdout) as Report;
    expect(r.code).toBe(1);
    expect(report.sources[0]!.runs.map((x) => [x.scope, x.outcome])).toEqual([
      [`ssh:${name}`, "success"],
      ["ssh:nowhere", "failed"],
    ]);
    const cis = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--source", "ssh", "--json"]);
    // The SSH observation joined the inventory's host: one CI seen by both.
    expect(cis.map((c) => [c.name, c.sources])).toEqual([[name, ["ansible", "ssh"]]]);
  });
});
