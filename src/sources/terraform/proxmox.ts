import { KEY } from "../../model/attributes.js";
import { type IdentityKey, macKey, normalizeMac, strong, weak } from "../../model/keys.js";
import { block, bool, ipOf, list, num, obj, sizeGb, str, strings, tagsFrom, unique, type Values } from "./fields.js";
import type { MapContext, Mapped, Mapper } from "./mapping.js";

type Disk = { name: string; size_gb?: number; storage?: string };
type Interface = { name: string; mac?: string; ips?: string[]; bridge?: string };

/** What the four guest resources (Telmate and bpg providers, VM and container) say about a guest. */
interface Guest {
  kind: "qemu" | "lxc";
  vmid?: number;
  node?: string;
  hostname?: string;
  cores?: number;
  sockets?: number;
  memoryMb?: number;
  disks: Disk[];
  interfaces: Interface[];
  ips: string[];
  macs: string[];
  smbiosUuid?: string;
  state?: string;
  tags?: Record<string, string>;
}

/** Telmate ids are `node/qemu/vmid` or `node/lxc/vmid`; the `vmid` attribute is 0 or null in some versions. */
function telmateId(v: Values): { node?: string; vmid?: number } {
  const match = /^([^/]+)\/(?:qemu|lxc)\/(\d+)$/.exec(str(v.id) ?? "");
  const vmid = match ? Number(match[2]) : num(v.vmid);
  return { node: match?.[1] ?? str(v.target_node), vmid: vmid && vmid > 0 ? vmid : undefined };
}

function telmateVm(v: Values): Guest {
  const interfaces: Interface[] = list(v.network).map((raw, i) => {
    const n = obj(raw) ?? {};
    return clean({ name: `net${num(n.id) ?? i}`, mac: mac(n.macaddr), bridge: str(n.bridge) });
  });
  const ipconfigs = Object.keys(v)
    .filter((k) => /^ipconfig\d+$/.test(k))
    .map((k) => /(?:^|,)ip=([^,]+)/.exec(str(v[k]) ?? "")?.[1]);
  return {
    kind: "qemu",
    ...telmateId(v),
    hostname: str(v.name),
    cores: num(v.cores),
    sockets: num(v.sockets),
    memoryMb: num(v.memory),
    disks: [...telmateLegacyDisks(v.disk), ...telmateDisks(v.disks)],
    interfaces,
    ips: ips([...ipconfigs, v.default_ipv4_address]),
    macs: macs(interfaces.map((i) => i.mac)),
    smbiosUuid: str(block(v.smbios)?.uuid),
    state: str(v.vm_state),
    tags: tagsFrom(v.tags),
  };
}

/** Telmate 2.x: `disk = [{ type = "scsi", slot = 0, size = "32G", storage = "local-lvm" }]`. */
function telmateLegacyDisks(value: unknown): Disk[] {
  return list(value).map((raw, i) => {
    const d = obj(raw) ?? {};
    const slot = num(d.slot);
    return clean({ name: `${str(d.type) ?? "disk"}${slot ?? i}`, size_gb: sizeGb(d.size), storage: str(d.storage) });
  });
}

/** Telmate 3.x: `disks { scsi { scsi0 { disk { size = "32G" } } } }`, each block a one-element list. */
function telmateDisks(value: unknown): Disk[] {
  const out: Disk[] = [];
  const bus = block(value);
  for (const controller of ["ide", "sata", "scsi", "virtio"]) {
    const slots = block(bus?.[controller]);
    for (const [slot, content] of Object.entries(slots ?? {})) {
      const disk = block(block(content)?.disk);
      if (disk) out.push(clean({ name: slot, size_gb: sizeGb(disk.size), storage: str(disk.storage) }));
    }
  }
  return out;
}

function telmateLxc(v: Values): Guest {
  const interfaces: Interface[] = list(v.network).map((raw, i) => {
    const n = obj(raw) ?? {};
    const ip = ipOf(n.ip);
    return clean({ name: str(n.name) ?? `net${i}`, mac: mac(n.hwaddr), bridge: str(n.bridge), ips: ip ? [ip] : undefined });
  });
  const rootfs = block(v.rootfs);
  const rootfsText = str(v.rootfs);
  const size = rootfs ? sizeGb(rootfs.size) : sizeGb(/size=([^,]+)/.exec(rootfsText ?? "")?.[1]);
  const storage = rootfs ? str(rootfs.storage) : rootfsText?.split(":")[0];
  return {
    kind: "lxc",
    ...telmateId(v),
    hostname: str(v.hostname),
    cores: num(v.cores),
    memoryMb: num(v.memory),
    disks: rootfs || rootfsText ? [clean({ name: "rootfs", size_gb: size, storage })] : [],
    interfaces,
    ips: ips(list(v.network).map((n) => obj(n)?.ip)),
    macs: macs(interfaces.map((i) => i.mac)),
    tags: tagsFrom(v.tags),
  };
}

function bpgState(v: Values): string | undefined {
  if (bool(v.template)) return "template";
  const started = bool(v.started);
  return started === undefined ? undefined : started ? "running" : "stopped";
}

function bpgInitIps(v: Values): unknown[] {
  return list(block(v.initialization)?.ip_config).flatMap((c) => list(obj(c)?.ipv4).map((a) => obj(a)?.address));
}

function bpgVm(v: Values): Guest {
  const cpu = block(v.cpu);
  const interfaces: Interface[] = list(v.network_device).map((raw, i) => {
    const n = obj(raw) ?? {};
    return clean({ name: `net${i}`, mac: mac(n.mac_address), bridge: str(n.bridge) });
  });
  return {
    kind: "qemu",
    vmid: num(v.vm_id) ?? num(v.id),
    node: str(v.node_name),
    hostname: str(v.name),
    cores: num(cpu?.cores),
    sockets: num(cpu?.sockets),
    memoryMb: num(block(v.memory)?.dedicated),
    disks: list(v.disk).map((raw, i) => {
      const d = obj(raw) ?? {};
      return clean({ name: str(d.interface) ?? `disk${i}`, size_gb: sizeGb(d.size), storage: str(d.datastore_id) });
    }),
    interfaces,
    ips: ips([...list(v.ipv4_addresses).flat(), ...bpgInitIps(v)]),
    macs: macs([...interfaces.map((i) => i.mac), ...strings(v.mac_addresses)]),
    smbiosUuid: str(block(v.smbios)?.uuid),
    state: bpgState(v),
    tags: tagsFrom(v.tags),
  };
}

function bpgContainer(v: Values): Guest {
  const interfaces: Interface[] = list(v.network_interface).map((raw, i) => {
    const n = obj(raw) ?? {};
    return clean({ name: str(n.name) ?? `net${i}`, mac: mac(n.mac_address), bridge: str(n.bridge) });
  });
  const disk = block(v.disk);
  return {
    kind: "lxc",
    vmid: num(v.vm_id) ?? num(v.id),
    node: str(v.node_name),
    hostname: str(block(v.initialization)?.hostname),
    cores: num(block(v.cpu)?.cores),
    memoryMb: num(block(v.memory)?.dedicated),
    disks: disk ? [clean({ name: "rootfs", size_gb: sizeGb(disk.size), storage: str(disk.datastore_id) })] : [],
    interfaces,
    ips: ips(bpgInitIps(v)),
    macs: macs(interfaces.map((i) => i.mac)),
    state: bpgState(v),
    tags: tagsFrom(v.tags),
  };
}

function guestMapper(read: (v: Values) => Guest): Mapper {
  return (ctx: MapContext): Mapped => {
    const g = read(ctx.values);
    const cluster = ctx.opts.proxmoxCluster;
    const keys: IdentityKey[] = [];
    if (g.vmid !== undefined) {
      if (cluster) keys.push(strong(KEY.proxmoxVm, `${cluster}/${g.vmid}`));
      keys.push(weak(KEY.proxmoxVmid, g.vmid));
    }
    for (const m of g.macs) keys.push(macKey(m)!);
    if (g.smbiosUuid) keys.push(strong(KEY.smbiosUuid, g.smbiosUuid.toLowerCase()));
    if (g.hostname) keys.push(weak(KEY.hostname, g.hostname.toLowerCase()));
    for (const ip of g.ips) keys.push(weak(KEY.ip, ip));
    const vocab: Record<string, unknown> = {
      ...(g.hostname ? { hostname: g.hostname } : {}),
      ...(g.cores !== undefined ? { cpu_cores: g.cores } : {}),
      ...(g.sockets !== undefined ? { cpu_sockets: g.sockets } : {}),
      ...(g.memoryMb !== undefined ? { memory_mb: g.memoryMb } : {}),
      ...(g.disks.length ? { disks: g.disks } : {}),
      ...(g.interfaces.length ? { interfaces: g.interfaces } : {}),
      ...(g.macs.length ? { mac_addresses: g.macs } : {}),
      ...(g.ips.length ? { ip_addresses: g.ips } : {}),
      ...(g.smbiosUuid ? { smbios_uuid: g.smbiosUuid.toLowerCase() } : {}),
      ...(g.vmid !== undefined ? { vmid: g.vmid } : {}),
      ...(g.node ? { node: g.node } : {}),
      virtualization_type: g.kind === "qemu" ? "kvm" : "lxc",
      virtualization_role: "guest",
    };
    return {
      type: g.kind === "qemu" ? "virtual_machine" : "container",
      keys,
      name: g.hostname ?? ctx.label,
      ...(g.tags ? { tags: g.tags } : {}),
      ...(g.state ? { state: g.state } : {}),
      vocab,
      edges: cluster && g.node ? [{ type: "RUNS_ON", to: { key: `${KEY.proxmoxNode}:${cluster}/${g.node}` } }] : [],
    };
  };
}

export const PROXMOX_MAPPERS: Record<string, Mapper> = {
  proxmox_vm_qemu: guestMapper(telmateVm),
  proxmox_lxc: guestMapper(telmateLxc),
  proxmox_virtual_environment_vm: guestMapper(bpgVm),
  proxmox_virtual_environment_container: guestMapper(bpgContainer),
};

function mac(value: unknown): string | undefined {
  const s = str(value);
  return s ? normalizeMac(s) : undefined;
}

function macs(values: (string | undefined)[]): string[] {
  return unique(values.map((m) => (m ? normalizeMac(m) : undefined)).filter((m): m is string => m !== undefined));
}

function ips(values: unknown[]): string[] {
  return unique(values.map(ipOf).filter((ip): ip is string => ip !== undefined));
}

/** Drops undefined fields so that observations compare equal across runs. */
function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
