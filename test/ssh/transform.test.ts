import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keyString } from "../../src/model/index.js";
import { decodeProcAddress, transformSsh } from "../../src/sources/ssh/transform.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";

const fixture = (name: string) => readFileSync(join(TEST_FIXTURES, "ssh", name), "utf8");
const target = (ref: string) => ({ ref, host: `${ref}.example`, port: 22, user: "root" });
const run = (name: string, output = fixture(name)) => transformSsh(output, target(name));
const keysOf = (name: string) => run(name).observation.keys.map((k) => `${k.strength} ${keyString(k)}`);

describe("SSH transform of recorded outputs", () => {
  it("reads an Alpine busybox KVM guest: no lsblk, ss or systemd; netstat, /sys/block and OpenRC instead", () => {
    const { observation, warnings } = run("alpine-3.19-busybox-kvm.out");
    const a = observation.attributes;
    expect(observation.type).toBe("virtual_machine");
    expect(a).toMatchObject({
      hostname: "alpine1",
      fqdn: "alpine1.lab.example.net",
      os_name: "Alpine Linux",
      os_version: "3.19.1",
      os_family: "Alpine",
      kernel: "6.6.14-0-virt",
      architecture: "x86_64",
      cpu_cores: 2,
      cpu_model: "Common KVM processor",
      memory_mb: 1966,
      disks: [{ name: "vda", size_gb: 8 }],
      virtualization_type: "kvm",
      virtualization_role: "guest",
      uptime_seconds: 93784,
      services: ["chronyd", "crond", "node-exporter", "sshd"],
      ip_addresses: ["10.20.30.41", "2001:db8:20:30::41"],
    });
    expect(a.listening_ports).toEqual([
      { port: 22, protocol: "tcp", address: "0.0.0.0", process: "sshd.pam" },
      { port: 22, protocol: "tcp", address: "::", process: "sshd.pam" },
      { port: 25, protocol: "tcp", address: "127.0.0.1", process: "master" },
      { port: 9100, protocol: "tcp", address: "::", process: "node_exporter" },
    ]);
    expect(keysOf("alpine-3.19-busybox-kvm.out")).toEqual([
      "strong smbios.uuid:6f2a1e44-93c1-4b59-8d2e-1a5c3b9e07d4",
      "strong mac:bc:24:11:5e:7a:01",
      "weak hostname:alpine1",
      "weak fqdn:alpine1.lab.example.net",
      "weak ip:10.20.30.41",
      "weak ip:2001:db8:20:30::41",
    ]);
    expect(warnings.join()).toMatch(/no usable \/etc\/machine-id/);
  });

  it("falls back to /proc/net/tcp when neither ss nor netstat answered", () => {
    const output = fixture("alpine-3.19-busybox-kvm.out").replace(/@@cmdb:netstat[\s\S]*?(?=@@cmdb:proc-tcp)/, "");
    expect(run("alpine", output).observation.attributes.listening_ports).toEqual([
      { port: 22, protocol: "tcp", address: "0.0.0.0" },
      { port: 22, protocol: "tcp", address: "::" },
      { port: 25, protocol: "tcp", address: "127.0.0.1" },
      { port: 9100, protocol: "tcp", address: "::" },
    ]);
  });

  it("reads a RHEL 9 VMware guest with the FQDN as hostname, two sockets, and a VMware serial", () => {
    const { observation } = run("rhel-9.3-vmware.out");
    expect(observation.type).toBe("virtual_machine");
    expect(observation.name).toBe("app01");
    expect(observation.attributes).toMatchObject({
      hostname: "app01",
      fqdn: "app01.corp.example.com",
      os_name: "Red Hat Enterprise Linux",
      os_version: "9.3",
      os_family: "RedHat",
      cpu_cores: 4,
      cpu_sockets: 2,
      memory_mb: 15714,
      swap_mb: 4095,
      disks: [
        { name: "sda", size_gb: 100 },
        { name: "sdb", size_gb: 50 },
      ],
      vendor: "VMware, Inc.",
      virtualization_type: "vmware",
      serial: "VMware-42 1c 5a 3e 9f 0d 2b 71-8c 4a 6e 0d 1f 2b 3c 4d",
    });
    expect(observation.attributes.listening_ports).toContainEqual({ port: 80, protocol: "tcp", address: "0.0.0.0", process: "httpd" });
    expect(observation.attributes.listening_ports).toContainEqual({ port: 631, protocol: "tcp", address: "::1", process: "cupsd" });
    expect(observation.attributes.services).toContain("NetworkManager.service");
    expect(keysOf("rhel-9.3-vmware.out")).toEqual([
      "strong machine-id:5b0f7c2d9e8a4c61b3f2e1d0a9c8b7e6",
      "strong serial:VMware-42 1c 5a 3e 9f 0d 2b 71-8c 4a 6e 0d 1f 2b 3c 4d",
      "strong smbios.uuid:3e5a1c42-0d9f-712b-8c4a-6e0d1f2b3c4d",
      "strong mac:00:50:56:9c:11:22",
      "weak hostname:app01",
      "weak fqdn:app01.corp.example.com",
      "weak ip:10.1.4.21",
    ]);
  });

  it("keys a bare-metal Ubuntu docker host by its NICs only, not by docker, libvirt, veth or WireGuard interfaces", () => {
    const { observation } = run("ubuntu-22.04-baremetal-docker.out");
    expect(observation.type).toBe("server");
    expect(observation.attributes).toMatchObject({
      os_family: "Debian",
      os_version: "22.04",
      cpu_cores: 8,
      cpu_sockets: 2,
      virtualization_type: "none",
      disks: [
        { name: "nvme0n1", size_gb: 894.25 },
        { name: "nvme1n1", size_gb: 894.25 },
        { name: "sda", size_gb: 3726.02 },
      ],
      mac_addresses: ["3c:ec:ef:12:34:56", "3c:ec:ef:12:34:57"],
      ip_addresses: ["172.18.0.1", "172.17.0.1", "192.168.50.17", "192.168.122.1", "10.99.0.5"],
    });
    expect(observation.attributes).not.toHaveProperty("virtualization_role");
    expect(observation.attributes.services).not.toContain("wg-quick@wg0.service");
    expect(observation.attributes.listening_ports).toContainEqual({ port: 53, protocol: "tcp", address: "127.0.0.53", process: "systemd-resolve" });
    const interfaces = observation.attributes.interfaces as { name: string; bridge?: string }[];
    expect(interfaces.find((i) => i.name === "veth3a9c1d2")?.bridge).toBe("docker0");
    expect(keysOf("ubuntu-22.04-baremetal-docker.out")).toEqual([
      "strong machine-id:8f3c1a2b4d5e6f708192a3b4c5d6e7f8",
      "strong serial:7XK9Q53",
      "strong smbios.uuid:4c4c4544-0058-4b10-8039-b7c04f513533",
      "strong mac:3c:ec:ef:12:34:56",
      "strong mac:3c:ec:ef:12:34:57",
      "weak hostname:build07",
      "weak fqdn:build07.dc1.example.org",
      "weak ip:192.168.50.17",
      "weak ip:10.99.0.5",
    ]);
  });

  it("keys a Proxmox VE node by its bonded NICs' permanent MACs, skipping tap/fw*/veth, junk serial and junk UUID, and zvols", () => {
    const { observation } = run("proxmox-ve-8-node.out");
    expect(observation.type).toBe("server");
    expect(observation.attributes).toMatchObject({
      disks: [{ name: "sda", size_gb: 476.94 }],
      vendor: "HP",
      model: "HP EliteDesk 800 G4 DM 35W",
    });
    expect(observation.attributes).not.toHaveProperty("serial");
    expect(observation.attributes).not.toHaveProperty("smbios_uuid");
    expect(observation.attributes.listening_ports).toContainEqual({ port: 85, protocol: "tcp", address: "127.0.0.1", process: "pvedaemon worke,pvedaemon" });
    expect(keysOf("proxmox-ve-8-node.out")).toEqual([
      "strong machine-id:c0ffee00d15c0ba11fa57ba5eba11000",
      "strong mac:6c:4b:90:0a:1b:2c",
      "strong mac:00:e0:4c:68:01:7f",
      "weak hostname:pve2",
      "weak fqdn:pve2.home.arpa",
      "weak ip:192.168.1.12",
    ]);
  });

  it("keeps a Proxmox container apart from its node: no DMI keys (they are the node's), its own veth MAC", () => {
    const { observation } = run("proxmox-lxc-debian-12.out");
    expect(observation.type).toBe("container");
    expect(observation.attributes).toMatchObject({ virtualization_type: "lxc", virtualization_role: "guest", memory_mb: 512, disks: [{ name: "sda", size_gb: 476.94 }] });
    expect(observation.attributes).not.toHaveProperty("vendor");
    expect(keysOf("proxmox-lxc-debian-12.out")).toEqual([
      "strong machine-id:0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      "strong mac:bc:24:11:a0:b1:c2",
      "weak hostname:ct-dns1",
      "weak fqdn:ct-dns1.home.arpa",
      "weak ip:192.168.1.53",
    ]);
  });

  it("names the CI after the host entry when it has a name, and after the host name otherwise", () => {
    const output = fixture("rhel-9.3-vmware.out");
    expect(transformSsh(output, { ...target("web"), name: "web-prod-1" }).observation).toMatchObject({ ref: "web", name: "web-prod-1" });
    expect(transformSsh(output, target("web")).observation.attributes).toMatchObject({ ssh_host: "web.example", ssh_port: 22 });
  });

  it("refuses output cut short before the end mark, naming the host", () => {
    const cut = fixture("rhel-9.3-vmware.out").replace("@@cmdb:end", "");
    expect(() => transformSsh(cut, target("web"))).toThrow(/incomplete/);
    try {
      transformSsh(cut, target("web"));
    } catch (error) {
      expect((error as { where?: string }).where).toBe("ssh:web");
    }
  });

  it("decodes /proc/net/tcp addresses (little-endian words, v4-mapped v6)", () => {
    expect(decodeProcAddress("0100007F:0016")).toBe("127.0.0.1:22");
    expect(decodeProcAddress("00000000000000000000000001000000:1F90")).toBe("[::1]:8080");
    expect(decodeProcAddress("0000000000000000FFFF00000100007F:0050")).toBe("127.0.0.1:80");
    expect(decodeProcAddress("B80D0120000000000000000001000000:01BB")).toBe("[2001:db8::1]:443");
    expect(decodeProcAddress("garbage")).toBeUndefined();
  });
});
