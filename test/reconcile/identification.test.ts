import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema, type ReconcileSettings, reconcileSettings } from "../../src/config/schema.js";
import type { ObservationBatch } from "../../src/model/observation.js";
import { ingestBatch } from "../../src/reconcile/ingest.js";
import { changesSince, findCis } from "../../src/store/queries.js";
import type { Store } from "../../src/store/store.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { batchOf, ec2Instance, factsBatch, inventoryHost, proxmoxVm, terraformInstance, terraformVm } from "./lab-builders.js";

const HOUR = 3_600_000;
const T0 = new Date("2026-06-01T00:00:00Z");
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);
const settingsOf = (config: Record<string, unknown> = {}) => reconcileSettings(configSchema.parse(config));

/** Each CI that something still reports, as the sorted `source:ref` of its observations: the shape of identification. */
async function shape(store: Store): Promise<string[][]> {
  const rows = await store.engine.query<{ ci_id: string; source: string; ref: string }>(
    "SELECT o.ci_id, o.source, o.ref FROM observation o JOIN ci ON ci.id = o.ci_id WHERE o.status = 'present' ORDER BY o.ci_id, o.source, o.ref",
  );
  const byCi = new Map<string, string[]>();
  for (const r of rows) byCi.set(r.ci_id, [...(byCi.get(r.ci_id) ?? []), `${r.source}:${r.ref}`]);
  return [...byCi.values()].map((refs) => refs.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

async function ciOf(store: Store, source: string, ref: string): Promise<string> {
  const rows = await store.engine.query<{ ci_id: string }>("SELECT ci_id FROM observation WHERE source = $1 AND ref = $2", [source, ref]);
  expect(rows).toHaveLength(1);
  return rows[0]!.ci_id;
}

async function statusOf(store: Store, id: string): Promise<string> {
  const [row] = await store.engine.query<{ status: string }>("SELECT status FROM ci WHERE id = $1", [id]);
  return row!.status;
}

async function sharedKeys(store: Store): Promise<string[]> {
  return (await store.engine.query<{ key: string }>("SELECT key FROM shared_key ORDER BY key")).map((r) => r.key);
}

afterAll(dropTestSchemas);

describe.each(ENGINES)("identification traps on $name", (engine) => {
  let store: Store;
  let settings: ReconcileSettings;
  let hour = 0;
  const ingest = (b: ObservationBatch, s = settings) => ingestBatch(store, b, { settings: s, now: at(hour++) });
  const ingestAll = async (batches: ObservationBatch[]) => {
    for (const b of batches) await ingest(b);
  };

  beforeEach(async (ctx) => {
    if (!engine.available) ctx.skip();
    store = await engine.open();
    settings = settingsOf();
    hour = 0;
  });
  afterEach(async () => {
    await store?.close();
  });

  describe("placeholder and cloned hardware ids", () => {
    for (const serial of ["NotSpecified", "0123456789", "To Be Filled By O.E.M."]) {
      it(`two servers whose firmware says serial ${JSON.stringify(serial)} stay two CIs`, async () => {
        await ingest(
          factsBatch("/srv/facts", [
            { host: "hv1", machineId: "4f1c0a2b9d8e4c7f8a6b5c4d3e2f1a01", serial, virtualization: null, nics: [{ name: "eno1", mac: "ac:1f:6b:10:00:01", ip: "10.1.0.11" }] },
            { host: "hv2", machineId: "4f1c0a2b9d8e4c7f8a6b5c4d3e2f1a02", serial, virtualization: null, nics: [{ name: "eno1", mac: "ac:1f:6b:10:00:02", ip: "10.1.0.12" }] },
          ]),
        );
        // An SSH scan of hv2 that knows only the serial (no machine-id, no MAC) must not pick either.
        await ingest(factsBatch("/srv/facts-ssh", [{ host: "hv2-scan", serial, virtualization: null }]));
        expect(await shape(store)).toEqual([["ansible-facts:hv1"], ["ansible-facts:hv2"], ["ansible-facts:hv2-scan"]]);
      });
    }

    it("one server seen with its real serial by two sources is one CI", async () => {
      await ingest(factsBatch("/srv/facts", [{ host: "hv1", serial: "S211234X9", virtualization: null }]));
      await ingest(factsBatch("/srv/other-cache", [{ host: "hv1.lab.example", serial: "S211234X9", virtualization: null }]));
      expect(await shape(store)).toEqual([["ansible-facts:hv1", "ansible-facts:hv1.lab.example"]]);
    });

    for (const order of ["proxmox first", "facts first"] as const) {
      it(`template clones sharing /etc/machine-id stay apart and the id is learned as shared (${order})`, async () => {
        const cloned = "9c1f3e0b5a7d4b2e8f6a1c3d5e7f9b11";
        const proxmox = batchOf("proxmox", "proxmox:lab", [
          proxmoxVm("lab", 201, "k3s-a", { uuid: "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e01", macs: ["bc:24:11:5a:00:01"] }),
          proxmoxVm("lab", 202, "k3s-b", { uuid: "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e02", macs: ["bc:24:11:5a:00:02"] }),
        ]);
        const facts = factsBatch("/srv/facts", [
          { host: "k3s-a", machineId: cloned, uuid: "1D2E3F40-5A6B-4C7D-8E9F-0A1B2C3D4E01", nics: [{ name: "ens18", mac: "BC:24:11:5A:00:01", ip: "10.20.0.31" }] },
          { host: "k3s-b", machineId: cloned, uuid: "1D2E3F40-5A6B-4C7D-8E9F-0A1B2C3D4E02", nics: [{ name: "ens18", mac: "BC:24:11:5A:00:02", ip: "10.20.0.32" }] },
        ]);
        await ingestAll(order === "proxmox first" ? [proxmox, facts] : [facts, proxmox]);
        expect(await shape(store)).toEqual([
          ["ansible-facts:k3s-a", "proxmox:qemu/201"],
          ["ansible-facts:k3s-b", "proxmox:qemu/202"],
        ]);
        expect(await sharedKeys(store)).toContain(`machine-id:${cloned}`);
      });
    }

    it("LXC clones sharing a machine-id, with nothing but their MACs to tell them apart, stay apart", async () => {
      const cloned = "0f9e8d7c6b5a49382716a5b4c3d2e1f0";
      await ingest(
        factsBatch("/srv/facts", [
          { host: "ct-dns1", machineId: cloned, virtualization: null, nics: [{ name: "eth0", mac: "bc:24:11:c0:00:01", ip: "10.20.0.53" }] },
          { host: "ct-dns2", machineId: cloned, virtualization: null, nics: [{ name: "eth0", mac: "bc:24:11:c0:00:02", ip: "10.20.0.54" }] },
        ]),
      );
      expect(await shape(store)).toEqual([["ansible-facts:ct-dns1"], ["ansible-facts:ct-dns2"]]);
    });

    it("a VMware copy that kept its SMBIOS UUID is another machine; a reinstall that kept it is the same one", async () => {
      const uuid = "564d1a2b-3c4d-5e6f-7a8b-9c0d1e2f3a4b";
      await ingest(
        factsBatch("/srv/facts", [
          { host: "app1", machineId: "aa11aa11aa11aa11aa11aa11aa11aa11", uuid, virtualization: "VMware", nics: [{ name: "ens192", mac: "00:50:56:a1:00:01", ip: "10.30.0.11" }] },
          { host: "app1-copy", machineId: "bb22bb22bb22bb22bb22bb22bb22bb22", uuid, virtualization: "VMware", nics: [{ name: "ens192", mac: "00:50:56:a1:00:02", ip: "10.30.0.12" }] },
        ]),
      );
      expect(await shape(store)).toEqual([["ansible-facts:app1"], ["ansible-facts:app1-copy"]]);
      expect(await sharedKeys(store)).toContain(`smbios.uuid:${uuid}`);

      const other = "4c4c4544-0042-3010-8052-b2c04f4a4d32";
      await ingest(factsBatch("/srv/before", [{ host: "db9", machineId: "cc33cc33cc33cc33cc33cc33cc33cc33", uuid: other, virtualization: null, nics: [{ name: "eno1", mac: "f4:02:70:00:00:09" }] }]));
      await ingest(factsBatch("/srv/after", [{ host: "db9", machineId: "dd44dd44dd44dd44dd44dd44dd44dd44", uuid: other, virtualization: null, nics: [{ name: "eno1", mac: "f4:02:70:00:00:09" }] }]));
      expect(await ciOf(store, "ansible-facts", "db9").catch(() => "two")).toBe("two");
      const ids = await store.engine.query<{ ci_id: string }>("SELECT DISTINCT ci_id FROM observation WHERE ref = 'db9'");
      expect(ids).toHaveLength(1);
    });

    it("keepalived peers sharing the VRRP MAC stay two CIs", async () => {
      await ingest(
        factsBatch("/srv/facts", [
          { host: "lb1", machineId: "1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b", nics: [{ name: "eth0", mac: "bc:24:11:1b:00:01", ip: "10.0.0.2" }, { name: "eth1", mac: "00:00:5e:00:01:33", ip: "10.0.0.1" }] },
          { host: "lb2", machineId: "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b", nics: [{ name: "eth0", mac: "bc:24:11:1b:00:02", ip: "10.0.0.3" }, { name: "eth1", mac: "00:00:5e:00:01:33" }] },
        ]),
      );
      // The live view of lb2 alone, by its own MAC, still finds lb2.
      await ingest(batchOf("proxmox", "proxmox:lab", [proxmoxVm("lab", 311, "lb2", { macs: ["bc:24:11:1b:00:02", "00:00:5e:00:01:33"] })]));
      expect(await shape(store)).toEqual([["ansible-facts:lb1"], ["ansible-facts:lb2", "proxmox:qemu/311"]]);
    });

    it("two Vagrant VMs from one box (host `default`, 127.0.0.1, NAT 10.0.2.15, the box's MAC) stay two CIs", async () => {
      const box = (project: string, machineId: string, uuid: string) =>
        factsBatch(`/home/dev/${project}/.vagrant/facts`, [
          { host: "default", hostname: "bookworm", machineId, uuid, virtualization: "virtualbox", nics: [{ name: "eth0", mac: "08:00:27:8d:c0:4d", ip: "10.0.2.15" }] },
        ]);
      await ingest(batchOf("ansible", "/home/dev/api/.vagrant/provisioners/ansible/inventory", [inventoryHost("default", "127.0.0.1")]));
      await ingest(box("api", "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1", "9e3c1f2a-0b4d-4e5f-8a6b-7c8d9e0f1a01"));
      await ingest(batchOf("ansible", "/home/dev/web/.vagrant/provisioners/ansible/inventory", [inventoryHost("default", "127.0.0.1")]));
      await ingest(box("web", "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1", "9e3c1f2a-0b4d-4e5f-8a6b-7c8d9e0f1a02"));
      const groups = await shape(store);
      const facts = groups.filter((g) => g.some((r) => r.startsWith("ansible-facts:")));
      expect(facts).toHaveLength(2);
      for (const g of facts) expect(g.filter((r) => r.startsWith("ansible-facts:"))).toHaveLength(1);
    });

    it("containers of one name on two Docker hosts (172.17.0.2) stay two CIs", async () => {
      await ingest(factsBatch("/srv/docker-a", [{ host: "nginx", machineId: "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", virtualization: "docker", nics: [{ name: "eth0", mac: "02:42:ac:11:00:02", ip: "172.17.0.2", pci: false }] }]));
      await ingest(factsBatch("/srv/docker-b", [{ host: "nginx", machineId: "6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b", virtualization: "docker", nics: [{ name: "eth0", mac: "02:42:ac:11:00:02", ip: "172.17.0.2", pci: false }] }]));
      expect(await shape(store)).toHaveLength(2);
    });
  });

  describe("identity over time", () => {
    it("a vmid reused after the old VM was destroyed is a new VM, and the old one is gone", async () => {
      await ingest(batchOf("terraform", "lin-old/default", [terraformVm("proxmox_virtual_environment_vm.ci", "lab", 150, "ci-runner", { uuid: "7a7a7a7a-0000-4000-8000-000000000150", macs: ["bc:24:11:15:00:01"] })]));
      await ingest(batchOf("proxmox", "proxmox:lab", [proxmoxVm("lab", 150, "ci-runner", { uuid: "7a7a7a7a-0000-4000-8000-000000000150", macs: ["bc:24:11:15:00:01"] })]));
      const old = await ciOf(store, "proxmox", "qemu/150");
      expect(await ciOf(store, "terraform", "proxmox_virtual_environment_vm.ci")).toBe(old);
      // The VM is destroyed by hand and vmid 150 is given to another VM.
      await ingest(batchOf("proxmox", "proxmox:lab", [proxmoxVm("lab", 150, "grafana", { uuid: "8b8b8b8b-0000-4000-8000-000000000150", macs: ["bc:24:11:15:00:99"] })]));
      const fresh = await ciOf(store, "proxmox", "qemu/150");
      expect(fresh).not.toBe(old);
      expect(await ciOf(store, "terraform", "proxmox_virtual_environment_vm.ci")).toBe(old);
      // Terraform plans the old VM away: the old CI is reported by nothing and goes missing.
      await ingest(batchOf("terraform", "lin-old/default", []));
      expect(await statusOf(store, old)).toBe("missing");
      expect(await statusOf(store, fresh)).toBe("active");
    });

    it("an address DHCP hands to a new machine does not revive the destroyed machine's CI", async () => {
      await ingest(factsBatch("/srv/facts", [{ host: "kiosk1", machineId: "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0", nics: [{ name: "eth0", mac: "dc:a6:32:00:00:01", ip: "192.168.20.50" }] }]));
      const old = await ciOf(store, "ansible-facts", "kiosk1");
      await ingest(factsBatch("/srv/facts", []));
      expect(await statusOf(store, old)).toBe("missing");
      await ingest(batchOf("ansible", "/etc/ansible/hosts", [inventoryHost("printer-hall", "192.168.20.50")]));
      await ingest(factsBatch("/srv/facts", [{ host: "printer-hall", machineId: "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1", nics: [{ name: "eth0", mac: "dc:a6:32:00:00:77", ip: "192.168.20.50" }] }]));
      const fresh = await ciOf(store, "ansible-facts", "printer-hall");
      expect(fresh).not.toBe(old);
      expect(await ciOf(store, "ansible", "printer-hall")).toBe(fresh);
      expect(await statusOf(store, old)).toBe("missing");
    });

    it("after Terraform replaces an EC2 instance, the inventory entry moves to the replacement's CI", async () => {
      const tf = (id: string) => batchOf("terraform", "lin-shop/prod", [terraformInstance("aws_instance.web", id, "10.0.1.25")]);
      const ec2 = (id: string, mac: string) => batchOf("ec2", "ec2:123456789012/eu-west-1", [ec2Instance(id, "web", "10.0.1.25", mac)]);
      const inventory = batchOf("ansible", "/repo/inventory/prod.yml", [inventoryHost("web", "10.0.1.25")]);
      await ingestAll([tf("i-0aa0000000000000a"), ec2("i-0aa0000000000000a", "06:1f:aa:00:00:01"), inventory]);
      const old = await ciOf(store, "ec2", "i-0aa0000000000000a");
      expect(await ciOf(store, "ansible", "web")).toBe(old);
      await ingestAll([tf("i-0bb0000000000000b"), ec2("i-0bb0000000000000b", "06:1f:bb:00:00:02"), inventory]);
      const replacement = await ciOf(store, "ec2", "i-0bb0000000000000b");
      expect(replacement).not.toBe(old);
      expect(await ciOf(store, "terraform", "aws_instance.web")).toBe(replacement);
      expect(await ciOf(store, "ansible", "web")).toBe(replacement);
      expect(await statusOf(store, old)).toBe("missing");
    });

    it("a VM renamed in Terraform, the inventory and its hostname keeps its CI", async () => {
      const mac = "bc:24:11:7e:00:01";
      const uuid = "3c3c3c3c-1111-4222-8333-444444444401";
      await ingest(batchOf("terraform", "lin-lab/default", [terraformVm("proxmox_virtual_environment_vm.web", "lab", 120, "web01", { uuid, macs: [mac], ips: ["10.10.0.20"] })]));
      await ingest(batchOf("ansible", "/repo/hosts.ini", [inventoryHost("web01", "10.10.0.20")]));
      await ingest(factsBatch("/srv/facts", [{ host: "web01", machineId: "7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e", uuid, nics: [{ name: "ens18", mac, ip: "10.10.0.20" }] }]));
      const id = await ciOf(store, "terraform", "proxmox_virtual_environment_vm.web");
      expect(await shape(store)).toHaveLength(1);
      await ingest(batchOf("terraform", "lin-lab/default", [terraformVm("proxmox_virtual_environment_vm.web", "lab", 120, "frontend01", { uuid, macs: [mac], ips: ["10.10.0.20"] })]));
      await ingest(batchOf("ansible", "/repo/hosts.ini", [inventoryHost("frontend01", "10.10.0.20")]));
      await ingest(factsBatch("/srv/facts", [{ host: "frontend01", machineId: "7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e", uuid, nics: [{ name: "ens18", mac, ip: "10.10.0.20" }] }]));
      expect(await shape(store)).toEqual([["ansible-facts:frontend01", "ansible:frontend01", "terraform:proxmox_virtual_environment_vm.web"]]);
      expect(await ciOf(store, "ansible", "frontend01")).toBe(id);
      const [ci] = await findCis(store.engine, id);
      expect(ci!.name).toBe("frontend01");
    });
  });

  describe("merges later", () => {
    for (const order of ["inventories first", "facts between"] as const) {
      it(`a server listed in two inventories through two networks becomes one CI once its facts show both addresses (${order})`, async () => {
        const a = batchOf("ansible", "/repo/inventory/prod.ini", [inventoryHost("db1", "10.0.0.5")]);
        const b = batchOf("ansible", "/repo/inventory/backup.ini", [inventoryHost("db1", "192.168.50.5")]);
        const facts = factsBatch("/srv/facts", [
          { host: "db1", machineId: "db1db1db1db1db1db1db1db1db1db1db", nics: [{ name: "eth0", mac: "bc:24:11:db:00:01", ip: "10.0.0.5" }, { name: "eth1", mac: "bc:24:11:db:00:02", ip: "192.168.50.5" }] },
        ]);
        if (order === "inventories first") {
          await ingestAll([a, b]);
          expect(await shape(store)).toHaveLength(2);
          const older = await ciOf(store, "ansible", "db1").catch(() => "");
          expect(older).toBe("");
          const idA = (await store.engine.query<{ ci_id: string }>("SELECT ci_id FROM observation WHERE scope = '/repo/inventory/prod.ini'"))[0]!.ci_id;
          const idB = (await store.engine.query<{ ci_id: string }>("SELECT ci_id FROM observation WHERE scope = '/repo/inventory/backup.ini'"))[0]!.ci_id;
          const result = await ingest(facts);
          expect(await shape(store)).toEqual([["ansible-facts:db1", "ansible:db1", "ansible:db1"]]);
          const survivor = await ciOf(store, "ansible-facts", "db1");
          expect(survivor).toBe(idA);
          expect(result.warnings.join("\n")).toMatch(new RegExp(`merged ${idB} into ${idA}`));
          // The merged id stays resolvable, and the merge is in the history.
          const [resolved] = await findCis(store.engine, idB);
          expect(resolved!.id).toBe(idA);
          const merges = (await changesSince(store.engine, {}, idA)).filter((c) => c.field === "merged");
          expect(merges).toHaveLength(1);
          // Idempotent: ingesting everything again changes nothing.
          await ingestAll([a, b, facts]);
          expect((await changesSince(store.engine, {}, idA)).filter((c) => c.field === "merged")).toHaveLength(1);
          expect(await shape(store)).toEqual([["ansible-facts:db1", "ansible:db1", "ansible:db1"]]);
        } else {
          await ingestAll([a, facts, b]);
          expect(await shape(store)).toEqual([["ansible-facts:db1", "ansible:db1", "ansible:db1"]]);
        }
      });
    }

    it("prod web1 and staging web1 stay two CIs when facts show only one of the addresses", async () => {
      await ingest(batchOf("ansible", "/repo/inventory/prod.ini", [inventoryHost("web1", "10.0.0.11")]));
      await ingest(batchOf("ansible", "/repo/inventory/staging.ini", [inventoryHost("web1", "10.1.0.11")]));
      await ingest(factsBatch("/srv/facts-prod", [{ host: "web1", machineId: "11112222333344445555666677778888", nics: [{ name: "eth0", mac: "bc:24:11:00:11:01", ip: "10.0.0.11" }] }]));
      expect(await shape(store)).toEqual([["ansible-facts:web1", "ansible:web1"], ["ansible:web1"]]);
    });

    it("a strong key arriving later merges two CIs of one machine", async () => {
      await ingest(batchOf("ansible", "/repo/hosts.ini", [inventoryHost("nas", "10.0.0.40")]));
      await ingest(batchOf("proxmox", "proxmox:lab", [proxmoxVm("lab", 400, "truenas", { macs: ["bc:24:11:40:00:01"] })]));
      expect(await shape(store)).toHaveLength(2);
      await ingest(factsBatch("/srv/facts", [{ host: "nas", hostname: "truenas", machineId: "40404040404040404040404040404040", nics: [{ name: "enp6s18", mac: "bc:24:11:40:00:01", ip: "10.0.0.40" }] }]));
      expect(await shape(store)).toEqual([["ansible-facts:nas", "ansible:nas", "proxmox:qemu/400"]]);
    });

    it("a shared key learned later splits the CIs it alone held together", async () => {
      const placeholderMac = "08:00:27:aa:bb:cc";
      await ingest(factsBatch("/srv/facts-a", [{ host: "box-a", nics: [{ name: "eth0", mac: placeholderMac, ip: "10.9.0.1" }] }]));
      await ingest(factsBatch("/srv/facts-b", [{ host: "box-b", nics: [{ name: "eth0", mac: placeholderMac, ip: "10.9.0.2" }] }]));
      // Nothing tells them apart yet: one MAC, no other strong key.
      expect(await shape(store)).toHaveLength(1);
      const before = await ciOf(store, "ansible-facts", "box-a");
      await ingest(factsBatch("/srv/facts-b", [{ host: "box-b", machineId: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2", nics: [{ name: "eth0", mac: placeholderMac, ip: "10.9.0.2" }] }]));
      const result = await ingest(factsBatch("/srv/facts-a", [{ host: "box-a", machineId: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", nics: [{ name: "eth0", mac: placeholderMac, ip: "10.9.0.1" }] }]));
      expect(await shape(store)).toEqual([["ansible-facts:box-a"], ["ansible-facts:box-b"]]);
      expect(await sharedKeys(store)).toContain(`mac:${placeholderMac}`);
      expect([await ciOf(store, "ansible-facts", "box-a"), await ciOf(store, "ansible-facts", "box-b")]).toContain(before);
      expect(result.warnings.join("\n")).toMatch(/split ci_\w+ from ci_\w+/);
      const splits = (await changesSince(store.engine, {}, before)).filter((c) => c.field === "split");
      expect(splits.length).toBeGreaterThan(0);
    });
  });

  describe("configured rules", () => {
    it("identity.ignoreKeys stops a key from joining anything", async () => {
      const ignoring = settingsOf({ identity: { ignoreKeys: ["hostname:ubuntu", "ip:10.99.*"] } });
      await ingest(batchOf("ansible", "/a.ini", [inventoryHost("ubuntu", "10.99.0.1")]), ignoring);
      await ingest(batchOf("ssh", "ssh:one", [{ ...inventoryHost("ubuntu", "10.99.0.1"), ref: "one" }]), ignoring);
      expect(await shape(store)).toHaveLength(2);
    });

    for (const serialFirst of [false, true]) {
      it(`identity.rules reorders the schemes: a reinstalled server (new machine-id, same serial and NIC) is ${serialFirst ? "one CI with serial ranked first" : "two CIs by default"}`, async () => {
        const config = serialFirst ? settingsOf({ identity: { rules: { machine: ["serial", "machine-id"] } } }) : settings;
        const nics = [{ name: "eno1", mac: "3c:ec:ef:00:00:07", ip: "10.1.0.77" }];
        await ingest(factsBatch("/srv/a", [{ host: "hv7", serial: "CZJ1234567", machineId: "77777777777777777777777777777771", virtualization: null, nics }]), config);
        await ingest(factsBatch("/srv/b", [{ host: "hv7", serial: "CZJ1234567", machineId: "77777777777777777777777777777772", virtualization: null, nics }]), config);
        expect(await shape(store)).toHaveLength(serialFirst ? 1 : 2);
      });
    }
  });
});
