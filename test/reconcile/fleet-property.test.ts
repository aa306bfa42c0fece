import { afterAll, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { strong, weak, type IdentityKey } from "../../src/model/keys.js";
import type { Observation, ObservationBatch } from "../../src/model/observation.js";
import { ingestBatch } from "../../src/reconcile/ingest.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { batchOf, factsBatch, type MachineFacts, proxmoxVm, terraformVm } from "./lab-builders.js";

/**
 * A generated property: fleets of N machines seen by random subsets of sources in random order,
 * with identification traps planted at random (placeholder serials, cloned machine-ids, copied
 * SMBIOS UUIDs, shared VRRP MACs, renames, a destroyed machine whose address and vmid are reused), must give exactly N
 * live machine CIs, and no CI may hold two machines. One fixed seed per engine here;
 * `CMDB_FLEET_SEEDS=N` (set by `npm run bench -- identification`) tries N more.
 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
const SOURCES = ["proxmox", "terraform", "facts", "ssh", "inventory"] as const;

interface Machine {
  index: number;
  hostname: string;
  alias: string;
  vmid: number;
  uuid: string;
  machineId: string;
  serial: string;
  mac: string;
  ip: string;
  vrrp: boolean;
  seenBy: Set<(typeof SOURCES)[number]>;
}

interface Fleet {
  /** Batches in ingest order. */
  batches: ObservationBatch[];
  /** `source\0ref` → the machine it is (ghosts: -1). */
  truth: Map<string, number>;
  machines: number;
}

function generateFleet(seed: number, n: number): Fleet {
  const rnd = prng(seed);
  const pick = (p: number) => rnd() < p;
  const machines: Machine[] = [];
  for (let i = 0; i < n; i++) {
    const seenBy = new Set(SOURCES.filter(() => pick(0.55)));
    if (seenBy.size === 0) seenBy.add(SOURCES[Math.floor(rnd() * SOURCES.length)]!);
    const hostname = `node${hex(i, 2)}`;
    machines.push({
      index: i,
      hostname,
      alias: pick(0.25) ? `app-${hex(i * 7 + 3, 3)}` : hostname,
      vmid: 300 + i,
      uuid: `6b1e0c00-${hex(seed % 65536, 4)}-4a00-8000-${hex(i, 12)}`,
      machineId: `${hex(seed % 65536, 4)}${hex(i, 28)}`,
      serial: pick(0.4) ? (pick(0.5) ? "To Be Filled By O.E.M." : "0123456789") : `SRV${hex(seed % 4096, 3)}${hex(i, 5)}`,
      mac: `bc:24:11:${hex(i >> 8, 2)}:${hex(i & 255, 2)}:${hex((seed >> 3) & 255, 2)}`,
      ip: `10.${40 + (i >> 8)}.${i & 255}.${10 + (seed % 200)}`,
      vrrp: pick(0.2),
      seenBy,
    });
  }
  // Template clones: some machines carry the machine-id of another.
  for (const m of machines) if (m.index > 0 && pick(0.2)) m.machineId = machines[m.index - 1]!.machineId;
  // VMware-style copies that kept the SMBIOS UUID of another.
  for (const m of machines) if (m.index > 1 && pick(0.2)) m.uuid = machines[m.index - 2]!.uuid;

  const truth = new Map<string, number>();
  const note = (source: string, ref: string, machine: number) => truth.set(`${source}\u0000${ref}`, machine);
  const nics = (m: Machine) => [{ name: "ens18", mac: m.mac, ip: m.ip }, ...(m.vrrp ? [{ name: "ens19", mac: "00:00:5e:00:01:0a" }] : [])];
  const batches: ObservationBatch[] = [];

  const ghostOf = machines.find((m) => m.seenBy.has("facts") || m.seenBy.has("proxmox"));
  const early: ObservationBatch[] = [];
  if (ghostOf) {
    // A machine destroyed before the fleet was built: its address and vmid went to another.
    note("ansible-facts", "ghost", -1);
    note("proxmox", `qemu/${ghostOf.vmid}`, ghostOf.index);
    early.push(
      factsBatch("/srv/facts", [{ host: "ghost", machineId: hex(seed, 32), uuid: `dead0000-0000-4000-8000-${hex(seed, 12)}`, nics: [{ name: "ens18", mac: "bc:24:11:de:ad:01", ip: ghostOf.ip }] }]),
      batchOf("proxmox", "proxmox:lab", [proxmoxVm("lab", ghostOf.vmid, "ghost", { uuid: `dead0000-0000-4000-8000-${hex(seed, 12)}`, macs: ["bc:24:11:de:ad:01"] })]),
    );
  }

  const seen = (s: (typeof SOURCES)[number]) => machines.filter((m) => m.seenBy.has(s));
  const proxmox = seen("proxmox").map((m) => {
    note("proxmox", `qemu/${m.vmid}`, m.index);
    return proxmoxVm("lab", m.vmid, m.alias, { uuid: m.uuid, macs: [m.mac, ...(m.vrrp ? ["00:00:5e:00:01:0a"] : [])] });
  });
  const terraform = seen("terraform").map((m) => {
    const address = `proxmox_virtual_environment_vm.${m.alias.replace(/-/g, "_")}`;
    note("terraform", address, m.index);
    return terraformVm(address, "lab", m.vmid, m.alias, { uuid: m.uuid, macs: [m.mac], ips: [m.ip] });
  });
  const facts: MachineFacts[] = seen("facts").map((m) => {
    note("ansible-facts", m.hostname, m.index);
    return { host: m.hostname, machineId: m.machineId, serial: m.serial, uuid: m.uuid, nics: nics(m) };
  });
  const ssh = seen("ssh").map((m) => {
    const keys: IdentityKey[] = [strong("machine-id", m.machineId), strong("smbios.uuid", m.uuid), strong("mac", m.mac), strong("serial", m.serial), weak("hostname", m.hostname), weak("ip", m.ip)];
    const obs: Observation = { ref: m.ip, type: "virtual_machine", name: m.hostname, keys, attributes: {} };
    note("ssh", m.ip, m.index);
    return batchOf("ssh", `ssh:${m.ip}`, [obs]);
  });
  const inventory = seen("inventory").map((m) => {
    note("ansible", m.alias, m.index);
    return { ref: m.alias, type: "server" as const, name: m.alias, keys: [weak("hostname", m.alias), weak("ip", m.ip)], attributes: {} };
  });

  const later: ObservationBatch[] = [];
  if (proxmox.length > 0 || ghostOf) later.push(batchOf("proxmox", "proxmox:lab", proxmox));
  if (terraform.length > 0) later.push(batchOf("terraform", "lin-fleet/default", terraform));
  if (facts.length > 0 || ghostOf) later.push(factsBatch("/srv/facts", facts));
  if (inventory.length > 0) later.push(batchOf("ansible", "/repo/inventory/fleet.yml", inventory));
  later.push(...ssh);
  for (let i = later.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [later[i], later[j]] = [later[j]!, later[i]!];
  }
  batches.push(...early, ...later);
  return { batches, truth, machines: n };
}

afterAll(dropTestSchemas);

const extraSeeds = Number(process.env.CMDB_FLEET_SEEDS ?? 0);
const seeds = [20261203, ...Array.from({ length: extraSeeds }, (_, i) => 1000 + i * 7919)];

describe.each(ENGINES)("fleets with planted traps on $name", (engine) => {
  for (const seed of seeds) {
    it(`seed ${seed}: exactly one live CI per machine, never two machines on one CI`, async (ctx) => {
      if (!engine.available) ctx.skip();
      const fleet = generateFleet(seed, 24);
      const store = await engine.open();
      try {
        const settings = reconcileSettings({});
        for (const batch of fleet.batches) await ingestBatch(store, batch, { settings });
        const rows = await store.engine.query<{ ci_id: string; source: string; ref: string; status: string; ci_status: string }>(
          "SELECT o.ci_id, o.source, o.ref, o.status, ci.status AS ci_status FROM observation o JOIN ci ON ci.id = o.ci_id",
        );
        const machinesOf = new Map<string, Set<number>>();
        for (const r of rows) {
          if (r.status !== "present") continue;
          const m = fleet.truth.get(`${r.source}\u0000${r.ref}`);
          expect(m, `${r.source} ${r.ref} is in the fleet`).toBeDefined();
          machinesOf.set(r.ci_id, (machinesOf.get(r.ci_id) ?? new Set()).add(m!));
        }
        const merged = [...machinesOf.entries()].filter(([, ms]) => ms.size > 1);
        expect(merged, "CIs holding two machines").toEqual([]);
        const live = [...machinesOf.values()].map((ms) => [...ms][0]!).filter((m) => m >= 0);
        expect(live.sort((a, b) => a - b)).toEqual(Array.from({ length: fleet.machines }, (_, i) => i));
      } finally {
        await store.close();
      }
    });
  }
});
