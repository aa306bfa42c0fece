import { strong, weak, type IdentityKey } from "../../src/model/keys.js";
import type { Observation, ObservationBatch } from "../../src/model/observation.js";
import { parseFacts, transformFactsFiles } from "../../src/sources/ansible/source.js";

/**
 * Builders for identification scenarios. Facts go through the real parser and transform (the
 * JSON is what `ansible -m setup` prints); the other sources' observations carry the keys those
 * sources' transforms emit (see src/sources/*), with realistic values.
 */
export interface MachineFacts {
  host: string;
  hostname?: string;
  fqdn?: string;
  machineId?: string;
  serial?: string;
  uuid?: string;
  virtualization?: "kvm" | "VMware" | "virtualbox" | "docker" | "lxc" | null;
  nics?: { name: string; mac: string; ip?: string; pci?: boolean }[];
  memoryMb?: number;
}

export function setupJson(m: MachineFacts): string {
  const nics = m.nics ?? [];
  const facts: Record<string, unknown> = {
    ansible_hostname: (m.hostname ?? m.host).split(".")[0],
    ansible_nodename: m.hostname ?? m.host,
    ansible_fqdn: m.fqdn ?? m.hostname ?? m.host,
    ansible_system: "Linux",
    ansible_kernel: "6.1.0-28-amd64",
    ansible_distribution: "Debian",
    ansible_distribution_version: "12.8",
    ansible_os_family: "Debian",
    ansible_architecture: "x86_64",
    ansible_memtotal_mb: m.memoryMb ?? 3925,
    ansible_processor_vcpus: 2,
    ansible_interfaces: ["lo", ...nics.map((n) => n.name)],
    ansible_lo: { device: "lo", active: true, type: "loopback", ipv4: { address: "127.0.0.1", netmask: "255.0.0.0" } },
    ansible_virtualization_role: m.virtualization === null ? "host" : "guest",
    ansible_virtualization_type: m.virtualization ?? "kvm",
  };
  if (m.machineId !== undefined) facts.ansible_machine_id = m.machineId;
  if (m.serial !== undefined) facts.ansible_product_serial = m.serial;
  if (m.uuid !== undefined) facts.ansible_product_uuid = m.uuid;
  for (const nic of nics) {
    facts[`ansible_${nic.name.replace(/[-.]/g, "_")}`] = {
      device: nic.name,
      active: true,
      type: "ether",
      macaddress: nic.mac,
      ...(nic.pci === false ? {} : { pciid: "virtio0" }),
      ...(nic.ip ? { ipv4: { address: nic.ip, netmask: "255.255.255.0" } } : {}),
    };
  }
  return JSON.stringify({ ansible_facts: facts, changed: false });
}

/** A fact cache (or a setup run) of several hosts: one complete batch, one scope. */
export function factsBatch(scope: string, machines: MachineFacts[]): ObservationBatch {
  return transformFactsFiles(
    machines.map((m) => ({ host: m.host, where: `${scope}/${m.host}`, facts: parseFacts(JSON.parse(setupJson(m)), `${scope}/${m.host}`) })),
    scope,
  );
}

export function batchOf(source: string, scope: string, observations: Observation[], complete = true): ObservationBatch {
  return { source, scope, complete, observations, relationships: [] };
}

/** What the Proxmox source reports of a QEMU guest (src/sources/proxmox/transform.ts). */
export function proxmoxVm(cluster: string, vmid: number, name: string, opts: { uuid?: string; macs?: string[]; memoryMb?: number } = {}): Observation {
  const keys: IdentityKey[] = [strong("proxmox.vm", `${cluster}/${vmid}`)];
  if (opts.uuid) keys.push(strong("smbios.uuid", opts.uuid));
  for (const mac of opts.macs ?? []) keys.push(strong("mac", mac));
  keys.push(weak("proxmox.vmid", vmid), weak("hostname", name.toLowerCase()));
  return {
    ref: `qemu/${vmid}`,
    type: "virtual_machine",
    name,
    provider: "proxmox",
    keys,
    attributes: { vmid, memory_mb: opts.memoryMb ?? 2048, smbios_uuid: opts.uuid },
    state: "running",
  };
}

/** What the Terraform source reports of a bpg/proxmox VM resource (src/sources/terraform/proxmox.ts). */
export function terraformVm(address: string, cluster: string, vmid: number, name: string, opts: { uuid?: string; macs?: string[]; ips?: string[] } = {}): Observation {
  const keys: IdentityKey[] = [weak("terraform", address), strong("proxmox.vm", `${cluster}/${vmid}`), weak("proxmox.vmid", vmid)];
  for (const mac of opts.macs ?? []) keys.push(strong("mac", mac));
  if (opts.uuid) keys.push(strong("smbios.uuid", opts.uuid));
  keys.push(weak("hostname", name.toLowerCase()));
  for (const ip of opts.ips ?? []) keys.push(weak("ip", ip));
  return { ref: address, type: "virtual_machine", name, provider: "proxmox", keys, attributes: { memory_mb: 2048 } };
}

/** What the Terraform source reports of an aws_instance (src/sources/terraform/aws.ts). */
export function terraformInstance(address: string, instanceId: string, privateIp: string): Observation {
  return {
    ref: address,
    type: "virtual_machine",
    name: address.split(".").pop()!,
    provider: "aws",
    keys: [weak("terraform", address), strong("aws.instance", instanceId), weak("ip", privateIp), weak("fqdn", `ip-${privateIp.replace(/\./g, "-")}.ec2.internal`)],
    attributes: { instance_type: "t3.small" },
  };
}

/** What the EC2 source reports of an instance (src/sources/aws/transform.ts). */
export function ec2Instance(instanceId: string, name: string, privateIp: string, mac: string): Observation {
  return {
    ref: instanceId,
    type: "virtual_machine",
    name,
    provider: "aws",
    keys: [strong("aws.instance", instanceId), strong("mac", mac), weak("hostname", name), weak("fqdn", `ip-${privateIp.replace(/\./g, "-")}.ec2.internal`), weak("ip", privateIp)],
    attributes: { instance_type: "t3.small" },
    state: "running",
  };
}

/** What an inventory host is to the Ansible source: its name and `ansible_host` (src/sources/ansible/host-keys.ts). */
export function inventoryHost(name: string, address?: string): Observation {
  const keys: IdentityKey[] = [name.includes(".") ? weak("fqdn", name) : weak("hostname", name)];
  if (address && address !== "127.0.0.1") keys.push(weak("ip", address));
  return { ref: name, type: "server", name, keys, attributes: address ? { ansible_host: address } : {} };
}
