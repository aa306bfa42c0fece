import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import { openEngine } from "../../src/store/engine.js";
import { listCis } from "../../src/store/queries.js";
import { exportSnapshot } from "../../src/store/snapshot.js";
import { Store } from "../../src/store/store.js";
import { cliJson, runCli } from "../helpers/cli.js";
import { corpusDir, TEST_FIXTURES } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { storeDump } from "../helpers/store-dump.js";

const FIXTURES = join(TEST_FIXTURES, "terraform");
const settings = reconcileSettings({});

interface ListedCi {
  id: string;
  type: string;
  name: string;
  status: string;
  keys: string[];
  sources: string[];
}

/** The managed, non-deposed resource instance addresses of a state, read straight from its JSON. */
function managedAddresses(file: string): string[] {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  const out: string[] = [];
  const key = (k: unknown) => (k === undefined || k === null ? "" : typeof k === "number" ? `[${k}]` : `[${JSON.stringify(k)}]`);
  if (doc.version === 4) {
    for (const r of doc.resources ?? []) {
      if (r.mode !== "managed") continue;
      for (const i of r.instances ?? []) {
        if (i.deposed) continue;
        out.push(`${r.module ? `${r.module}.` : ""}${r.type}.${r.name}${key(i.index_key)}`);
      }
    }
  } else if (doc.values) {
    const walkModule = (m: { resources?: { mode: string; address: string; deposed_key?: string }[]; child_modules?: unknown[] }) => {
      for (const r of m.resources ?? []) if (r.mode === "managed" && !r.deposed_key) out.push(r.address);
      for (const c of m.child_modules ?? []) walkModule(c as typeof m);
    };
    walkModule(doc.values.root_module ?? {});
  }
  return out;
}

async function counts(store: Store): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ["ci", "observation", "relationship", "change"]) {
    const [row] = await store.engine.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    out[table] = Number(row!.n);
  }
  return out;
}

function filteredVpc(cis: ListedCi[]): string {
  return cis.find((c) => c.type === "vpc")!.id;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "cmdb-tf-"));
}

afterAll(dropTestSchemas);

describe.each(ENGINES)("terraform ingest on $name", (engine) => {
  let store: Store;
  beforeEach(async (ctx) => {
    if (!engine.available) ctx.skip();
    store = await engine.open();
  });
  afterEach(async () => {
    await store?.close();
  });

  it("ingests every state of the corpus, one CI per managed instance, each findable by its address", async () => {
    const dir = corpusDir("terraform");
    const files = dir
      ? readdirSync(dir)
          .filter((f) => f.endsWith(".tfstate") || f.endsWith(".json"))
          .map((f) => join(dir, f))
      : readdirSync(FIXTURES)
          .filter((f) => (f.endsWith(".tfstate") || f.endsWith(".json")) && !f.startsWith("legacy"))
          .map((f) => join(FIXTURES, f));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const workspace = file.split("/").pop()!;
      const [result] = await ingestTerraform(store, { input: file, workspace, settings, force: true });
      const addresses = managedAddresses(file);
      const doc = JSON.parse(readFileSync(file, "utf8"));
      if (doc.version === 4 || doc.values) {
        expect(result!.counts.seen, file).toBe(addresses.length + 1);
      }
      const rows = await store.engine.query<{ ref: string }>("SELECT ref FROM observation WHERE source = 'terraform' AND scope = $1", [result!.scope]);
      expect(rows.length, file).toBe(result!.counts.seen);
      const cis = await listCis(store.engine, { source: "terraform" });
      for (const address of addresses) {
        const holders = cis.filter((c) => c.keys.includes(`terraform:${address}`));
        expect(holders.length, `${file}: terraform:${address}`).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it("re-ingesting the same state changes nothing; the next serial records exactly the differences", async () => {
    const base = JSON.parse(readFileSync(join(FIXTURES, "aws-vpc-instance-eip.tfstate"), "utf8"));
    const dir = tempDir();
    const v1 = join(dir, "v1.tfstate");
    writeFileSync(v1, JSON.stringify(base));
    await ingestTerraform(store, { input: v1, settings });
    const before = await counts(store);
    const [again] = await ingestTerraform(store, { input: v1, settings });
    expect(again!.counts).toMatchObject({ new: 0, changed: 0, gone: 0 });
    expect(await counts(store)).toEqual(before);

    const next = structuredClone(base);
    next.serial = base.serial + 1;
    const instance = next.resources.find((r: { type: string }) => r.type === "aws_instance").instances[0];
    instance.attributes.instance_type = "t4g.small";
    const removed = next.resources.findIndex((r: { type: string }) => r.type === "aws_eip_association");
    next.resources.splice(removed, 1);
    const v2 = join(dir, "v2.tfstate");
    writeFileSync(v2, JSON.stringify(next));
    const [r2] = await ingestTerraform(store, { input: v2, settings });
    // The instance changed, and so did the workspace (its serial).
    expect(r2!.counts).toMatchObject({ new: 0, changed: 2, gone: 1, missing: 1 });
    const changes = await store.engine.query<{ field: string; old_value: unknown; new_value: unknown }>(
      "SELECT field, old_value, new_value FROM change WHERE run_id = $1 ORDER BY id",
      [r2!.runId],
    );
    const fields = changes.map((c) => c.field).sort();
    expect(fields).toContain("attributes.instance_type");
    expect(changes.find((c) => c.field === "attributes.instance_type")).toMatchObject({ old_value: "t4g.micro", new_value: "t4g.small" });
    expect(fields).toContain("status");
    expect(fields.filter((f) => f === "observed")).toHaveLength(1);
    expect(fields, JSON.stringify(changes)).toSatisfy((all: string[]) => all.every((f) => ["attributes.instance_type", "attributes.values.instance_type", "attributes.serial", "attributes.resource_instances", "status", "observed", "relationship"].includes(f)));
    const missing = await listCis(store.engine, { status: "missing" });
    expect(missing.map((c) => c.keys.find((k) => k.startsWith("terraform:")))).toEqual(["terraform:aws_eip_association.k8s"]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an older serial unless forced, and another lineage under a known workspace", async () => {
    const base = JSON.parse(readFileSync(join(FIXTURES, "aws-vpc-instance-eip.tfstate"), "utf8"));
    const dir = tempDir();
    const write = (name: string, doc: unknown) => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify(doc));
      return file;
    };
    await ingestTerraform(store, { input: write("new.tfstate", base), settings });
    const before = await exportSnapshot(store.engine);
    const older = write("old.tfstate", { ...base, serial: base.serial - 1 });
    await expect(ingestTerraform(store, { input: older, settings })).rejects.toThrow(/serial 222 is older than serial 223/);
    const other = write("other.tfstate", { ...base, lineage: "11111111-2222-3333-4444-555555555555" });
    await expect(ingestTerraform(store, { input: other, settings })).rejects.toThrow(/tracked from lineage bca8857c.*this state has lineage 11111111/);
    expect(await exportSnapshot(store.engine)).toBe(before);
    const [forced] = await ingestTerraform(store, { input: older, settings, force: true });
    expect(forced!.outcome).toBe("success");
    rmSync(dir, { recursive: true, force: true });
  });

  it("a real destroy sequence of one lineage marks the destroyed resources gone", async (ctx) => {
    const dir = corpusDir("terraform");
    if (!dir) return ctx.skip();
    await ingestTerraform(store, { input: join(dir, "aws-ec2-ebs-volume-attachment.tfstate"), settings });
    const [after] = await ingestTerraform(store, { input: join(dir, "empty-after-destroy.tfstate"), settings });
    const managed = managedAddresses(join(dir, "aws-ec2-ebs-volume-attachment.tfstate")).length;
    expect(after!.counts.gone).toBe(managed);
    const active = await listCis(store.engine, { status: "active", source: "terraform" });
    expect(active.map((c) => c.type)).toEqual(["terraform_workspace"]);
  });

  it("keeps planted secrets out of the store, the CI list and the snapshot", async () => {
    await ingestTerraform(store, { input: join(FIXTURES, "planted-secrets-v4.tfstate"), settings });
    await ingestTerraform(store, { input: join(FIXTURES, "planted-secrets-show.json"), workspace: "show", settings });
    const everything = [await storeDump(store), JSON.stringify(await listCis(store.engine)), await exportSnapshot(store.engine)].join("\n");
    expect(everything).toContain("planted");
    expect(everything).not.toMatch(/PLANTED/);
  });

  it("two ingests at once both land, with no duplicate CI", async () => {
    const dir = tempDir();
    const location = await engine.location(dir);
    const base = JSON.parse(readFileSync(join(FIXTURES, "aws-vpc-instance-eip.tfstate"), "utf8"));
    const a = join(dir, "a.tfstate");
    const b = join(dir, "b.tfstate");
    writeFileSync(a, JSON.stringify(base));
    writeFileSync(b, JSON.stringify({ ...base, lineage: "99999999-2222-3333-4444-555555555555" }));
    const [ra, rb] = await Promise.all([
      runCli(["--db", location, "ingest", "terraform", a, "--workspace", "one", "--json"]),
      runCli(["--db", location, "ingest", "terraform", b, "--workspace", "two", "--json"]),
    ]);
    expect(ra.stderr).toBe("");
    expect(rb.stderr).toBe("");
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const cis = await cliJson<ListedCi[]>(["--db", location, "ci", "list", "--json"]);
    const instances = cis.filter((c) => c.keys.includes("aws.instance:i-0b73b53b64811a117"));
    expect(instances).toHaveLength(1);
    expect(cis.filter((c) => c.type === "terraform_workspace")).toHaveLength(2);
    const runs = await cliJson<{ outcome: string }[]>(["--db", location, "runs", "--json"]);
    expect(runs.map((r) => r.outcome)).toEqual(["success", "success"]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe.each(ENGINES)("the cmdb CLI on $name", (engine) => {
  let dir: string;
  let location: string;
  beforeEach(async (ctx) => {
    if (!engine.available) ctx.skip();
    dir = tempDir();
    location = await engine.location(dir);
  });
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("bad inputs give one clear line naming the file, exit 1, and leave the store as it was", async () => {
    const good = join(FIXTURES, "aws-vpc-instance-eip.tfstate");
    expect((await runCli(["--db", location, "ingest", "terraform", good])).code).toBe(0);
    const snapshot = () => runCli(["--db", location, "snapshot", "export"]).then((r) => r.stdout);
    const before = await snapshot();
    const text = readFileSync(good, "utf8");
    const bad: [string, string | Buffer, RegExp][] = [
      ["truncated.tfstate", text.slice(0, text.length / 2), /truncated\.tfstate:\d+:\d+: invalid JSON/],
      ["v5.tfstate", JSON.stringify({ ...JSON.parse(text), version: 5 }), /version 5/],
      ["v2.tfstate", JSON.stringify({ version: 2, serial: 1, modules: [] }), /version 2/],
      ["empty.tfstate", "", /empty/],
      ["junk.tfstate", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), /junk\.tfstate/],
      ["big-truncated.tfstate", `{"version":4,"serial":1,"lineage":"x","resources":[{"mode":"managed","type":"null_resource","name":"a","provider":"p","instances":[{"attributes":{"blob":"${"x".repeat(50 * 1024 * 1024)}`, /big-truncated\.tfstate/],
    ];
    for (const [name, content, message] of bad) {
      const file = join(dir, name);
      writeFileSync(file, content);
      const r = await runCli(["--db", location, "ingest", "terraform", file]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr.trim().split("\n"), name).toHaveLength(1);
      expect(r.stderr, name).not.toMatch(/\n\s+at /);
    }
    expect(await snapshot()).toBe(before);
    const missing = await runCli(["--db", location, "ingest", "terraform", join(dir, "nope.tfstate"), "--debug"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.tfstate/);
    expect(missing.stderr).toMatch(/\n\s+at /);
    const usage = await runCli(["--db", location, "deps", "x", "--depth", "many"]);
    expect(usage.code).toBe(2);
  });

  it("a 50 MB state ingests, with its secret-named blob redacted", async () => {
    const file = join(dir, "big.tfstate");
    const blob = "Y".repeat(50 * 1024 * 1024);
    writeFileSync(
      file,
      JSON.stringify({
        version: 4,
        terraform_version: "1.9.0",
        serial: 1,
        lineage: "big-0000",
        outputs: {},
        resources: [
          {
            mode: "managed",
            type: "aws_instance",
            name: "big",
            provider: 'provider["registry.terraform.io/hashicorp/aws"]',
            instances: [{ schema_version: 1, attributes: { id: "i-0000000000000big", user_data: blob }, sensitive_attributes: [] }],
          },
        ],
      }),
    );
    expect(statSync(file).size).toBeGreaterThan(50 * 1024 * 1024);
    const r = await runCli(["--db", location, "ingest", "terraform", file, "--json"]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).counts.seen).toBe(2);
    const snap = (await runCli(["--db", location, "snapshot", "export"])).stdout;
    expect(snap.length).toBeLessThan(100_000);
  });

  it("lists, shows by terraform address, walks, and snapshots byte-identically", async () => {
    const file = join(FIXTURES, "planted-secrets-v4.tfstate");
    expect((await runCli(["--db", location, "ingest", "terraform", file])).code).toBe(0);
    const cis = await cliJson<ListedCi[]>(["--db", location, "ci", "list", "--json"]);
    for (const c of cis) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(["id", "type", "name", "status", "keys", "sources"]));
      expect(c.sources).toEqual(["terraform"]);
    }
    const moduleKey = cis.flatMap((c) => c.keys).find((k) => k.startsWith('terraform:module.net["eu"].module.sub.aws_subnet.this['));
    expect(moduleKey).toBeDefined();
    const shown = await cliJson<{ id: string; keys: string[] }>(["--db", location, "ci", "show", moduleKey!, "--json"]);
    expect(shown.keys).toContain(moduleKey);
    const deps = await cliJson<{ id: string; depth: number }[]>(["--db", location, "deps", moduleKey!, "--depth", "2", "--json"]);
    expect(deps[0]).toMatchObject({ id: shown.id, depth: 0 });
    expect(deps.length).toBeGreaterThan(1);
    const filtered = await cliJson<ListedCi[]>(["--db", location, "ci", "list", "--type", "vpc", "--json"]);
    expect(filtered.map((c) => c.type)).toEqual(["vpc"]);

    const first = (await runCli(["--db", location, "snapshot", "export"])).stdout;
    expect((await runCli(["--db", location, "ingest", "terraform", file])).code).toBe(0);
    const second = (await runCli(["--db", location, "snapshot", "export"])).stdout;
    expect(second).toBe(first);
    const runs = await cliJson<{ id: string; outcome: string; counts: { seen: number; new: number } }[]>(["--db", location, "runs", "--json"]);
    expect(runs.map((r) => [r.outcome, r.counts.new])).toEqual([
      ["success", 0],
      ["success", cis.length],
    ]);
    expect(await cliJson<unknown[]>(["--db", location, "changes", "--since", runs[1]!.id, "--json"])).toEqual([]);
    const all = await cliJson<{ field: string; run: string }[]>(["--db", location, "changes", "--json"]);
    expect(all.every((c) => c.run === runs[1]!.id)).toBe(true);
    expect(all.filter((c) => c.field === "created")).toHaveLength(cis.length);
    const stats = await cliJson<{ cis: { total: number }; scopes: { source: string; lastCompleteRun: string; ageSeconds: number }[] }>(["--db", location, "stats", "--json"]);
    expect(stats.cis.total).toBe(cis.length);
    expect(stats.scopes).toEqual([expect.objectContaining({ source: "terraform", lastCompleteRun: runs[0]!.id })]);
    const vpc = filteredVpc(cis);
    const impact = await cliJson<{ id: string; depth: number }[]>(["--db", location, "impact", vpc, "--json"]);
    expect(impact.length).toBeGreaterThan(1);
    expect(impact.filter((n) => n.depth === 1).length).toBeGreaterThan(0);
    const human = await runCli(["--db", location, "ci", "show", vpc]);
    expect(human.stdout).toMatch(/observed by\n\s+terraform /);
    expect(JSON.parse(first).cis.length).toBe(cis.length);

    const snapFile = join(dir, "snapshot.json");
    writeFileSync(snapFile, first);
    const other = await engine.location(join(dir, "other"));
    expect((await runCli(["--db", other, "snapshot", "import", snapFile])).code).toBe(0);
    expect((await runCli(["--db", other, "snapshot", "export"])).stdout).toBe(first);
    const again = await runCli(["--db", other, "snapshot", "import", snapFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not empty/);
  });
});

describe("the embedded store", () => {
  it("keeps no planted secret anywhere in its files on disk", async () => {
    const dir = tempDir();
    const store = await Store.open(await openEngine(join(dir, "store")));
    await ingestTerraform(store, { input: join(FIXTURES, "planted-secrets-v4.tfstate"), settings });
    await store.close();
    const hits: string[] = [];
    const scan = (path: string) => {
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        const full = join(path, entry.name);
        if (entry.isDirectory()) scan(full);
        else if (readFileSync(full).includes("PLANTED")) hits.push(full);
      }
    };
    scan(dir);
    expect(hits).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});
