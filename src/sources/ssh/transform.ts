import { type IdentityKey, isJunkSerial, KEY, type MachineAttributes, macKey, normalizeMac, type Observation, strong, weak } from "../../model/index.js";
import { CmdbError } from "../../util/errors.js";
import { redactByName } from "../../util/redact.js";
import { SECTION_MARK } from "./script.js";

/** What the transform knows of the host besides the script's output. */
export interface SshTarget {
  /** The host entry's name (CI name / inventory hostname), or its host when it has none. */
  ref: string;
  /** The explicit CI name from the host entry, if any. */
  name?: string;
  host: string;
  port: number;
  user: string;
  /** SHA256 fingerprint of the host key the connection verified. */
  hostKey?: string;
}

export interface SshTransformResult {
  observation: Observation;
  warnings: string[];
}

/** Splits the script's output into its sections; throws when the end mark is missing (output cut short). */
export function splitSections(output: string, where: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split(/\r?\n/)) {
    if (line.startsWith(SECTION_MARK)) {
      current = [];
      sections.set(line.slice(SECTION_MARK.length).trim(), current);
    } else if (current && line.trim() !== "") {
      current.push(line);
    }
  }
  if (!sections.has("end")) {
    throw new CmdbError("the discovery script's output is incomplete (no end mark)", {
      where,
      hint: "check that /bin/sh exists on the host and that the login is not a restricted shell",
    });
  }
  return sections;
}

export const CONTAINER_VIRT = new Set(["openvz", "lxc", "lxc-libvirt", "systemd-nspawn", "docker", "podman", "rkt", "wsl", "proot", "pouch", "container-other"]);

/** Interfaces that never carry a machine's identity: loopback, container and VM plumbing, tunnels. */
const VIRTUAL_INTERFACE =
  /^(lo|veth|docker|br-|virbr|lxcbr|podman|cni|flannel|cali|cilium|kube-|weave|vxlan|genev|tap|fwbr|fwpr|fwln|vnet|tun|wg|tailscale|zt|ifb|dummy|sit|ip6tnl|ip6gre|gre|erspan|ipip|nlmon)/;

/** Interfaces whose addresses are the same on every host that has them (docker0's 172.17.0.1, virbr0's 192.168.122.1). */
export const SHARED_ADDRESS_INTERFACE = /^(docker|br-|virbr|lxcbr|podman|cni|flannel|cali|cilium|kube-|weave|veth)/;

export function transformSsh(output: string, target: SshTarget): SshTransformResult {
  const where = `ssh:${target.ref}`;
  const sections = splitSections(output, where);
  const get = (name: string) => sections.get(name) ?? [];
  const warnings: string[] = [];

  const hostnameRaw = get("hostname")[0]?.trim() ?? "";
  const shortName = hostnameRaw.split(".")[0]!.toLowerCase();
  const fqdnRaw = (get("fqdn")[0]?.trim() || hostnameRaw).toLowerCase();
  const fqdn = fqdnRaw.includes(".") && !/^localhost(\.|$)/.test(fqdnRaw) ? fqdnRaw : undefined;

  const os = parseOsRelease(get("os-release"));
  const [kernel, architecture] = get("uname").map((l) => l.trim());
  const cpu = parseCpuinfo(get("cpuinfo"));
  const memory = parseMeminfo(get("meminfo"));
  const virtualization = detectVirtualization(get("virt")[0]?.trim(), parseKeyValues(get("virt-hints")), parseKeyValues(get("dmi")));
  const type = virtualization.type === undefined ? "server" : CONTAINER_VIRT.has(virtualization.type) ? "container" : "virtual_machine";
  const inContainer = type === "container";
  const dmi = parseKeyValues(get("dmi"));
  const interfaces = parseInterfaces(get("ip-link"), get("ip-addr"), get("sys-net"));
  const listening = parseListening(sections);
  const services = parseServices(sections);
  const machineId = get("machine-id")[0]?.trim().toLowerCase();
  const uptime = Number.parseFloat(get("uptime")[0] ?? "");

  const keys: IdentityKey[] = [];
  if (machineId && /^[0-9a-f]{32}$/.test(machineId) && !/^0+$/.test(machineId)) keys.push(strong(KEY.machineId, machineId));
  else warnings.push(`${where}: no usable /etc/machine-id`);

  // Inside a container, /sys/class/dmi and device-backed NICs belong to the host it runs on.
  const serial = inContainer ? undefined : dmi.get("product_serial")?.trim();
  const smbiosUuid = inContainer ? undefined : normalizeUuid(dmi.get("product_uuid"));
  if (serial && !isJunkSerial(serial)) keys.push(strong(KEY.serial, serial));
  if (smbiosUuid) keys.push(strong(KEY.smbiosUuid, smbiosUuid));

  const macs: string[] = [];
  for (const nic of interfaces) {
    const mac = identityMac(nic, inContainer);
    if (mac && !macs.includes(mac)) macs.push(mac);
  }
  for (const mac of macs) keys.push(macKey(mac)!);

  if (shortName && shortName !== "localhost") keys.push(weak(KEY.hostname, shortName));
  if (fqdn) keys.push(weak(KEY.fqdn, fqdn));
  const ipAddresses: string[] = [];
  for (const nic of interfaces) {
    for (const ip of nic.ips) {
      if (isLoopbackOrLinkLocal(ip) || ipAddresses.includes(ip)) continue;
      ipAddresses.push(ip);
      if (!SHARED_ADDRESS_INTERFACE.test(nic.name)) keys.push(weak(KEY.ip, ip));
    }
  }

  const attributes: MachineAttributes & Record<string, unknown> = {
    hostname: shortName || undefined,
    fqdn,
    os_name: os.get("NAME"),
    os_version: os.get("VERSION_ID"),
    os_family: osFamily(os),
    os_id: os.get("ID"),
    os_pretty_name: os.get("PRETTY_NAME"),
    kernel: kernel || undefined,
    architecture: architecture || undefined,
    cpu_cores: cpu.count || undefined,
    cpu_sockets: cpu.sockets || undefined,
    cpu_model: cpu.model,
    memory_mb: memory.memTotalKb === undefined ? undefined : Math.floor(memory.memTotalKb / 1024),
    swap_mb: memory.swapTotalKb === undefined ? undefined : Math.floor(memory.swapTotalKb / 1024),
    disks: parseDisks(sections),
    interfaces: interfaces
      .filter((nic) => nic.name !== "lo")
      .map((nic) => ({
        name: nic.name,
        ...(nic.mac ? { mac: nic.mac } : {}),
        ips: nic.ips,
        ...(nic.master ? { bridge: nic.master } : {}),
      })),
    ip_addresses: ipAddresses,
    mac_addresses: macs,
    machine_id: keys.some((k) => k.scheme === KEY.machineId) ? machineId : undefined,
    serial: serial && !isJunkSerial(serial) ? serial : undefined,
    smbios_uuid: smbiosUuid,
    vendor: inContainer ? undefined : dmi.get("sys_vendor") || undefined,
    model: inContainer ? undefined : dmi.get("product_name") || undefined,
    virtualization_type: virtualization.type ?? "none",
    virtualization_role: virtualization.type === undefined ? undefined : "guest",
    uptime_seconds: Number.isFinite(uptime) ? Math.floor(uptime) : undefined,
    listening_ports: listening,
    services,
    ssh_host: target.host,
    ssh_port: target.port,
    ssh_host_key: target.hostKey,
    state: "running",
  };
  for (const name of Object.keys(attributes)) if (attributes[name] === undefined) delete attributes[name];

  return {
    observation: {
      ref: target.ref,
      type,
      name: target.name ?? (shortName || target.host),
      keys,
      attributes: redactByName(attributes),
      state: "running",
    },
    warnings,
  };
}

/** `KEY=value` lines; values in os-release may be quoted with " or ' and use shell escapes. */
export function parseOsRelease(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, "$1");
    }
    out.set(m[1]!, value);
  }
  return out;
}

/** The family names Ansible's `ansible_os_family` uses, so that drift against facts compares like with like. */
export function osFamily(os: Map<string, string>): string | undefined {
  const ids = [os.get("ID"), ...(os.get("ID_LIKE") ?? "").split(/\s+/)].filter((s): s is string => !!s).map((s) => s.toLowerCase());
  const families: [RegExp, string][] = [
    [/^(debian|ubuntu|raspbian|linuxmint|pop|kali|devuan)$/, "Debian"],
    [/^(rhel|centos|fedora|rocky|almalinux|ol|amzn|scientific|cloudlinux|eurolinux|virtuozzo)$/, "RedHat"],
    [/^alpine$/, "Alpine"],
    [/^(suse|opensuse.*|sles.*|sled)$/, "Suse"],
    [/^(arch|archarm|manjaro|endeavouros)$/, "Archlinux"],
    [/^gentoo$/, "Gentoo"],
    [/^nixos$/, "NixOS"],
  ];
  for (const id of ids) for (const [re, family] of families) if (re.test(id)) return family;
  return os.get("ID");
}

function parseKeyValues(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    const at = line.indexOf("=");
    if (at > 0) out.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

export function parseCpuinfo(lines: string[]): { count: number; sockets: number; model?: string } {
  let count = 0;
  let model: string | undefined;
  let boardModel: string | undefined;
  const sockets = new Set<string>();
  for (const line of lines) {
    const at = line.indexOf(":");
    if (at < 0) continue;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (key === "processor") count++;
    else if ((key === "model name" || key === "cpu model") && !model && value) model = value;
    else if ((key === "Hardware" || key === "Model") && !boardModel && value) boardModel = value;
    else if (key === "physical id") sockets.add(value);
  }
  return { count, sockets: sockets.size, ...(model || boardModel ? { model: model ?? boardModel } : {}) };
}

function parseMeminfo(lines: string[]): { memTotalKb?: number; swapTotalKb?: number } {
  const kv = new Map<string, number>();
  for (const line of lines) {
    const m = /^(\w+):\s*(\d+)\s*kB/.exec(line);
    if (m) kv.set(m[1]!, Number(m[2]));
  }
  return { memTotalKb: kv.get("MemTotal"), swapTotalKb: kv.get("SwapTotal") };
}

/** Block devices that are not a machine's disks: loop and RAM devices, device-mapper and RAID layers, optical drives, ZFS zvols and Ceph RBDs (a hypervisor's guests' disks). */
export const NOT_A_DISK = /^(loop|ram|zram|dm-|md|sr|fd|nbd|drbd|zd|rbd)/;
const GIB = 1024 ** 3;
const gib = (bytes: number) => Math.round((bytes / GIB) * 100) / 100;

/**
 * One `KEY="value"` pair of `lsblk -P`. The key starts where no word character precedes it: without
 * that, a long run of word characters is tried from each of its positions, each try running to its
 * end (quadratic: a 2 MB word in the output took hours).
 */
const LSBLK_PAIR = /(?<!\w)(\w+)="([^"]*)"/g;

export function parseDisks(sections: Map<string, string[]>): { name: string; size_gb: number }[] {
  const disks: { name: string; size_gb: number }[] = [];
  const lsblk = sections.get("lsblk");
  if (lsblk && lsblk.length > 0) {
    for (const line of lsblk) {
      const fields = new Map([...line.matchAll(LSBLK_PAIR)].map((m) => [m[1]!, m[2]!]));
      const name = fields.get("NAME");
      const size = Number(fields.get("SIZE"));
      if (!name || fields.get("TYPE") !== "disk" || NOT_A_DISK.test(name) || !(size > 0)) continue;
      disks.push({ name, size_gb: gib(size) });
    }
    return disks;
  }
  for (const line of sections.get("sys-block") ?? []) {
    const [name, sectors] = line.trim().split(/\s+/);
    const size = Number(sectors) * 512;
    if (!name || NOT_A_DISK.test(name) || !(size > 0)) continue;
    disks.push({ name, size_gb: gib(size) });
  }
  return disks;
}

export interface ParsedInterface {
  name: string;
  mac?: string;
  ips: string[];
  master?: string;
  /** From /sys/class/net: whether a device (PCI, virtio, USB) backs it, and how its address was assigned. */
  hasDevice?: boolean;
  addrAssignType?: number;
  permanentMac?: string;
  isBridge?: boolean;
}

export function parseInterfaces(linkLines: string[], addrLines: string[], sysLines: string[]): ParsedInterface[] {
  const byName = new Map<string, ParsedInterface>();
  const nic = (name: string) => {
    let found = byName.get(name);
    if (!found) {
      found = { name, ips: [] };
      byName.set(name, found);
    }
    return found;
  };
  for (const line of linkLines) {
    const m = /^\d+:\s+([^:\s@]+)(?:@[^:\s]+)?:.*?link\/\w+\s+([0-9a-fA-F:]+)/.exec(line);
    if (m) nic(m[1]!).mac = normalizeMac(m[2]!);
    else {
      const bare = /^\d+:\s+([^:\s@]+)/.exec(line);
      if (bare) nic(bare[1]!);
    }
    const master = /\smaster\s+(\S+)/.exec(line);
    if (m && master) nic(m[1]!).master = master[1];
    const permanent = /\spermaddr\s+([0-9a-fA-F:]+)/.exec(line);
    const permanentMac = permanent ? normalizeMac(permanent[1]!) : undefined;
    if (m && permanentMac) nic(m[1]!).permanentMac = permanentMac;
  }
  for (const line of addrLines) {
    const m = /^\d+:\s+([^:\s@]+)(?:@\S+)?\s+inet6?\s+([0-9a-fA-F.:]+)(?:\/\d+)?/.exec(line);
    if (!m) continue;
    const entry = nic(m[1]!);
    const ip = m[2]!.toLowerCase();
    if (!entry.ips.includes(ip)) entry.ips.push(ip);
  }
  for (const line of sysLines) {
    const [name, address, assign, device, , master, bridge, perm] = line.split("|");
    if (!name) continue;
    const entry = nic(name);
    const mac = address ? normalizeMac(address) : undefined;
    if (mac) entry.mac = mac;
    if (assign !== undefined && /^\d+$/.test(assign)) entry.addrAssignType = Number(assign);
    entry.hasDevice = device === "1";
    if (master) entry.master = master;
    entry.isBridge = bridge === "1";
    const permanent = perm ? normalizeMac(perm) : undefined;
    if (permanent) entry.permanentMac = permanent;
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** NET_ADDR_RANDOM in /sys/class/net/<if>/addr_assign_type: the kernel made the address up. */
const ADDR_RANDOM = 1;

/**
 * The MAC that identifies this machine through this interface, or none. A NIC backed by a device
 * identifies a server or VM (also a VM's virtio NIC, whose MAC the hypervisor's config names);
 * other interfaces only when their address is globally unique (universally administered, not made
 * up by the kernel) — a Proxmox container's veth has such a MAC, docker's 02:42:… do not. In a
 * container a device-backed NIC is the host's (host networking), so it never counts there.
 */
export function identityMac(nic: ParsedInterface, inContainer: boolean): string | undefined {
  if (VIRTUAL_INTERFACE.test(nic.name)) return undefined;
  const mac = nic.permanentMac ?? nic.mac;
  if (!mac) return undefined;
  if (nic.addrAssignType === ADDR_RANDOM) return undefined;
  if (nic.hasDevice) return inContainer ? undefined : mac;
  const locallyAdministered = (Number.parseInt(mac.slice(0, 2), 16) & 0x02) !== 0;
  return locallyAdministered ? undefined : mac;
}

export function normalizeUuid(raw: string | undefined): string | undefined {
  const uuid = raw?.trim().toLowerCase();
  if (!uuid || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) return undefined;
  const hex = uuid.replace(/-/g, "");
  if (/^0+$/.test(hex) || /^f+$/.test(hex) || hex === "03000200040005000006000700080009") return undefined;
  return uuid;
}

export function isLoopbackOrLinkLocal(ip: string): boolean {
  if (ip.includes(":")) {
    const lower = ip.toLowerCase();
    return lower === "::1" || /^fe[89ab][0-9a-f]?:/.test(lower) || lower === "::";
  }
  return ip.startsWith("127.") || ip.startsWith("169.254.") || ip === "0.0.0.0";
}

const VM_VENDORS: [RegExp, string][] = [
  [/^(qemu|kvm)/i, "kvm"],
  [/vmware/i, "vmware"],
  [/^microsoft/i, "microsoft"],
  [/^xen/i, "xen"],
  [/^(innotek|oracle)/i, "oracle"],
  [/^amazon/i, "amazon"],
  [/^google/i, "google"],
  [/parallels/i, "parallels"],
  [/bhyve/i, "bhyve"],
];

/**
 * systemd-detect-virt's answer when the host has it; otherwise the same names guessed from the
 * hints busybox hosts leave (container marker files, PID 1's `container=`, the CPU's hypervisor
 * flag, the DMI vendor). `undefined` means bare metal.
 */
export function detectVirtualization(
  detected: string | undefined,
  hints: Map<string, string>,
  dmi: Map<string, string>,
): { type?: string } {
  if (detected) return detected === "none" ? {} : { type: detected };
  const container = hints.get("container");
  if (container) return { type: container === "oci" ? "container-other" : container };
  if (hints.get("containerenv") === "1") return { type: "podman" };
  if (hints.get("dockerenv") === "1") return { type: "docker" };
  if (hints.get("xen") === "1") return { type: "xen" };
  if (hints.get("cpuflag") === "hypervisor") {
    const vendor = `${dmi.get("sys_vendor") ?? ""} ${dmi.get("product_name") ?? ""}`.trim();
    for (const [re, type] of VM_VENDORS) if (re.test(vendor) || re.test(dmi.get("product_name") ?? "")) return { type };
    return { type: "vm-other" };
  }
  return {};
}

type Listening = NonNullable<MachineAttributes["listening_ports"]>[number];

function splitHostPort(text: string): { address: string; port: number } | undefined {
  const at = text.lastIndexOf(":");
  if (at < 0) return undefined;
  const port = Number(text.slice(at + 1));
  if (!Number.isInteger(port) || port <= 0) return undefined;
  let address = text.slice(0, at).replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  if (address === "*" || address === "") address = "0.0.0.0";
  if (address.startsWith("::ffff:") && address.includes(".")) address = address.slice(7);
  return { address, port };
}

/** `ss -ltnp`, else `netstat -ltnp` (busybox, net-tools), else /proc/net/tcp (no process names). */
export function parseListening(sections: Map<string, string[]>): Listening[] {
  const found: Listening[] = [];
  const add = (local: string | undefined, process: string | undefined) => {
    const hp = local ? splitHostPort(local) : undefined;
    if (!hp) return;
    if (found.some((f) => f.port === hp.port && f.address === hp.address)) return;
    found.push({ port: hp.port, protocol: "tcp", address: hp.address, ...(process ? { process } : {}) });
  };
  for (const line of sections.get("ss") ?? []) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== "LISTEN") continue;
    const names = [...new Set([...line.matchAll(/\("([^"]+)",pid=/g)].map((m) => m[1]!))];
    add(fields[3], names.join(",") || undefined);
  }
  if (found.length === 0) {
    for (const line of sections.get("netstat") ?? []) {
      const fields = line.trim().split(/\s+/);
      if (!/^tcp6?$/.test(fields[0] ?? "") || fields[5] !== "LISTEN") continue;
      const program = fields[6]?.includes("/") ? fields[6].slice(fields[6].indexOf("/") + 1).replace(/:$/, "") : undefined;
      add(fields[3], program || undefined);
    }
  }
  if (found.length === 0) {
    for (const line of sections.get("proc-tcp") ?? []) add(decodeProcAddress(line.trim()), undefined);
  }
  return found.sort((a, b) => a.port - b.port || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** /proc/net/tcp{,6} local_address: hex address in host (little-endian) 32-bit words, hex port. */
export function decodeProcAddress(text: string): string | undefined {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!m) return undefined;
  const hex = m[1]!.toLowerCase();
  const port = Number.parseInt(m[2]!, 16);
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(""));
  if (hex.length === 8) return `${words[0]!.match(/../g)!.map((b) => Number.parseInt(b, 16)).join(".")}:${port}`;
  const bytes = words.join("");
  if (bytes.startsWith("00000000000000000000ffff")) {
    return `${bytes.slice(24).match(/../g)!.map((b) => Number.parseInt(b, 16)).join(".")}:${port}`;
  }
  return `[${compressIpv6(bytes.match(/.{4}/g)!.map((g) => Number.parseInt(g, 16).toString(16)))}]:${port}`;
}

function compressIpv6(groups: string[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(":");
  return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

/** Running systemd service units, or OpenRC services in state `started`. */
export function parseServices(sections: Map<string, string[]>): string[] | undefined {
  const systemd = sections.get("systemd");
  if (systemd) {
    return systemd
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[0]?.endsWith(".service") && f[2] === "active" && f[3] === "running")
      .map((f) => f[0]!)
      .sort();
  }
  const openrc = sections.get("openrc");
  if (openrc) {
    return openrc
      .map((line) => /^\s*(\S+)\s+\[\s*(\w+)\s*\]/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && m[2] === "started")
      .map((m) => m[1]!)
      .sort();
  }
  return undefined;
}
