import { execFileSync, spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEngine } from "../../src/store/engine.js";
import { Store } from "../../src/store/store.js";
import { CLI, cliJson, runCli } from "../helpers/cli.js";
import { REPO_ROOT, TEST_FIXTURES } from "../helpers/corpus.js";
import { commandWorks, requireService } from "../helpers/services.js";

/**
 * The collection under real ansible-core: the callback records playbook runs (and spools when the
 * CMDB cannot be reached), the inventory plugin and the script inventory read the CMDB. PGlite only:
 * each case starts real ansible processes, which is what costs time here.
 */
const ansible = requireService("ansible-core", () => commandWorks("ansible-playbook") && commandWorks("ansible-inventory") && commandWorks("ansible-galaxy"));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: Date.now() - started }));
  });
}

let root: string;
let collections: string;

beforeAll(() => {
  if (!ansible.ok) return;
  root = mkdtempSync(join(tmpdir(), "cmdb-ansible-real-"));
  collections = join(root, "collections");
  execFileSync("ansible-galaxy", ["collection", "build", join(REPO_ROOT, "ansible"), "--output-path", join(root, "build")], { stdio: "pipe", env: baseEnv() });
  const tarball = readdirSync(join(root, "build")).find((n) => n.endsWith(".tar.gz"))!;
  execFileSync("ansible-galaxy", ["collection", "install", join(root, "build", tarball), "-p", collections], { stdio: "pipe", env: baseEnv() });
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function baseEnv(): NodeJS.ProcessEnv {
  const home = join(root, "home");
  mkdirSync(home, { recursive: true });
  return { PATH: process.env.PATH, HOME: home, LANG: "C.UTF-8", ANSIBLE_COLLECTIONS_PATH: collections, ANSIBLE_NOCOLOR: "1" };
}

function callbackEnv(db: string, spool: string): NodeJS.ProcessEnv {
  return {
    ...baseEnv(),
    ANSIBLE_CALLBACKS_ENABLED: "gitops_cmdb.cmdb.cmdb",
    CMDB_CALLBACK_EXECUTABLE: process.execPath,
    CMDB_CALLBACK_ARGS: `${CLI} --db ${db}`,
    CMDB_CALLBACK_SPOOL_DIR: spool,
    CMDB_CALLBACK_TIMEOUT: "60",
  };
}

function workdir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const file of ["site.yml", "hosts"]) copyFileSync(join(TEST_FIXTURES, "ansible-playbook", file), join(dir, file));
  return dir;
}

function spooled(spool: string): string[] {
  return existsSync(spool) ? readdirSync(spool).filter((n) => n.endsWith(".json")) : [];
}

interface RunEntry {
  source: string;
  scope: string;
  outcome: string;
}

describe.skipIf(!ansible.ok)("the callback plugin under ansible-playbook", () => {
  it("records the run: the playbook's run, the host with its counts, facts and machine-id, no secret; and costs little time", async () => {
    const dir = workdir("record");
    const db = join(dir, "cmdb");
    const spool = join(dir, "spool");
    const without = await run("ansible-playbook", ["-i", "hosts", "site.yml"], baseEnv(), dir);
    expect(without.code, without.stdout + without.stderr).toBe(0);
    const first = await run("ansible-playbook", ["-i", "hosts", "site.yml"], callbackEnv(db, spool), dir);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout + first.stderr).not.toContain("cmdb callback");
    expect(spooled(spool)).toEqual([]);
    // The store exists now: the second run shows what the callback costs a playbook from then on.
    const second = await run("ansible-playbook", ["-i", "hosts", "site.yml"], callbackEnv(db, spool), dir);
    expect(second.code).toBe(0);
    console.log(`playbook wall time: ${without.ms} ms without the callback, ${second.ms} ms with it (first run creating the store: ${first.ms} ms)`);
    // One cmdb process (node + PGlite) per run: seconds at most, even on a loaded 2-core machine.
    expect(second.ms).toBeLessThan(without.ms + Math.max(8000, without.ms));

    const runs = await cliJson<RunEntry[]>(["--db", db, "runs", "--json"]);
    expect(runs.map((r) => [r.source, r.scope, r.outcome])).toEqual([
      ["ansible-playbook", "ansible-playbook:site.yml", "success"],
      ["ansible-playbook", "ansible-playbook:site.yml", "success"],
    ]);
    const list = await cliJson<{ id: string; name: string; keys: string[] }[]>(["--db", db, "ci", "list", "--json"]);
    expect(list).toHaveLength(1);
    expect(list[0]!.name).toBe("localhost");
    const machineId = existsSync("/etc/machine-id") ? readFileSync("/etc/machine-id", "utf8").trim() : undefined;
    if (machineId) expect(list[0]!.keys).toContain(`machine-id:${machineId}`);
    const show = await cliJson<{ observations: { source: string; attributes: Record<string, unknown> }[] }>(["--db", db, "ci", "show", list[0]!.id, "--json"]);
    const attributes = show.observations.find((o) => o.source === "ansible-playbook")!.attributes;
    expect(attributes.playbook_run).toMatchObject({ playbook: "site.yml", ok: 2, changed: 0, failed: 0, unreachable: 0, skipped: 1 });
    expect(attributes.memory_mb).toBeGreaterThan(0);
    expect(typeof attributes.kernel).toBe("string");
    const store = await Store.open(await openEngine(db));
    try {
      const rows = await store.engine.query<{ t: string }>("SELECT (SELECT json_agg(o)::text FROM observation o) || (SELECT json_agg(r)::text FROM run r) AS t");
      expect(rows[0]!.t).not.toContain("never-sent-s3cret");
      expect(rows[0]!.t).not.toContain("ansible_env");
    } finally {
      await store.close();
    }
  });

  it("spools the report when the CMDB cannot be opened, the playbook still succeeds, and the next run sends both", async () => {
    const dir = workdir("spool");
    const db = join(dir, "cmdb");
    const spool = join(dir, "spool");
    const unreachable = { ...callbackEnv("postgres://nobody@127.0.0.1:1/none", spool), CMDB_CALLBACK_TIMEOUT: "20" };
    const failed = await run("ansible-playbook", ["-i", "hosts", "site.yml"], unreachable, dir);
    expect(failed.code, failed.stdout + failed.stderr).toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(/cmdb callback: could not record the run in the CMDB \(cmdb exited 1/);
    expect(spooled(spool)).toHaveLength(1);

    const sent = await run("ansible-playbook", ["-i", "hosts", "site.yml"], callbackEnv(db, spool), dir);
    expect(sent.code).toBe(0);
    expect(sent.stdout + sent.stderr).not.toContain("cmdb callback");
    expect(spooled(spool)).toEqual([]);
    const runs = await cliJson<RunEntry[]>(["--db", db, "runs", "--json"]);
    expect(runs.filter((r) => r.source === "ansible-playbook" && r.outcome === "success")).toHaveLength(2);
  });
});

describe.skipIf(!ansible.ok)("reading the CMDB as an Ansible inventory", () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = join(root, "inventory");
    mkdirSync(dir, { recursive: true });
    db = join(dir, "cmdb");
    for (const args of [
      ["ingest", "terraform", "examples/terraform/homelab-proxmox.tfstate"],
      ["ingest", "ansible", "-i", "examples/ansible/inventory.yml"],
      ["ingest", "ansible-facts", "examples/ansible/facts"],
    ]) {
      const r = await runCli(["--db", db, ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it("the inventory plugin yields the CMDB's machines with default groups, keyed_groups, groups and compose", async () => {
    const config = join(dir, "homelab.cmdb.yml");
    writeFileSync(
      config,
      [
        "plugin: gitops_cmdb.cmdb.cmdb",
        `executable: ${process.execPath}`,
        `args: [${JSON.stringify(CLI)}]`,
        `db: ${JSON.stringify(db)}`,
        "keyed_groups:",
        "  - key: cmdb_type",
        "    prefix: kind",
        "groups:",
        "  k3s: \"'k3s' in cmdb_tags\"",
        "compose:",
        "  ansible_user: \"'root' if cmdb_type == 'container' else 'debian'\"",
        "",
      ].join("\n"),
    );
    const r = await run("ansible-inventory", ["-i", config, "--list"], baseEnv(), dir);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout);
    const hostvars = list._meta.hostvars;
    expect(Object.keys(hostvars).sort()).toEqual(["k3s-agent-1", "k3s-agent-2", "k3s-server", "pihole"]);
    expect(hostvars["k3s-server"]).toMatchObject({ ansible_host: "192.168.20.11", ansible_user: "debian", cmdb_type: "virtual_machine", cmdb_environment: "homelab", cmdb_provider: "proxmox" });
    expect(hostvars.pihole).toMatchObject({ ansible_host: "192.168.20.53", ansible_user: "root", cmdb_type: "container" });
    expect(list.type_virtual_machine.hosts.sort()).toEqual(["k3s-agent-1", "k3s-agent-2", "k3s-server"]);
    expect(list.kind_virtual_machine.hosts.sort()).toEqual(["k3s-agent-1", "k3s-agent-2", "k3s-server"]);
    expect(list.env_homelab.hosts).toHaveLength(4);
    expect(list.provider_proxmox.hosts).toHaveLength(4);
    expect(list.source_terraform.hosts).toHaveLength(4);
    expect(list.source_ansible_facts.hosts).toHaveLength(4);
    expect(list.k3s.hosts.sort()).toEqual(["k3s-agent-1", "k3s-agent-2", "k3s-server"]);
    expect(r.stdout).not.toMatch(/redacted|vault|token/i);
  });

  it("`cmdb ansible inventory` works as a script inventory (--list and --host)", async () => {
    const script = join(dir, "cmdb-inventory");
    writeFileSync(script, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} --db ${JSON.stringify(db)} ansible inventory "$@"\n`);
    chmodSync(script, 0o755);
    const r = await run("ansible-inventory", ["-i", script, "--list"], baseEnv(), dir);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(Object.keys(list._meta.hostvars).sort()).toEqual(["k3s-agent-1", "k3s-agent-2", "k3s-server", "pihole"]);
    expect(list.type_container.hosts).toEqual(["pihole"]);
    const host = await run("ansible-inventory", ["-i", script, "--host", "k3s-agent-2"], baseEnv(), dir);
    expect(JSON.parse(host.stdout)).toMatchObject({ ansible_host: "192.168.20.13", cmdb_type: "virtual_machine" });
  });
});
