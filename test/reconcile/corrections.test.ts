import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { openEngine } from "../../src/store/engine.js";
import { ingestBatch } from "../../src/reconcile/ingest.js";
import { Store } from "../../src/store/store.js";
import { cliJson, runCli } from "../helpers/cli.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { batchOf, factsBatch, inventoryHost, proxmoxVm } from "./lab-builders.js";

const settings = reconcileSettings({});

interface Why {
  ci: { id: string };
  observations: { source: string; scope: string; ref: string }[];
  joinedBy: { key: string; rank: number; strength: string; decided: boolean }[];
  refused: { key: string; reason: string; detail: string }[];
  corrections: { kind: string }[];
  mergedIds: { id: string }[];
}

afterAll(dropTestSchemas);

/** The lab every case starts from: a VM seen by Proxmox and its facts, plus an inventory entry that names it. */
async function seed(store: Store): Promise<void> {
  await ingestBatch(store, batchOf("proxmox", "proxmox:lab", [proxmoxVm("lab", 100, "web01", { uuid: "5f0c5a8e-3b1d-4c2a-9e7f-0a1b2c3d4e01", macs: ["bc:24:11:aa:00:01"] })]), { settings });
  await ingestBatch(
    store,
    factsBatch("/srv/facts", [
      { host: "web01", machineId: "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a", uuid: "5F0C5A8E-3B1D-4C2A-9E7F-0A1B2C3D4E01", serial: "NotSpecified", nics: [{ name: "ens18", mac: "BC:24:11:AA:00:01", ip: "10.10.0.10" }] },
    ]),
    { settings },
  );
  await ingestBatch(store, batchOf("ansible", "/repo/hosts.ini", [inventoryHost("web01", "10.10.0.10")]), { settings });
  await ingestBatch(store, batchOf("ansible", "/repo/legacy.ini", [inventoryHost("intranet", "10.10.0.99")]), { settings });
}

describe.each(ENGINES)("explained and corrected identification on $name", (engine) => {
  let dir: string;
  let db: string;
  beforeEach(async (ctx) => {
    if (!engine.available) ctx.skip();
    dir = mkdtempSync(join(tmpdir(), "cmdb-why-"));
    db = await engine.location(dir);
    const store = await Store.open(await openEngine(db));
    try {
      await seed(store);
    } finally {
      await store.close();
    }
  });
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]) => cliJson<Why>(["--db", db, ...args]);

  it("cmdb ci why names the keys that joined the CI with their rank, and the keys refused with the reason", async () => {
    const why = await cli(["ci", "why", "proxmox.vm:lab/100", "--json"]);
    expect(why.observations.map((o) => `${o.source}:${o.ref}`).sort()).toEqual(["ansible-facts:web01", "ansible:web01", "proxmox:qemu/100"]);
    const joined = Object.fromEntries(why.joinedBy.map((j) => [j.key, j]));
    expect(joined["smbios.uuid:5f0c5a8e-3b1d-4c2a-9e7f-0a1b2c3d4e01"]).toMatchObject({ strength: "strong", decided: true });
    expect(joined["ip:10.10.0.10"]).toMatchObject({ strength: "weak" });
    // Ranks follow the rules: the SMBIOS UUID outranks the MAC, which outranks the address.
    expect(joined["smbios.uuid:5f0c5a8e-3b1d-4c2a-9e7f-0a1b2c3d4e01"]!.rank).toBeLessThan(joined["mac:bc:24:11:aa:00:01"]!.rank);
    expect(joined["mac:bc:24:11:aa:00:01"]!.rank).toBeLessThan(joined["ip:10.10.0.10"]!.rank);
    const text = await runCli(["--db", db, "ci", "why", why.ci.id]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/joined by \(highest rank first\):\n {2}#\d+ proxmox\.vm:lab\/100|smbios\.uuid/);
  });

  it("a split survives every later ingest, and a merge joins what no key joins", async () => {
    const why = await cli(["ci", "why", "hostname:web01", "--json"]);
    const inventory = why.observations.find((o) => o.source === "ansible")!;
    const label = `${inventory.source}:${inventory.scope}:${inventory.ref}`;
    const split = await runCli(["--db", db, "ci", "split", why.ci.id, "--observation", label, "--json"]);
    expect(split.code).toBe(0);
    expect(split.stderr).toMatch(/warning: split ci_\w+ from ci_\w+/);
    const splitOff = (JSON.parse(split.stdout) as { placed: { ci: string }[] }).placed[0]!.ci;
    expect(splitOff).not.toBe(why.ci.id);

    // The inventory comes again, unchanged: the person's split holds.
    const store = await Store.open(await openEngine(db));
    try {
      await ingestBatch(store, batchOf("ansible", "/repo/hosts.ini", [inventoryHost("web01", "10.10.0.10")]), { settings });
      const rows = await store.engine.query<{ ref: string; source: string; ci_id: string }>("SELECT source, ref, ci_id FROM observation ORDER BY source, ref");
      const ciOf = (source: string, ref: string) => rows.find((r) => r.source === source && r.ref === ref)!.ci_id;
      expect(ciOf("ansible", "web01")).toBe(splitOff);
      expect(ciOf("ansible-facts", "web01")).toBe(why.ci.id);
    } finally {
      await store.close();
    }
    expect((await cli(["ci", "why", why.ci.id, "--json"])).corrections.map((c) => c.kind)).toContain("split");

    // `intranet` is the old name of web01 that nothing ties to it: a person says they are one.
    const intranet = await cli(["ci", "why", "hostname:intranet", "--json"]);
    const merged = await runCli(["--db", db, "ci", "merge", why.ci.id, intranet.ci.id, "--json"]);
    expect(merged.code).toBe(0);
    const after = await cli(["ci", "why", intranet.ci.id, "--json"]);
    expect(after.ci.id).toBe(why.ci.id);
    expect(after.mergedIds.map((m) => m.id)).toContain(intranet.ci.id);
    const store2 = await Store.open(await openEngine(db));
    try {
      await ingestBatch(store2, batchOf("ansible", "/repo/legacy.ini", [inventoryHost("intranet", "10.10.0.99")]), { settings });
      const [row] = await store2.engine.query<{ ci_id: string }>("SELECT ci_id FROM observation WHERE ref = 'intranet'");
      expect(row!.ci_id).toBe(why.ci.id);
    } finally {
      await store2.close();
    }
  });

  it("cmdb keys --shared lists placeholders met in the data and keys learned as shared, with why", async () => {
    const store = await Store.open(await openEngine(db));
    try {
      await ingestBatch(
        store,
        factsBatch("/srv/clones", [
          { host: "clone-a", machineId: "feedfacefeedfacefeedfacefeedface", uuid: "11111111-2222-4333-8444-000000000001", nics: [{ name: "eth0", mac: "bc:24:11:cc:00:01" }] },
          { host: "clone-b", machineId: "feedfacefeedfacefeedfacefeedface", uuid: "11111111-2222-4333-8444-000000000002", nics: [{ name: "eth0", mac: "bc:24:11:cc:00:02" }] },
        ]),
        { settings },
      );
    } finally {
      await store.close();
    }
    const out = await cliJson<{ shared: { key: string; reason: string; evidence: string[] }[]; refused: { key: string; reason: string }[] }>([
      "--db",
      db,
      "keys",
      "--shared",
      "--json",
    ]);
    const shared = out.shared.find((s) => s.key === "machine-id:feedfacefeedfacefeedfacefeedface");
    expect(shared?.reason).toMatch(/disagree on smbios\.uuid/);
    expect(shared?.evidence).toHaveLength(2);
    expect(out.refused).toContainEqual(expect.objectContaining({ key: "serial:NotSpecified", reason: "placeholder" }));
  });
});
