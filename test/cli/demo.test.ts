import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/corpus.js";

/**
 * `npm run demo` as a newcomer runs it: the built CLI in an empty directory (the default store
 * ./.cmdb, the default output folder ./cmdb-demo), no server, no account, no network.
 */
const EXAMPLES = join(REPO_ROOT, "examples");
const PASSWORD = /EXAMPLE-not-a-real-password/;

interface DriftFinding {
  kind: string;
  ci: { id: string; name: string };
  attribute?: string;
  diffs?: { declared: unknown; live: unknown; source: string }[];
}
interface Due {
  name: string;
  status: string;
  due: string;
  systems: { name: string }[];
}

let dir: string;
let first: CliResult;
const inDir = (args: string[]) => runCli(args, { cwd: dir });
const json = async <T>(args: string[]): Promise<T> => {
  const r = await inDir([...args, "--json"]);
  expect(r.stderr, args.join(" ")).toBe("");
  return JSON.parse(r.stdout) as T;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cmdb-demo-"));
  first = await inDir(["demo"]);
}, 600_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("cmdb demo on a fresh directory", { timeout: 600_000 }, () => {
  it("ingests every example source into the embedded store and exits 0, quietly", () => {
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(existsSync(join(dir, ".cmdb"))).toBe(true);
    for (const scope of ["proxmox:homelab ", "proxmox:homelab/pve1", "/homelab-proxmox:", "/aws-shop-vpc:", "ansible:examples/ansible/inventory.yml", "ansible-facts:examples/ansible/facts", "bitwarden:export/export.json"]) {
      expect(first.stdout).toContain(scope);
    }
    // The Proxmox answers went through the real client, over loopback.
    expect(first.stdout).toMatch(/Proxmox VE cluster homelab \(live answers recorded on 2026-12-01, replayed on http:\/\/127\.0\.0\.1:\d+\)/);
  });

  it("joins each homelab machine's four sources into one CI", async () => {
    const cis = await json<{ name: string; sources: string[] }[]>(["ci", "list", "--provider", "proxmox"]);
    for (const name of ["k3s-server", "k3s-agent-1", "k3s-agent-2", "pihole"]) {
      expect(cis.filter((c) => c.name === name).map((c) => c.sources)).toEqual([["ansible", "ansible-facts", "proxmox", "terraform"]]);
    }
  });

  it("finds the three drifts the recording holds, and none on the machines that match", async () => {
    const report = await json<{ findings: DriftFinding[] }>(["drift", "--fail-on", "none"]);
    const byCi = (name: string) => report.findings.filter((f) => f.ci.name === name);
    expect(byCi("k3s-agent-1").map((f) => [f.kind, f.attribute, f.diffs?.map((d) => [d.declared, d.live, d.source])])).toEqual([["changed", "memory_mb", [[16384, 24576, "proxmox"]]]]);
    expect(byCi("k3s-server").map((f) => [f.kind, f.attribute, f.diffs?.map((d) => [d.declared, d.live])])).toEqual([
      ["changed", "tags", [[["env=homelab", "k3s", "terraform"], ["backup", "env=homelab", "k3s", "terraform"]]]],
    ]);
    expect(byCi("gitea").map((f) => f.kind).sort()).toEqual(["not-in-inventory", "unmanaged"]);
    expect(byCi("k3s-agent-2")).toEqual([]);
    expect(byCi("pihole")).toEqual([]);
    expect(report.findings).toHaveLength(4);
    // The demo printed the same findings.
    const printed = first.stdout.slice(first.stdout.indexOf("\nDrift:"), first.stdout.indexOf("\nCredentials due"));
    expect(printed).toMatch(/changed\s+k3s-agent-1\s+memory_mb\s+16384 declared, 24576 live \(proxmox\)/);
    expect(printed).toMatch(/changed\s+k3s-server\s+tags\s+env=homelab, k3s, terraform declared, backup, env=homelab, k3s, terraform live/);
    expect(printed).toMatch(/unmanaged\s+gitea\s/);
  });

  it("lists the credentials due as of the recording day, with the systems they open", async () => {
    const rotation = await json<{ credentials: Due[] }>(["rotation", "--as-of", "2026-12-01"]);
    expect(rotation.credentials.map((c) => [c.status, c.name, c.due.slice(0, 10), c.systems.map((s) => s.name).sort()])).toEqual([
      ["overdue", "pihole root", "2024-09-14", ["pihole"]],
      ["overdue", "Proxmox API token (cmdb discovery)", "2025-11-08", ["pve1"]],
      ["overdue", "AWS shop deploy key", "2026-11-30", ["shop-web-0", "shop-web-1"]],
      ["due-soon", "k3s-server ssh (ops)", "2026-12-04", ["k3s-server"]],
    ]);
    const printed = first.stdout.slice(first.stdout.indexOf("\nCredentials due"), first.stdout.indexOf("\nWhat k3s"));
    for (const c of rotation.credentials) expect(printed).toMatch(new RegExp(`${c.status}\\s+${c.due.slice(0, 10)}\\s+${c.name.replace(/[()]/g, "\\$&")}`));
    expect(printed).not.toMatch(/k3s agents ssh|nas admin|gitea admin/);
  });

  it("writes a health report and a diagram that name the demo's CIs and findings, and says where", () => {
    const out = join(dir, "cmdb-demo");
    expect(readdirSync(out).sort()).toEqual(["diagram.mmd", "diagram.svg", "health.html", "health.md"]);
    for (const file of ["health.html", "health.md", "diagram.svg", "diagram.mmd"]) {
      const text = readFileSync(join(out, file), "utf8").replace(/&#45;/g, "-");
      for (const name of ["k3s-agent-1", "gitea", "pve1", "pihole root"]) expect(text, `${name} in ${file}`).toContain(name);
      expect(first.stdout).toContain(`cmdb-demo/${file}`);
    }
    const md = readFileSync(join(out, "health.md"), "utf8");
    // As of today the three credentials overdue for good are in the findings, and the drift is.
    expect(md).toMatch(/### drift \(4\)/);
    for (const name of ["pihole root", "Proxmox API token (cmdb discovery)", "AWS shop deploy key"]) expect(md).toContain(name);
    expect(readFileSync(join(out, "diagram.mmd"), "utf8")).toMatch(/\[drift: medium\]/);
  });

  it("never lets a password of the export out: not in the output, the files, the snapshot", async () => {
    expect(readFileSync(join(EXAMPLES, "bitwarden", "export.json"), "utf8")).toMatch(PASSWORD);
    expect(first.stdout).not.toMatch(PASSWORD);
    for (const file of readdirSync(join(dir, "cmdb-demo"))) expect(readFileSync(join(dir, "cmdb-demo", file), "utf8")).not.toMatch(PASSWORD);
    const snapshot = await inDir(["snapshot", "export"]);
    expect(snapshot.code).toBe(0);
    expect(snapshot.stdout).toContain("nas admin");
    expect(snapshot.stdout).not.toMatch(PASSWORD);
  });

  it("ends with Try lines that each run as printed, exit 0", async () => {
    const tries = first.stdout
      .slice(first.stdout.indexOf("\nTry"))
      .split("\n")
      .filter((l) => l.startsWith("  npx cmdb "));
    expect(tries.length).toBeGreaterThanOrEqual(8);
    for (const line of tries) {
      const r = await inDir(line.trim().split(/\s+/).slice(2));
      expect({ line, code: r.code, stderr: r.stderr.replace(/^wrote .*\n/, "") }).toEqual({ line, code: 0, stderr: "" });
    }
    expect(existsSync(join(dir, "cmdb-demo", "report.md"))).toBe(true);
    expect(existsSync(join(dir, "cmdb-snapshot.json"))).toBe(true);
    // `npx cmdb` in the clone is this package's own CLI.
    const { stdout } = await promisify(execFile)("npx", ["--no-install", "cmdb", "--version"], { cwd: REPO_ROOT });
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version);
  });

  it("runs again: exit 0, nothing new, the same findings", async () => {
    const again = await inDir(["demo"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    const ingests = again.stdout.split("\n").filter((l) => / seen, /.test(l));
    expect(ingests).toHaveLength(8);
    for (const line of ingests) expect(line).toMatch(/ seen, 0 new, 0 changed, 0 gone, 0 relationships added, 0 removed \(success/);
    expect(again.stdout).toContain("(cmdb drift), 4 finding(s)");
    expect(again.stdout).toContain("(cmdb rotation --as-of 2026-12-01), 4 of them");
  });
});

describe("cmdb demo with a broken recording", { timeout: 600_000 }, () => {
  const copy = (): string => {
    const work = mkdtempSync(join(tmpdir(), "cmdb-demo-broken-"));
    cpSync(EXAMPLES, join(work, "examples"), { recursive: true });
    return work;
  };

  it("a request the recording cannot answer fails the demo, naming the request and the folder", async () => {
    const work = copy();
    const routesFile = join(work, "examples", "proxmox", "homelab", "routes.json");
    const routes = JSON.parse(readFileSync(routesFile, "utf8")) as { routes: { request: string }[] };
    routes.routes = routes.routes.filter((r) => !r.request.includes("/qemu/203/config"));
    writeFileSync(routesFile, JSON.stringify(routes));
    const r = await runCli(["demo", "--examples", join(work, "examples")], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cmdb: .*examples\/proxmox\/homelab: the recorded Proxmox answers do not make a cluster: GET \/api2\/json\/nodes\/pve2\/qemu\/203\/config\?current=1: no recorded answer/);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    rmSync(work, { recursive: true, force: true });
  });

  it("an answer file that is not JSON is refused before anything is collected", async () => {
    const work = copy();
    writeFileSync(join(work, "examples", "proxmox", "homelab", "nodes.json"), '{"data": [');
    const r = await runCli(["demo", "--examples", join(work, "examples")], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cmdb: .*examples\/proxmox\/homelab\/nodes\.json: the recorded answer to GET \/api2\/json\/nodes is not readable JSON/);
    expect(r.stdout).not.toContain("seen,");
    rmSync(work, { recursive: true, force: true });
  });
});
