import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema, reconcileSettings, type ReconcileSettings } from "../../src/config/schema.js";
import { strong, weak } from "../../src/model/keys.js";
import type { Observation, ObservationBatch } from "../../src/model/observation.js";
import { ingestBatch } from "../../src/reconcile/ingest.js";
import { walk } from "../../src/graph/walk.js";
import { changesSince, findCis, listCis, stats } from "../../src/store/queries.js";
import type { Store } from "../../src/store/store.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";

const HOUR = 3_600_000;
const settingsOf = (reconcile: Record<string, unknown>) => reconcileSettings(configSchema.parse({ reconcile }));
const T0 = new Date("2026-01-01T00:00:00Z");
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);

function vm(ref: string, extra: Partial<Observation> = {}): Observation {
  return {
    ref,
    type: "virtual_machine",
    name: ref,
    keys: [strong("machine-id", `mid-${ref}`), weak("hostname", ref)],
    attributes: { memory_mb: 1024 },
    ...extra,
  };
}

function batch(source: string, scope: string, observations: Observation[], extra: Partial<ObservationBatch> = {}): ObservationBatch {
  return { source, scope, complete: true, observations, relationships: [], ...extra };
}

async function changeCount(store: Store): Promise<number> {
  return (await changesSince(store.engine, {})).length;
}

afterAll(dropTestSchemas);

describe.each(ENGINES)("reconcile on $name", (engine) => {
  let store: Store;
  let settings: ReconcileSettings;
  beforeEach(async (ctx) => {
    if (!engine.available) ctx.skip();
    store = await engine.open();
    settings = settingsOf({ gracePeriod: "2d" });
  });
  afterEach(async () => {
    await store?.close();
  });

  it("re-ingesting an unchanged batch adds no history", async () => {
    const b = batch("ssh", "lab", [vm("web1"), vm("web2")]);
    const first = await ingestBatch(store, b, { settings, now: at(0) });
    expect(first.counts.new).toBe(2);
    const before = await changeCount(store);
    const second = await ingestBatch(store, b, { settings, now: at(1) });
    expect(second.counts).toMatchObject({ new: 0, changed: 0, unchanged: 2, gone: 0 });
    expect(await changeCount(store)).toBe(before);
  });

  it("records exactly the differences of a changed observation", async () => {
    await ingestBatch(store, batch("ssh", "lab", [vm("web1")]), { settings, now: at(0) });
    const before = await changeCount(store);
    await ingestBatch(store, batch("ssh", "lab", [vm("web1", { attributes: { memory_mb: 2048 } })]), { settings, now: at(1) });
    const changes = (await changesSince(store.engine, {})).slice(before);
    expect(changes.map((c) => [c.field, c.old, c.new])).toEqual([["attributes.memory_mb", 1024, 2048]]);
  });

  it("joins the same machine seen by two sources into one CI and picks values per attribute", async () => {
    await ingestBatch(
      store,
      batch("terraform", "lin/default", [
        {
          ref: "proxmox_vm_qemu.web",
          type: "virtual_machine",
          name: "web",
          keys: [strong("mac", "bc:24:11:00:00:01"), weak("terraform", "proxmox_vm_qemu.web")],
          attributes: { memory_mb: 2048, cpu_cores: 2, description: "declared" },
        },
      ]),
      { settings, now: at(0) },
    );
    await ingestBatch(
      store,
      batch("proxmox", "pve", [
        {
          ref: "pve1/qemu/100",
          type: "virtual_machine",
          name: "web",
          keys: [strong("proxmox.vm", "pve/100"), strong("mac", "bc:24:11:00:00:01")],
          attributes: { memory_mb: 4096 },
        },
      ]),
      { settings, now: at(1) },
    );
    const cis = await listCis(store.engine);
    expect(cis).toHaveLength(1);
    expect(cis[0]!.sources).toEqual(["proxmox", "terraform"]);
    expect(cis[0]!.keys).toContain("terraform:proxmox_vm_qemu.web");
    const [row] = await store.engine.query<{ attributes: Record<string, unknown> }>("SELECT attributes FROM ci");
    expect(row!.attributes).toMatchObject({ memory_mb: 4096, cpu_cores: 2, description: "declared" });
  });

  it("falls back to the next source when the preferred one is older than its lifetime", async () => {
    settings = settingsOf({ lifetime: { proxmox: "1d" } });
    const pve = (memory: number) =>
      batch("proxmox", "pve", [{ ref: "q/100", type: "virtual_machine", name: "db", keys: [strong("mac", "bc:24:11:00:00:02")], attributes: { memory_mb: memory } }]);
    const tf = (memory: number) =>
      batch("terraform", "l/default", [{ ref: "proxmox_vm_qemu.db", type: "virtual_machine", name: "db", keys: [strong("mac", "bc:24:11:00:00:02")], attributes: { memory_mb: memory } }]);
    await ingestBatch(store, pve(4096), { settings, now: at(0) });
    await ingestBatch(store, tf(2048), { settings, now: at(1) });
    const memory = async () => (await store.engine.query<{ m: number }>("SELECT (attributes->>'memory_mb')::int AS m FROM ci"))[0]!.m;
    expect(await memory()).toBe(4096);
    await ingestBatch(store, tf(3072), { settings, now: at(30) });
    expect(await memory()).toBe(3072);
  });

  it("marks what a complete scope no longer reports missing, and retires it only after the grace period", async () => {
    await ingestBatch(store, batch("ssh", "lab", [vm("web1"), vm("web2")]), { settings, now: at(0) });
    const r = await ingestBatch(store, batch("ssh", "lab", [vm("web1")]), { settings, now: at(1) });
    expect(r.counts).toMatchObject({ gone: 1, missing: 1, retired: 0 });
    expect((await listCis(store.engine, { status: "missing" })).map((c) => c.name)).toEqual(["web2"]);
    await ingestBatch(store, batch("ssh", "lab", [vm("web1")]), { settings, now: at(47) });
    expect(await listCis(store.engine, { status: "retired" })).toHaveLength(0);
    const late = await ingestBatch(store, batch("ssh", "lab", [vm("web1")]), { settings, now: at(50) });
    expect(late.counts.retired).toBe(1);
    expect((await listCis(store.engine, { status: "retired" })).map((c) => c.name)).toEqual(["web2"]);
  });

  it("never retires a CI carrying a protect tag", async () => {
    await ingestBatch(store, batch("ssh", "lab", [vm("web1"), vm("keep", { tags: { "cmdb:protect": "true" } })]), { settings, now: at(0) });
    await ingestBatch(store, batch("ssh", "lab", [vm("web1")]), { settings, now: at(1) });
    await ingestBatch(store, batch("ssh", "lab", [vm("web1")]), { settings, now: at(100) });
    const keep = (await listCis(store.engine)).find((c) => c.name === "keep")!;
    expect(keep.status).toBe("missing");
  });

  it("a partial run marks nothing gone", async () => {
    await ingestBatch(store, batch("ssh", "lab", [vm("web1"), vm("web2")]), { settings, now: at(0) });
    const r = await ingestBatch(store, batch("ssh", "lab", [vm("web1")], { complete: false }), { settings, now: at(1) });
    expect(r.outcome).toBe("partial");
    expect(r.counts.gone).toBe(0);
    expect(await listCis(store.engine, { status: "active" })).toHaveLength(2);
  });

  it("two scopes never retire each other's CIs", async () => {
    settings = settingsOf({ gracePeriod: 0 });
    await ingestBatch(store, batch("ssh", "site-a", [vm("a1")]), { settings, now: at(0) });
    await ingestBatch(store, batch("ssh", "site-b", [vm("b1")]), { settings, now: at(1) });
    await ingestBatch(store, batch("ssh", "site-b", [vm("b1")]), { settings, now: at(2) });
    expect((await listCis(store.engine, { status: "active" })).map((c) => c.name).sort()).toEqual(["a1", "b1"]);
  });

  it("a renamed machine keeps its CI because its strong key still matches", async () => {
    await ingestBatch(store, batch("ssh", "lab", [vm("old-name")]), { settings, now: at(0) });
    const [before] = await listCis(store.engine);
    await ingestBatch(
      store,
      batch("ssh", "lab", [{ ...vm("new-name"), keys: [strong("machine-id", "mid-old-name"), weak("hostname", "new-name")] }]),
      { settings, now: at(1) },
    );
    const after = await listCis(store.engine);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before!.id);
    expect(after[0]!.name).toBe("new-name");
    expect(after[0]!.status).toBe("active");
  });

  it("a weak key joins across sources, but contradicting strong keys never merge", async () => {
    await ingestBatch(store, batch("ssh", "lab", [vm("web1")]), { settings, now: at(0) });
    await ingestBatch(
      store,
      batch("ansible", "inv", [{ ref: "web1", type: "server", name: "web1", keys: [weak("hostname", "web1")], attributes: {} }]),
      { settings, now: at(1) },
    );
    expect(await listCis(store.engine)).toHaveLength(1);
    await ingestBatch(
      store,
      batch("ansible-facts", "facts", [{ ref: "web1", type: "server", name: "web1", keys: [strong("machine-id", "another"), weak("hostname", "web1")], attributes: {} }]),
      { settings, now: at(2) },
    );
    expect(await listCis(store.engine)).toHaveLength(2);
  });

  it("a resource replaced again and again gets a new CI each time, the old ones kept apart", async () => {
    const instance = (id: string) =>
      batch("terraform", "l/default", [{ ref: "aws_instance.web", type: "virtual_machine", name: "web", keys: [strong("aws.instance", id), weak("terraform", "aws_instance.web")], attributes: {} }]);
    for (const [i, id] of ["i-1", "i-2", "i-3", "i-4"].entries()) {
      const r = await ingestBatch(store, instance(id), { settings, now: at(i) });
      expect(r.counts.new).toBe(1);
    }
    const cis = await listCis(store.engine);
    expect(cis).toHaveLength(4);
    expect(cis.filter((c) => c.sources.includes("terraform")).map((c) => c.keys.find((k) => k.startsWith("aws.")))).toEqual(["aws.instance:i-4"]);
  });

  it("two inventories naming the same host give one CI; two namesakes that disagree stay apart", async () => {
    const host = (name: string, ip: string): Observation => ({ ref: name, type: "server", name, keys: [weak("hostname", name), weak("ip", ip)], attributes: {} });
    await ingestBatch(store, batch("ansible", "ansible:site.yml", [host("web1", "10.0.0.1")]), { settings, now: at(0) });
    await ingestBatch(store, batch("ansible", "ansible:monitoring.yml", [host("web1", "10.0.0.1")]), { settings, now: at(1) });
    expect(await listCis(store.engine)).toHaveLength(1);
    await ingestBatch(store, batch("ansible", "ansible:staging.yml", [host("web1", "10.1.0.1")]), { settings, now: at(2) });
    expect(await listCis(store.engine)).toHaveLength(2);
  });

  it("the same Terraform address in two workspaces is two CIs", async () => {
    const bootstrap = (scope: string) =>
      batch("terraform", scope, [{ ref: "null_resource.bootstrap", type: "generic", name: "bootstrap", keys: [weak("terraform", "null_resource.bootstrap")], attributes: {} }]);
    await ingestBatch(store, bootstrap("l1/prod"), { settings, now: at(0) });
    await ingestBatch(store, bootstrap("l2/staging"), { settings, now: at(1) });
    expect(await listCis(store.engine)).toHaveLength(2);
  });

  it("an edge to something not reported yet is drawn when a source reports it, and dropped when no longer declared", async () => {
    const tf = (withEdge: boolean) => {
      const b = batch("terraform", "l/default", [{ ref: "proxmox_vm_qemu.web", type: "virtual_machine", name: "web", keys: [strong("mac", "bc:24:11:00:00:09")], attributes: {} }]);
      if (withEdge) b.relationships = [{ type: "RUNS_ON", from: "proxmox_vm_qemu.web", to: { key: "proxmox.node:lab/pve1" } }];
      return b;
    };
    const first = await ingestBatch(store, tf(true), { settings, now: at(0) });
    expect(first.counts.relationshipsUnresolved).toBe(1);
    const node = batch("proxmox", "proxmox:lab", [{ ref: "node/pve1", type: "hypervisor_node", name: "pve1", keys: [strong("proxmox.node", "lab/pve1")], attributes: {} }]);
    const live = await ingestBatch(store, node, { settings, now: at(1) });
    expect(live.counts.relationshipsAdded).toBe(1);
    const [vm] = await findCis(store.engine, "mac:bc:24:11:00:00:09");
    expect((await walk(store.engine, vm!.id, "deps", 1)).map((n) => n.name)).toEqual(["web", "pve1"]);
    // The next Terraform ingest resolves the edge itself and keeps it; one that no longer declares it removes it.
    await ingestBatch(store, tf(true), { settings, now: at(2) });
    expect((await walk(store.engine, vm!.id, "deps", 1)).map((n) => n.name)).toEqual(["web", "pve1"]);
    await ingestBatch(store, tf(false), { settings, now: at(3) });
    expect((await walk(store.engine, vm!.id, "deps", 1)).map((n) => n.name)).toEqual(["web"]);
    const [pending] = await store.engine.query<{ n: string }>("SELECT count(*) AS n FROM pending_relationship");
    expect(Number(pending!.n)).toBe(0);
  });

  it("an edge still pending when its source drops it is never drawn", async () => {
    const tf = (withEdge: boolean) => {
      const b = batch("terraform", "l/default", [{ ref: "vm", type: "virtual_machine", name: "vm", keys: [strong("mac", "bc:24:11:00:00:0a")], attributes: {} }]);
      if (withEdge) b.relationships = [{ type: "RUNS_ON", from: "vm", to: { key: "proxmox.node:lab/pve9" } }];
      return b;
    };
    await ingestBatch(store, tf(true), { settings, now: at(0) });
    await ingestBatch(store, tf(false), { settings, now: at(1) });
    const node = batch("proxmox", "proxmox:lab", [{ ref: "node/pve9", type: "hypervisor_node", name: "pve9", keys: [strong("proxmox.node", "lab/pve9")], attributes: {} }]);
    const live = await ingestBatch(store, node, { settings, now: at(2) });
    expect(live.counts.relationshipsAdded).toBe(0);
  });

  it("finds CIs by key and walks dependencies and impact", async () => {
    const b = batch("terraform", "l/default", [
      { ref: "vpc", type: "vpc", name: "vpc", keys: [strong("aws.vpc", "vpc-1")], attributes: {} },
      { ref: "subnet", type: "subnet", name: "subnet", keys: [strong("aws.subnet", "subnet-1")], attributes: {} },
      { ref: "web", type: "virtual_machine", name: "web", keys: [strong("aws.instance", "i-1")], attributes: {} },
      { ref: "vol", type: "block_storage", name: "vol", keys: [strong("aws.volume", "vol-1")], attributes: {} },
    ]);
    b.relationships = [
      { type: "MEMBER_OF", from: "subnet", to: { key: "aws.vpc:vpc-1" } },
      { type: "MEMBER_OF", from: "web", to: { ref: "subnet" } },
      { type: "ATTACHED_TO", from: "vol", to: { ref: "web" } },
    ];
    await ingestBatch(store, b, { settings, now: at(0) });
    const [web] = await findCis(store.engine, "aws.instance:i-1");
    const deps = await walk(store.engine, web!.id, "deps", 5);
    expect(deps.map((n) => [n.name, n.depth])).toEqual([
      ["web", 0],
      ["vol", 1],
      ["subnet", 1],
      ["vpc", 2],
    ]);
    const [vpc] = await findCis(store.engine, "aws.vpc:vpc-1");
    const impact = await walk(store.engine, vpc!.id, "impact", 1);
    expect(impact.map((n) => n.name)).toEqual(["vpc", "subnet"]);
    const s = await stats(store.engine, at(1));
    expect(s.relationships).toBe(3);
    expect(s.scopes[0]).toMatchObject({ source: "terraform", scope: "l/default", present: 4, ageSeconds: 3600 });
  });

  it("an ingest that fails lands nothing and is recorded as a failed run", async () => {
    await ingestBatch(store, batch("ssh", "lab", [vm("web1")]), { settings, now: at(0) });
    const before = await changeCount(store);
    await expect(
      ingestBatch(store, batch("ssh", "lab", [vm("web2")]), {
        settings,
        now: at(1),
        check: () => {
          throw new Error("refused");
        },
      }),
    ).rejects.toThrow("refused");
    expect((await listCis(store.engine)).map((c) => c.name)).toEqual(["web1"]);
    expect(await changeCount(store)).toBe(before);
    const runs = await store.engine.query<{ outcome: string }>("SELECT outcome FROM run ORDER BY started_at");
    expect(runs.map((r) => r.outcome)).toEqual(["success", "failed"]);
  });
});
