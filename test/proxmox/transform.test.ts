import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { proxmoxConfigFromEnv } from "../../src/sources/proxmox/source.js";
import {
  agentInterfacesSchema,
  clusterStatusSchema,
  guestConfigSchema,
  guestListSchema,
  nodeListSchema,
  parseAnswer,
  storageListSchema,
  vmResourcesSchema,
} from "../../src/sources/proxmox/schema.js";
import { clusterName, disks, guestObservation, memoryMb, networkDevices, sizeGb, smbios, splitTags } from "../../src/sources/proxmox/transform.js";
import { corpusDir } from "../helpers/corpus.js";
import { TOKEN_ID, TOKEN_SECRET } from "./pve-replay.js";

describe("Proxmox property strings", () => {
  it("reads sizes with and without units as GiB", () => {
    expect([sizeGb("32G"), sizeGb("512M"), sizeGb("1T"), sizeGb("4M"), sizeGb("1073741824"), sizeGb("big")]).toEqual([32, 0.5, 1024, 0.004, 1, undefined]);
  });

  it("reads memory in both the plain and the PVE 8.1 current= form", () => {
    expect([memoryMb(2048), memoryMb("4096"), memoryMb("current=8192"), memoryMb(undefined)]).toEqual([2048, 4096, 8192, undefined]);
  });

  it("keeps only real smbios uuids, lower-cased", () => {
    expect(smbios("uuid=5F0C5A8E-3B1D-4C2A-9E7F-0A1B2C3D4E02,manufacturer=UUVNVQ==,base64=1")).toBe("5f0c5a8e-3b1d-4c2a-9e7f-0a1b2c3d4e02");
    expect(smbios("uuid=ffffffff-ffff-ffff-ffff-ffffffffffff")).toBeUndefined();
    expect(smbios("manufacturer=foo")).toBeUndefined();
  });

  it("splits tags on the separators PVE accepts", () => {
    expect(splitTags("prod;web, edge  db")).toEqual(["db", "edge", "prod", "web"]);
  });

  it("reads every NIC form and skips CD-ROMs and empty drives", () => {
    expect(
      networkDevices("qemu", {
        net0: "virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=5",
        net10: "model=e1000,macaddr=bc-24-11-00-00-0a,bridge=vmbr1",
        net2: "vmxnet3=BC:24:11:00:00:02,bridge=vmbr2,firewall=1",
      }),
    ).toEqual([
      { name: "net0", model: "virtio", mac: "bc:24:11:00:00:01", bridge: "vmbr0", vlan: 5 },
      { name: "net2", model: "vmxnet3", mac: "bc:24:11:00:00:02", bridge: "vmbr2", firewall: true },
      { name: "net10", model: "e1000", mac: "bc:24:11:00:00:0a", bridge: "vmbr1" },
    ]);
    expect(disks("qemu", { ide2: "none,media=cdrom", ide0: "local-lvm:vm-1-cloudinit,media=cdrom", scsi0: "/dev/disk/by-id/ata-X,size=100G", unused0: "local-lvm:vm-1-disk-9" })).toEqual([
      { name: "scsi0", volume: "/dev/disk/by-id/ata-X", size_gb: 100 },
    ]);
  });

  it("gives a guest whose config could not be read its list-level identity only", () => {
    const observation = guestObservation("c", "n1", { kind: "qemu", entry: { vmid: 7, name: "lonely", status: "running" } });
    expect(observation.keys.map((k) => `${k.scheme}:${k.value}`)).toEqual(["proxmox.vm:c/7", "proxmox.vmid:7", "hostname:lonely"]);
    expect(observation.attributes).not.toHaveProperty("memory_mb");
    expect(observation.attributes).not.toHaveProperty("interfaces");
  });

  it("names a standalone node's cluster after the node", () => {
    expect(clusterName([{ type: "node", name: "pve", online: true, local: true }])).toBe("pve");
  });

  it("names the JSON path of an answer it does not understand", () => {
    expect(() => parseAnswer(guestListSchema, [{ vmid: 100 }, { vmid: "abc" }], "pve:8006 GET /nodes/n/qemu")).toThrow(
      expect.objectContaining({ where: "pve:8006 GET /nodes/n/qemu", message: "unexpected answer at $.data[1].vmid: expected a number" }),
    );
  });
});

describe("proxmoxConfigFromEnv", () => {
  it("maps the PROXMOX_* variables onto the configuration", () => {
    expect(
      proxmoxConfigFromEnv({
        PROXMOX_URL: "https://pve.example.org:8006",
        PROXMOX_TOKEN_ID: TOKEN_ID,
        PROXMOX_TOKEN_SECRET: TOKEN_SECRET.toUpperCase(),
        PROXMOX_CA_FILE: "/etc/cmdb/pve-ca.pem",
        PROXMOX_INSECURE: "0",
        PROXMOX_CONCURRENCY: "4",
      }),
    ).toEqual({ url: "https://pve.example.org:8006", tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, caFile: "/etc/cmdb/pve-ca.pem", insecure: false, concurrency: 4 });
  });

  it("names the variable that is missing or wrong, never its secret value", () => {
    expect(() => proxmoxConfigFromEnv({ PROXMOX_URL: "https://pve:8006", PROXMOX_TOKEN_ID: TOKEN_ID })).toThrow("PROXMOX_TOKEN_SECRET is not set");
    let message = "";
    try {
      proxmoxConfigFromEnv({ PROXMOX_URL: "https://pve:8006", PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: "hunter2-not-a-uuid" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^PROXMOX_TOKEN_SECRET is invalid: expected the API token secret, a UUID/);
    expect(message).not.toContain("hunter2");
    expect(() => proxmoxConfigFromEnv({ PROXMOX_URL: "https://pve:8006", PROXMOX_TOKEN_ID: "root", PROXMOX_TOKEN_SECRET: TOKEN_SECRET })).toThrow(
      "PROXMOX_TOKEN_ID is invalid: expected an API token id of the form USER@REALM!TOKENID",
    );
  });
});

const SCHEMAS: [RegExp, Parameters<typeof parseAnswer>[0]][] = [
  [/^cluster-status/, clusterStatusSchema],
  [/^nodes-\d/, nodeListSchema],
  [/^nodes-storage/, storageListSchema],
  [/^cluster-resources/, vmResourcesSchema],
  [/^(qemu|lxc)-list/, guestListSchema],
  [/^(qemu|lxc)-\d+-config/, guestConfigSchema],
  [/agent-network-get-interfaces/, agentInterfacesSchema],
];

describe("the shared Proxmox corpus", () => {
  const dir = corpusDir("proxmox");
  it.runIf(dir !== undefined)("parses every recorded answer of an endpoint the source reads", () => {
    let checked = 0;
    for (const file of readdirSync(dir!).filter((f) => f.endsWith(".json"))) {
      const schema = SCHEMAS.find(([pattern]) => pattern.test(file))?.[1];
      if (!schema) continue;
      const { data } = JSON.parse(readFileSync(join(dir!, file), "utf8")) as { data: unknown };
      const parsed = parseAnswer(schema, data, file) as unknown;
      if (/-config/.test(file)) {
        const kind = file.startsWith("qemu") ? "qemu" : "lxc";
        const observation = guestObservation("corpus", "node1", { kind, entry: { vmid: 1, status: "running" }, config: parsed as Record<string, string | number> });
        expect(observation.attributes.memory_mb, file).toBeGreaterThan(0);
        expect((observation.attributes.disks as unknown[]).length, file).toBeGreaterThan(0);
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });
});
