import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestAnsibleFacts, ingestAnsibleInventory, ingestAnsiblePlaybook } from "../../src/sources/ansible/ingest.js";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import { strong } from "../../src/model/index.js";
import { ingestBatch } from "../../src/reconcile/ingest.js";
import { openEngine } from "../../src/store/engine.js";
import { ciDetail, findCis, listCis, listRuns } from "../../src/store/queries.js";
import { Store } from "../../src/store/store.js";
import { cliJson, runCli } from "../helpers/cli.js";
import { corpusDir, REPO_ROOT, TEST_FIXTURES } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { storeDump } from "../helpers/store-dump.js";

const settings = reconcileSettings({});
const FACTS = join(TEST_FIXTURES, "ansible-facts");
const EXAMPLES = join(REPO_ROOT, "examples");

/** Hosts and groups (without all/ungrouped) of an ansible-inventory --list output. */
function expectedShape(list: Record<string, { hosts?: string[]; children?: string[] }>): { hosts: Set<string>; groups: Set<string> } {
  const hosts = new Set(Object.keys((list._meta as unknown as { hostvars: Record<string, unknown> }).hostvars));
  const groups = new Set<string>();
  for (const [name, entry] of Object.entries(list)) {
    if (name === "_meta") continue;
    for (const h of entry.hosts ?? []) hosts.add(h);
    if (name !== "all" && name !== "ungrouped") groups.add(name);
    for (const c of entry.children ?? []) if (c !== "ungrouped") groups.add(c);
  }
  return { hosts, groups };
}

/** Inventories with an expected --list output: the project's own fixtures, and the corpus when present. */
function inventoriesWithExpectations(): { path: string; expected: string }[] {
  const out: { path: string; expected: string }[] = [];
  for (const dir of [join(TEST_FIXTURES, "ansible"), corpusDir("ansible")]) {
    if (!dir) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith(".expected.json")) continue;
      const stem = name.slice(0, -".expected.json".length);
      const source = readdirSync(dir).find((n) => n === stem || (n.startsWith(`${stem}.`) && !n.startsWith(`${stem}.expected`)));
      // Where Ansible only warned that it could not parse a source, cmdb refuses it (see the parser's README).
      const stderr = join(dir, `${stem}.expected.stderr`);
      if (readdirSync(dir).includes(`${stem}.expected.stderr`) && readFileSync(stderr, "utf8").includes("Unable to parse")) continue;
      if (source) out.push({ path: join(dir, source), expected: join(dir, name) });
    }
  }
  return out;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "cmdb-ansible-"));
}

const SECRET_INVENTORY = `all:
  vars:
    ansible_become_password: become-s3cret-value
  hosts:
    web1.example.com:
      ansible_host: 10.9.8.7
      ansible_password: login-s3cret-value
      db_token: token-s3cret-value
      app_key: !vault |
        $ANSIBLE_VAULT;1.1;AES256
        62313365396662343061393464336163383764373764613633653634306231386433626436623361
        6134333665353966363534333632666535333761666131620a663537646436643839616531643561
      env: production
      owner: team-web
`;
const SECRETS = ["become-s3cret-value", "login-s3cret-value", "token-s3cret-value", "62313365396662343061393464336163", "ANSIBLE_VAULT"];

afterAll(dropTestSchemas);

describe.each(ENGINES)("ansible ingest on $name", (engine) => {
  let store: Store;
  let dir: string;
  beforeEach(async (ctx) => {
    if (!engine.available) ctx.skip();
    store = await engine.open();
    dir = tempDir();
  });
  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("turns hosts into CIs and groups into ansible_group CIs with MEMBER_OF edges host→group and child→parent", async () => {
    const result = await ingestAnsibleInventory(store, ["examples/ansible/inventory.yml"], { settings, cwd: REPO_ROOT });
    expect(result.scope).toBe("ansible:examples/ansible/inventory.yml");
    expect(result.counts).toMatchObject({ seen: 8, new: 8, relationshipsAdded: 6 });
    const servers = await listCis(store.engine, { type: "server" });
    expect(servers.map((c) => c.name)).toEqual(["k3s-agent-1", "k3s-agent-2", "k3s-server", "pihole"]);
    const server = servers.find((c) => c.name === "k3s-server")!;
    expect(server.keys).toEqual(["hostname:k3s-server", "ip:192.168.20.11"]);
    expect(server).toMatchObject({ environment: "homelab", owner: "homelab-admins" });
    const groups = await listCis(store.engine, { type: "ansible_group" });
    expect(groups.map((g) => g.name)).toEqual(["dns", "k3s_agents", "k3s_cluster", "k3s_server"]);
    expect(groups.find((g) => g.name === "k3s_cluster")!.keys).toEqual(["ansible.group:examples/ansible/inventory.yml/k3s_cluster"]);
    const detail = await ciDetail(store.engine, server.id);
    expect(detail.relationships.filter((r) => r.direction === "out").map((r) => `${r.type} ${r.name}`)).toEqual(["MEMBER_OF k3s_server"]);
    expect(detail.attributes).toMatchObject({ hostname: "k3s-server", ansible_host: "192.168.20.11", groups: ["k3s_cluster", "k3s_server"] });
    const serverGroup = await ciDetail(store.engine, groups.find((g) => g.name === "k3s_server")!.id);
    expect(serverGroup.relationships.filter((r) => r.direction === "out").map((r) => `${r.type} ${r.name}`)).toEqual(["MEMBER_OF k3s_cluster"]);
    const again = await ingestAnsibleInventory(store, ["./examples/ansible/inventory.yml"], { settings, cwd: REPO_ROOT });
    expect(again.scope).toBe(result.scope);
    expect(again.counts).toMatchObject({ new: 0, changed: 0, gone: 0, relationshipsAdded: 0, relationshipsRemoved: 0 });
  });

  it("ingests every inventory with a known ansible-inventory output: one CI per host and per group", async () => {
    const cases = inventoriesWithExpectations();
    expect(cases.length).toBeGreaterThan(5);
    for (const { path, expected } of cases) {
      const shape = expectedShape(JSON.parse(readFileSync(expected, "utf8")));
      const result = await ingestAnsibleInventory(store, [path], { settings, cwd: REPO_ROOT });
      expect(result.counts.seen, path).toBe(shape.hosts.size + shape.groups.size);
      const observed = await store.engine.query<{ ref: string; type: string }>("SELECT ref, type FROM observation WHERE source = 'ansible' AND scope = $1", [result.scope]);
      expect(new Set(observed.filter((o) => o.type === "server").map((o) => o.ref)), path).toEqual(shape.hosts);
      expect(new Set(observed.filter((o) => o.type === "ansible_group").map((o) => o.ref.slice("group:".length))), path).toEqual(shape.groups);
    }
  });

  it("a host removed from an inventory is gone for that inventory's scope only", async () => {
    const a = join(dir, "a.ini");
    const b = join(dir, "b.ini");
    writeFileSync(a, "[web]\nshared1\nonly-a\nkept-a\n");
    writeFileSync(b, "[db]\nshared1\n");
    await ingestAnsibleInventory(store, [a], { settings, cwd: dir });
    await ingestAnsibleInventory(store, [b], { settings, cwd: dir });
    writeFileSync(a, "[web]\nkept-a\n");
    const result = await ingestAnsibleInventory(store, [a], { settings, cwd: dir });
    expect(result.scope).toBe("ansible:a.ini");
    expect(result.counts.gone).toBe(2);
    const observations = await store.engine.query<{ scope: string; status: string; ci_id: string }>(
      "SELECT scope, status, ci_id FROM observation WHERE ref = 'shared1' ORDER BY scope",
    );
    expect(observations.map((o) => `${o.scope} ${o.status}`)).toEqual(["ansible:a.ini gone", "ansible:b.ini present"]);
    // Both inventories name the same machine: one CI, observed by both.
    expect(observations[0]!.ci_id).toBe(observations[1]!.ci_id);
    const inB = (await findCis(store.engine, observations[1]!.ci_id))[0]!;
    expect(inB.status).toBe("active");
    const onlyA = await findCis(store.engine, "hostname:only-a");
    expect(onlyA.map((c) => c.status)).toEqual(["missing"]);
    expect((await findCis(store.engine, "hostname:kept-a")).map((c) => c.status)).toEqual(["active"]);
  });

  it("a broken inventory is refused with its file named, and nothing lands but a failed run", async () => {
    const broken = join(TEST_FIXTURES, "ansible/broken-children-loop.ini");
    await expect(ingestAnsibleInventory(store, [broken], { settings, cwd: REPO_ROOT })).rejects.toMatchObject({
      message: expect.stringContaining("recursive dependency loop"),
      where: expect.stringContaining("broken-children-loop.ini"),
    });
    expect(await listCis(store.engine)).toEqual([]);
    const runs = await listRuns(store.engine, { source: "ansible" });
    expect(runs.map((r) => [r.scope, r.outcome])).toEqual([["ansible:test/fixtures/ansible/broken-children-loop.ini", "failed"]]);
  });

  it("facts from this machine's setup and its fact cache join one CI, and an SSH batch with its machine-id joins it too", async () => {
    const setup = JSON.parse(readFileSync(join(FACTS, "setup-localhost.json"), "utf8")).ansible_facts;
    const machineId: string = setup.ansible_machine_id;
    const first = await ingestAnsibleFacts(store, join(FACTS, "setup-localhost.json"), { settings, cwd: REPO_ROOT });
    expect(first.scope).toBe(`ansible-facts:${join(FACTS, "setup-localhost.json")}`);
    const cache = await ingestAnsibleFacts(store, join(FACTS, "jsonfile-cache"), { settings, cwd: REPO_ROOT });
    expect(cache.scope).toBe(`ansible-facts:${join(FACTS, "jsonfile-cache")}`);
    expect(cache.counts.new).toBe(0);
    const ssh = await ingestBatch(
      store,
      {
        source: "ssh",
        scope: "ssh:this-machine",
        complete: true,
        observations: [{ ref: "this-machine", type: "server", keys: [strong("machine-id", machineId)], attributes: { memory_mb: setup.ansible_memtotal_mb } }],
        relationships: [],
      },
      { settings },
    );
    expect(ssh.counts.new).toBe(0);
    const cis = await findCis(store.engine, `machine-id:${machineId}`);
    expect(cis).toHaveLength(1);
    expect(cis[0]!.sources).toEqual(["ansible-facts", "ssh"]);
    const detail = await ciDetail(store.engine, cis[0]!.id);
    const facts = detail.observations.find((o) => o.source === "ansible-facts")!.attributes;
    expect(facts).toMatchObject({
      machine_id: machineId,
      memory_mb: setup.ansible_memtotal_mb,
      kernel: setup.ansible_kernel,
      os_family: setup.ansible_os_family,
      architecture: setup.ansible_architecture,
      cpu_cores: setup.ansible_processor_vcpus,
    });
    expect(facts.ip_addresses).toEqual(expect.arrayContaining(setup.ansible_all_ipv4_addresses));
    const dump = await storeDump(store);
    expect(dump).not.toContain(setup.ansible_env.PATH);
  });

  it("the Terraform homelab, its inventory and its facts make one CI per machine", async () => {
    await ingestTerraform(store, { input: join(EXAMPLES, "terraform/homelab-proxmox.tfstate"), settings });
    await ingestAnsibleInventory(store, [join(EXAMPLES, "ansible/inventory.yml")], { settings, cwd: REPO_ROOT });
    const facts = await ingestAnsibleFacts(store, join(EXAMPLES, "ansible/facts"), { settings, cwd: REPO_ROOT });
    expect(facts.counts.new).toBe(0);
    const machines = (await listCis(store.engine)).filter((c) => ["virtual_machine", "container", "server"].includes(c.type));
    expect(machines.map((c) => [c.name, c.type, c.sources.join(",")])).toEqual([
      ["pihole", "container", "ansible,ansible-facts,terraform"],
      ["k3s-agent-1", "virtual_machine", "ansible,ansible-facts,terraform"],
      ["k3s-agent-2", "virtual_machine", "ansible,ansible-facts,terraform"],
      ["k3s-server", "virtual_machine", "ansible,ansible-facts,terraform"],
    ]);
    const server = machines.find((c) => c.name === "k3s-server")!;
    expect(server.keys).toEqual(expect.arrayContaining(["mac:bc:24:11:4a:10:01", "smbios.uuid:3f6c2a10-58e1-4c2b-9d71-0a4be5c7d901", "machine-id:5b0e1c9f4a7d4e2f9c3b8a6d1e0f2a31"]));
    const dump = await storeDump(store);
    for (const secret of ["not-stored-because-the-name-says-token", "38623866653465363431363762303734"]) expect(dump).not.toContain(secret);
  });

  it("a playbook report lands as a run for the playbook with per-host counts, joined to the facts' machine", async () => {
    const reportPath = join(TEST_FIXTURES, "ansible-playbook/report-localhost.json");
    const text = readFileSync(reportPath, "utf8");
    const doc = JSON.parse(text);
    const facts = await ingestAnsibleFacts(store, join(FACTS, "setup-localhost.json"), { settings, cwd: REPO_ROOT });
    expect(facts.counts.new).toBe(1);
    const result = await ingestAnsiblePlaybook(store, text, reportPath, { settings });
    expect(result).toMatchObject({ source: "ansible-playbook", scope: "ansible-playbook:site.yml", outcome: "success" });
    expect(result.counts.new).toBe(0);
    const [run] = await listRuns(store.engine, { source: "ansible-playbook" });
    expect(run!.scope).toBe(result.scope);
    const machineId = doc.hosts.localhost.facts.ansible_machine_id;
    const [ci] = await findCis(store.engine, `machine-id:${machineId}`);
    const detail = await ciDetail(store.engine, ci!.id);
    expect(detail.sources).toEqual(["ansible-facts", "ansible-playbook"]);
    const observed = detail.observations.find((o) => o.source === "ansible-playbook")!;
    expect(observed.attributes.playbook_run).toMatchObject({ playbook: "site.yml", ok: doc.hosts.localhost.stats.ok, failed: 0, unreachable: 0 });
    const dump = await storeDump(store);
    expect(dump).not.toContain(doc.hosts.localhost.facts.ansible_python?.executable ?? "no-such-value");
  });

  it("no planted secret reaches the store, ci list --json or snapshot export", async () => {
    const inventory = join(dir, "secrets.yml");
    writeFileSync(inventory, SECRET_INVENTORY);
    const db = await engine.location(dir);
    const ingested = await cliJson<{ scope: string; counts: { new: number } }>(["--db", db, "ingest", "ansible", "-i", inventory, "--json"], { cwd: dir });
    expect(ingested).toMatchObject({ scope: "ansible:secrets.yml", counts: { new: 1 } });
    const list = await runCli(["--db", db, "ci", "list", "--json"], { cwd: dir });
    const cis = JSON.parse(list.stdout) as { id: string; keys: string[]; environment: string; owner: string }[];
    expect(cis).toHaveLength(1);
    expect(cis[0]).toMatchObject({ environment: "production", owner: "team-web" });
    expect(cis[0]!.keys).toEqual(["fqdn:web1.example.com", "hostname:web1", "ip:10.9.8.7"]);
    const show = await runCli(["--db", db, "ci", "show", cis[0]!.id, "--json"], { cwd: dir });
    expect(JSON.parse(show.stdout).attributes.vars).toMatchObject({ ansible_password: "(redacted)", db_token: "(redacted)", app_key: "(redacted)", ansible_become_password: "(redacted)" });
    const snapshot = await runCli(["--db", db, "snapshot", "export"], { cwd: dir });
    expect(snapshot.code).toBe(0);
    const reopened = Store.open(await openEngine(db));
    const dump = await storeDump(await reopened);
    await (await reopened).close();
    for (const text of [list.stdout, show.stdout, snapshot.stdout, dump]) for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});

describe("ansible ingest CLI", () => {
  it("requires -i and names the inventory of a failed parse", async () => {
    const dir = tempDir();
    try {
      const none = await runCli(["--db", join(dir, "db"), "ingest", "ansible"]);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/-i\/--inventory/);
      mkdirSync(join(dir, "inv"));
      writeFileSync(join(dir, "inv", "hosts"), "[web\nhost1\n");
      const broken = await runCli(["--db", join(dir, "db"), "ingest", "ansible", "-i", "inv/hosts"], { cwd: dir });
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain(basename(join(dir, "inv", "hosts")));
      const list = await cliJson<unknown[]>(["--db", join(dir, "db"), "ci", "list", "--json"], { cwd: dir });
      expect(list).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
