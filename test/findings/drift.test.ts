import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateDrift } from "../../src/findings/evaluate.js";
import type { Finding } from "../../src/findings/types.js";
import type { ObservationBatch } from "../../src/model/observation.js";
import { openEngine } from "../../src/store/engine.js";
import { listFindingRecords } from "../../src/store/findings.js";
import { Store } from "../../src/store/store.js";
import { runCli } from "../helpers/cli.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { storeDump } from "../helpers/store-dump.js";
import { startStandIn, TOKEN } from "../github/stand-in.js";
import { collectLive, ingestLive, LabFiles, labState, matchingDb01, resource, settings } from "./lab.js";

/** These tests run the CLI several times, each opening PGlite: generous on a loaded machine, never a speed test. */
const SLOW = 300_000;

let live: ObservationBatch[];
beforeAll(async () => {
  live = await collectLive();
}, SLOW);
afterAll(dropTestSchemas);

const find = (findings: Finding[], kind: string, ci: string, attribute?: string) =>
  findings.filter((f) => f.kind === kind && f.ci.name === ci && (attribute === undefined || f.attribute === attribute));

describe.each(ENGINES.filter((e) => e.available))("drift on $name", (engine) => {
  it("reports the lab's scenarios, and nothing for a VM that matches its declaration", async () => {
    const store = await engine.open();
    const files = new LabFiles();
    await files.ingestDeclared(store, matchingDb01(labState()), "ghost01 ansible_host=10.10.0.99\n");
    await ingestLive(store, live);
    const report = await evaluateDrift(store, {}, settings);
    const f = report.findings;

    // A VM resized by hand: memory and vCPUs (cores × sockets) differ from the declaration.
    expect(find(f, "changed", "web01", "memory_mb")[0]!.diffs).toEqual([{ attribute: "memory_mb", declared: 2048, live: 4096, source: "proxmox" }]);
    expect(find(f, "changed", "web01", "cpu.vcpus")[0]!.diffs).toEqual([{ attribute: "cpu.vcpus", declared: 2, live: 4, source: "proxmox" }]);
    // A tag added in the console: Proxmox's `prod;web` against the declared `prod`, a set whatever the separator.
    expect(find(f, "changed", "web01", "tags")[0]!.diffs![0]).toMatchObject({ declared: ["prod"], live: ["prod", "web"] });
    expect(find(f, "changed", "web-01", "tags")[0]!.diffs![0]!.live).toContain("Owner=team-web");
    // An EC2 instance whose type was changed by hand.
    expect(find(f, "changed", "db-01", "instance_type")[0]!.diffs![0]).toMatchObject({ declared: "t3.large", live: "r6g.large", source: "ec2" });
    // A NIC added by hand is one difference, not one per attribute.
    expect(find(f, "changed", "web01", "network.net1")[0]!.diffs![0]).toMatchObject({ declared: null, live: { bridge: "vmbr1", mac: "bc:24:11:aa:00:02" } });
    // A VM created outside Terraform, and containers never declared.
    for (const name of ["app01", "build01", "dns01", "cache01"]) expect(find(f, "unmanaged", name)).toHaveLength(1);
    // The template, and the root volume of a declared instance, are not unmanaged.
    expect(f.filter((x) => x.kind === "unmanaged" && (x.ci.name.includes("template") || x.ci.name === "web-01-root"))).toEqual([]);
    // An inventory host that is gone; machines no inventory lists, where the inventory covers their cluster.
    expect(find(f, "inventory-orphan", "ghost01")).toHaveLength(1);
    expect(find(f, "not-in-inventory", "app01")).toHaveLength(1);
    expect(find(f, "not-in-inventory", "web01")).toEqual([]);
    // The fully matching VM yields nothing at all.
    expect(f.filter((x) => x.ci.name === "db01")).toEqual([]);

    const memory = find(f, "changed", "web01", "memory_mb")[0]!;
    expect(memory).toMatchObject({ severity: "medium", key: "proxmox.vm:lab/100", ci: { type: "virtual_machine" } });
    expect(memory.ci.keys).toContain("proxmox.vm:lab/100");
    expect(report.coverage.machines).toBeGreaterThan(0);
    expect(report.coverage.scopes.find((s) => s.scope === "proxmox:lab/pve2")).toMatchObject({ machines: 3, managedMachines: 0 });
    // No secret of the lab (cloud-init password, inventory password) reaches the findings or the store.
    const dump = await storeDump(store);
    for (const secret of ["lab-cloudinit-secret", "lab-inventory-secret"]) {
      expect(JSON.stringify(report)).not.toContain(secret);
      expect(dump).not.toContain(secret);
    }
    await store.close();
  }, SLOW);

  it("keeps each finding's lifecycle: one fingerprint while the value keeps changing, resolved, reopened as a flap", async () => {
    const store = await engine.open();
    const files = new LabFiles();
    const t0 = new Date();
    const at = (hours: number) => new Date(t0.getTime() + hours * 3_600_000);
    const state = labState();
    await files.ingestDeclared(store, state, "", at(0));
    await ingestLive(store, live, at(0));
    const first = await evaluateDrift(store, {}, settings, { now: at(0) });
    const memory = find(first.findings, "changed", "web01", "memory_mb")[0]!;

    // The declared value changes again (still not what runs): same finding, same fingerprint.
    resource(state, "proxmox_vm_qemu", "web01").memory = 3072;
    await files.ingestDeclared(store, state, "", at(1));
    const second = await evaluateDrift(store, {}, settings, { now: at(1) });
    const again = find(second.findings, "changed", "web01", "memory_mb")[0]!;
    expect(again.fingerprint).toBe(memory.fingerprint);
    expect(again.diffs![0]!.declared).toBe(3072);
    expect(second.lifecycle[memory.fingerprint]).toMatchObject({ firstSeen: at(0).toISOString(), lastSeen: at(1).toISOString(), flaps: 0 });

    // The code is fixed to match: resolved.
    resource(state, "proxmox_vm_qemu", "web01").memory = 4096;
    await files.ingestDeclared(store, state, "", at(2));
    const third = await evaluateDrift(store, {}, settings, { now: at(2) });
    expect(find(third.findings, "changed", "web01", "memory_mb")).toEqual([]);
    expect(third.resolved.map((r) => r.fingerprint)).toContain(memory.fingerprint);
    const resolved = (await listFindingRecords(store.engine, "resolved")).find((r) => r.fingerprint === memory.fingerprint)!;
    expect(resolved.resolvedAt?.toISOString()).toBe(at(2).toISOString());

    // It regresses: reopened, counted as a flap, first seen kept.
    resource(state, "proxmox_vm_qemu", "web01").memory = 2048;
    await files.ingestDeclared(store, state, "", at(3));
    const fourth = await evaluateDrift(store, {}, settings, { now: at(3) });
    expect(fourth.lifecycle[memory.fingerprint]).toMatchObject({ firstSeen: at(0).toISOString(), reopenedAt: at(3).toISOString(), flaps: 1 });
    await store.close();
  }, SLOW);

  it("says the live data is stale instead of claiming drift, and keeps the open findings open", async () => {
    const store = await engine.open();
    const files = new LabFiles();
    const t0 = new Date();
    await files.ingestDeclared(store, labState(), "", t0);
    await ingestLive(store, live, t0);
    const fresh = await evaluateDrift(store, {}, settings, { now: t0 });
    const memory = find(fresh.findings, "changed", "web01", "memory_mb")[0]!;
    // Two days later nothing was collected again: Proxmox's last complete run is older than its 24h lifetime.
    const later = new Date(t0.getTime() + 2 * 86_400_000);
    await files.ingestDeclared(store, labState(), "", later);
    const report = await evaluateDrift(store, {}, settings, { now: later });
    expect(find(report.findings, "changed", "web01")).toEqual([]);
    expect(find(report.findings, "stale", "web01", "live:proxmox")[0]!.message).toMatch(/stale: drift is not claimed/);
    expect(report.resolved.map((r) => r.fingerprint)).not.toContain(memory.fingerprint);
    const open = await listFindingRecords(store.engine, "open");
    expect(open.map((r) => r.fingerprint)).toContain(memory.fingerprint);
    await store.close();
  }, SLOW);
});

describe("ignores", () => {
  it("drops what .cmdbignore and the config name, and an expired config ignore turns back into a finding", async () => {
    const store = await ENGINES[0]!.open();
    const files = new LabFiles();
    await files.ingestDeclared(store, labState());
    await ingestLive(store, live);
    const ignoreFile = join(files.dir, ".cmdbignore");
    writeFileSync(
      ignoreFile,
      [
        "# containers are built by hand here",
        "container.*            # every container finding",
        "virtual_machine.proxmox.vm:lab/10*",
        "!virtual_machine.proxmox.vm:lab/100",
        "proxmox.vm:lab/100:tags  # the web tag is set by the console on purpose (the last matching line decides)",
        "",
      ].join("\n"),
    );
    const config = {
      drift: {
        ignore: [
          { rule: "aws.instance:i-0a1b2c3d4e5f63001:ami", reason: "AMI rolled by the patch pipeline", expires: "2999-01-01" },
          { rule: "aws.instance:i-0a1b2c3d4e5f63002:*", reason: "resize approved until the migration", expires: "2020-01-01" },
        ],
      },
    };
    const report = await evaluateDrift(store, config, settings, { ignoreFile });
    const f = report.findings;
    expect(f.filter((x) => x.ci.type === "container")).toEqual([]);
    expect(find(f, "changed", "web01", "tags")).toEqual([]);
    expect(find(f, "changed", "web01", "memory_mb")).toHaveLength(1);
    expect(find(f, "unmanaged", "app01")).toEqual([]);
    expect(find(f, "changed", "web-01", "ami")).toEqual([]);
    expect(find(f, "changed", "db-01", "instance_type")).toHaveLength(1);
    expect(report.expiredIgnores).toEqual([{ rule: "aws.instance:i-0a1b2c3d4e5f63002:*", origin: "config drift.ignore[1]", expired: "2020-01-01T23:59:59.999Z" }]);
    expect(report.ignored.find((i) => i.ci === "web-01")).toMatchObject({ origin: "config drift.ignore[0]", reason: "AMI rolled by the patch pipeline" });
    await store.close();
  }, SLOW);
});

describe("cmdb drift", () => {
  let db: string;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cmdb-drift-cli-"));
    db = join(dir, "store");
    const store = await Store.open(await openEngine(db));
    const files = new LabFiles();
    await files.ingestDeclared(store, labState());
    await ingestLive(store, live);
    await store.close();
  }, SLOW);

  it("prints a table and exits 1 on drift; --fail-on gates on severity", async () => {
    const table = await runCli(["--db", db, "drift"], { cwd: dir });
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/medium\s+changed\s+web01\s+proxmox\.vm:lab\/100\s+memory_mb\s+2048 declared, 4096 live \(proxmox\)/);
    expect(table.stdout).toMatch(/IaC coverage: \d+(\.\d+)?% of live machines/);
    expect((await runCli(["--db", db, "drift", "--fail-on", "high"], { cwd: dir })).code).toBe(0);
    expect((await runCli(["--db", db, "drift", "--fail-on", "medium"], { cwd: dir })).code).toBe(1);
  }, SLOW);

  it("--json has findings with fingerprint, kind, severity, ci and diffs", async () => {
    const r = await runCli(["--db", db, "drift", "--json"], { cwd: dir });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { findings: Finding[] };
    const memory = out.findings.find((f) => f.attribute === "memory_mb")!;
    expect(memory).toMatchObject({ kind: "changed", severity: "medium", ci: { name: "web01", type: "virtual_machine" } });
    expect(memory.fingerprint).toMatch(/^[0-9a-f]{20}$/);
    expect(memory.ci.id).toMatch(/^ci_/);
    expect(memory.diffs).toEqual([{ attribute: "memory_mb", declared: 2048, live: 4096, source: "proxmox" }]);
  }, SLOW);

  it("--markdown prints a report with a findings table and coverage", async () => {
    const r = await runCli(["--db", db, "drift", "--markdown", "--fail-on", "none"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("# Drift report");
    expect(r.stdout).toContain("| medium | changed | web01 (`proxmox.vm:lab/100`) | memory_mb | 2048 | 4096 (proxmox) |");
    expect(r.stdout).toContain("## Coverage");
  }, SLOW);

  it("--sarif locates findings of Terraform-managed CIs on the line of their resource block", async () => {
    const out = join(dir, "drift.sarif");
    const r = await runCli(["--db", db, "drift", "--fail-on", "none", "--sarif", out, "--tf-dir", "test/fixtures/cross-source/tf"]);
    expect(r.code).toBe(0);
    const sarif = JSON.parse(readFileSync(out, "utf8")) as { version: string; runs: { results: { ruleId: string; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[]; properties: { attribute?: string } }[] }[] };
    expect(sarif.version).toBe("2.1.0");
    const results = sarif.runs[0]!.results;
    const memory = results.find((x) => x.properties.attribute === "memory_mb")!;
    expect(memory).toMatchObject({ ruleId: "drift/changed", level: "warning" });
    expect(memory.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: "test/fixtures/cross-source/tf/main.tf" }, region: { startLine: 13 } });
    const type = results.find((x) => x.properties.attribute === "instance_type")!;
    expect(type.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: "test/fixtures/cross-source/tf/ec2.tf" }, region: { startLine: 12 } });
    // Unmanaged CIs have no declaring block: not in SARIF.
    expect(results.some((x) => x.ruleId === "drift/unmanaged")).toBe(false);
    const broken = join(dir, "broken");
    mkdirSync(broken);
    writeFileSync(join(broken, "main.tf"), 'resource "aws_instance" "x" {\n  ami = \n');
    const bad = await runCli(["--db", db, "drift", "--sarif", out, "--tf-dir", broken], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`cmdb: ${join(broken, "main.tf")}: not valid HCL (run \`terraform validate\` there)`);
  }, SLOW);

  it("exits 2 with one clear line on bad usage or a bad ignore file", async () => {
    const bad = await runCli(["--db", db, "drift", "--fail-on", "severe"], { cwd: dir });
    expect(bad.code).toBe(2);
    const missing = await runCli(["--db", db, "drift", "--ignore-file", join(dir, "nope")], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`cmdb: ${join(dir, "nope")}: cannot read the ignore file: ENOENT`);
    const noToken = await runCli(["--db", db, "drift", "--github", "o/r"], { cwd: dir, env: { GITHUB_TOKEN: "", GH_TOKEN: "" } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("set GITHUB_TOKEN or GH_TOKEN");
  }, SLOW);

  it("--github opens issues through octokit, writes nothing on an unchanged run, and --dry-run sends no write", async () => {
    const gh = await startStandIn();
    const env = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.url, CMDB_GITHUB_WRITE_INTERVAL_MS: "0" };
    try {
      const dry = await runCli(["--db", db, "drift", "--github", "lab-org/infra", "--dry-run"], { cwd: dir, env });
      expect(dry.code).toBe(1);
      expect(gh.writes()).toBe(0);
      expect(dry.stderr).toMatch(/would create issue "Drift: web01 \(virtual_machine\)"/);
      expect(dry.stderr).toContain("| medium | changed | memory_mb | 2048 | 4096 (proxmox) |");

      const first = await runCli(["--db", db, "drift", "--github", "lab-org/infra"], { cwd: dir, env });
      expect(first.code).toBe(1);
      const titles = [...gh.issues.values()].map((i) => i.title);
      expect(titles).toContain("Drift: web01 (virtual_machine)");
      expect(titles).toContain("CMDB drift dashboard");
      const web01 = [...gh.issues.values()].find((i) => i.title === "Drift: web01 (virtual_machine)")!;
      const mermaid = /## Neighbourhood\n\n[^\n]*\n\n```mermaid\n([\s\S]*?)\n```\n/.exec(web01.body)?.[1] ?? "";
      expect(mermaid).toMatch(/^flowchart /m);
      expect(mermaid).toMatch(/\["web01<br\/>Virtual machine<br\/>\[drift(: \w+)?\]"\]/);
      expect(mermaid).toContain('"pve1<br/>Hypervisor node"');
      const everything = JSON.stringify([...gh.issues.values()]);
      for (const secret of ["lab-cloudinit-secret", "lab-inventory-secret", TOKEN]) expect(everything).not.toContain(secret);
      expect(first.stderr).not.toContain(TOKEN);

      gh.reset();
      const second = await runCli(["--db", db, "drift", "--github", "lab-org/infra"], { cwd: dir, env });
      expect(second.code).toBe(1);
      expect(gh.writes()).toBe(0);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
    }
  }, SLOW);
});
