import { KEY } from "../../model/attributes.js";
import { type IdentityKey, keyString, macKey, normalizeMac, strong, weak } from "../../model/keys.js";
import type { Observation, ObservationBatch, RelationshipDraft } from "../../model/observation.js";
import { redactByName } from "../../util/redact.js";
import type { AgentInterfaces, ClusterStatusEntry, GuestConfig, GuestListEntry, NodeListEntry, StorageEntry } from "./schema.js";

export const SOURCE = "proxmox";

/** What the API answered for one guest; `config` is missing when its config call failed. */
export interface GuestSnapshot {
  kind: "qemu" | "lxc";
  entry: GuestListEntry;
  config?: GuestConfig;
  /** The guest agent's interfaces, when it answered. */
  agent?: AgentInterfaces["result"];
}

export interface NodeSnapshot {
  node: string;
  online: boolean;
  storages?: StorageEntry[];
  guests: GuestSnapshot[];
  /** Calls of this node's scope that failed: the scope is then incomplete. */
  failures: string[];
  warnings: string[];
}

export interface ProxmoxSnapshot {
  /** host:port the API was read from. */
  endpoint: string;
  clusterStatus: ClusterStatusEntry[];
  /** Undefined when GET /nodes failed. */
  nodeList?: NodeListEntry[];
  /** vmid → HA state for HA-managed guests; undefined when GET /cluster/resources failed. */
  haStates?: Map<number, string>;
  nodes: NodeSnapshot[];
  clusterFailures: string[];
}

/** The cluster's name; a standalone node has no cluster entry and is its own cluster. */
export function clusterName(status: ClusterStatusEntry[]): string | undefined {
  const cluster = status.find((e) => e.type === "cluster" && e.name);
  if (cluster) return cluster.name;
  const nodes = status.filter((e) => e.type === "node" && e.name);
  return (nodes.find((e) => e.local) ?? nodes[0])?.name;
}

export const clusterScope = (cluster: string): string => `${SOURCE}:${cluster}`;
export const nodeScope = (cluster: string, node: string): string => `${SOURCE}:${cluster}/${node}`;

/**
 * One batch for the cluster (the cluster and its nodes) followed by one per node (its storages and
 * guests). The cluster batch comes first so that node batches can point at nodes by key.
 */
export function toBatches(snapshot: ProxmoxSnapshot): ObservationBatch[] {
  const cluster = clusterName(snapshot.clusterStatus);
  if (!cluster) return [];
  return [clusterBatch(snapshot, cluster), ...snapshot.nodes.map((node) => nodeBatch(snapshot, cluster, node))];
}

function clusterBatch(snapshot: ProxmoxSnapshot, cluster: string): ObservationBatch {
  const entry = snapshot.clusterStatus.find((e) => e.type === "cluster");
  const statusNodes = snapshot.clusterStatus.filter((e) => e.type === "node" && e.name);
  const listed = new Map((snapshot.nodeList ?? []).map((n) => [n.node, n]));
  const names = [...new Set([...statusNodes.map((n) => n.name!), ...listed.keys()])].sort();

  const observations: Observation[] = [
    {
      ref: "cluster",
      type: "cluster",
      name: cluster,
      provider: SOURCE,
      keys: [strong(KEY.proxmoxCluster, cluster)],
      attributes: clean({
        standalone: entry === undefined,
        quorate: entry?.quorate,
        node_count: entry?.nodes ?? names.length,
        config_version: entry?.version,
      }),
    },
  ];
  const relationships: RelationshipDraft[] = [];
  for (const name of names) {
    const status = statusNodes.find((n) => n.name === name);
    const info = listed.get(name);
    const online = nodeOnline(status, info);
    observations.push({
      ref: `node/${name}`,
      type: "hypervisor_node",
      name,
      provider: SOURCE,
      // The node's address is a key: a Proxmox API URL (a credential's URI) names its node by IP.
      keys: [strong(KEY.proxmoxNode, `${cluster}/${name}`), weak(KEY.hostname, name.toLowerCase()), ...(status?.ip ? [weak(KEY.ip, status.ip)] : [])],
      state: online ? "online" : "offline",
      attributes: clean({
        hostname: name,
        cluster,
        node_id: status?.nodeid,
        ip_addresses: status?.ip ? [status.ip] : undefined,
        cpu_threads: info?.maxcpu,
        memory_mb: info?.maxmem === undefined ? undefined : Math.round(info.maxmem / 2 ** 20),
        uptime_seconds: info?.uptime,
        subscription_level: info?.level || undefined,
        virtualization_type: "kvm",
        virtualization_role: "host",
      }),
    });
    relationships.push({ type: "MEMBER_OF", from: `node/${name}`, to: { ref: "cluster" } });
  }
  return {
    source: SOURCE,
    scope: clusterScope(cluster),
    complete: snapshot.nodeList !== undefined && snapshot.clusterFailures.length === 0,
    observations,
    relationships,
    meta: { endpoint: snapshot.endpoint, nodeScopes: snapshot.nodes.map((n) => nodeScope(cluster, n.node)) },
    ...(snapshot.clusterFailures.length > 0 ? { warnings: snapshot.clusterFailures.map((f) => `not collected: ${f}`) } : {}),
  };
}

export function nodeOnline(status: ClusterStatusEntry | undefined, info: NodeListEntry | undefined): boolean {
  if (status?.online !== undefined) return status.online;
  return info?.status === "online";
}

function nodeBatch(snapshot: ProxmoxSnapshot, cluster: string, node: NodeSnapshot): ObservationBatch {
  const observations: Observation[] = [];
  const relationships: RelationshipDraft[] = [];
  const nodeKey = { key: keyString(strong(KEY.proxmoxNode, `${cluster}/${node.node}`)) };
  const clusterKey = { key: keyString(strong(KEY.proxmoxCluster, cluster)) };
  const storageRefs = new Map<string, string>();

  for (const storage of node.storages ?? []) {
    const ref = `storage/${storage.storage}`;
    storageRefs.set(storage.storage, ref);
    const shared = storage.shared === true;
    observations.push({
      ref,
      type: "storage_pool",
      name: shared ? storage.storage : `${node.node}/${storage.storage}`,
      provider: SOURCE,
      keys: [strong(KEY.proxmoxStorage, shared ? `${cluster}/${storage.storage}` : `${cluster}/${node.node}/${storage.storage}`)],
      state: storage.active === false ? "inactive" : storage.enabled === false ? "disabled" : "active",
      attributes: clean({
        storage: storage.storage,
        storage_type: storage.type,
        content: storage.content ? storage.content.split(",").filter(Boolean).sort() : undefined,
        shared,
        node: shared ? undefined : node.node,
        total_gb: gib(storage.total),
        used_gb: gib(storage.used),
        avail_gb: gib(storage.avail),
      }),
    });
    relationships.push(shared ? { type: "MEMBER_OF", from: ref, to: clusterKey } : { type: "HOSTED_ON", from: ref, to: nodeKey });
  }

  for (const guest of node.guests) {
    const observation = guestObservation(cluster, node.node, guest, snapshot.haStates);
    observations.push(observation);
    relationships.push({ type: "RUNS_ON", from: observation.ref, to: nodeKey });
    relationships.push({ type: "MEMBER_OF", from: observation.ref, to: clusterKey });
    const used = new Set(((observation.attributes.disks as { storage?: string }[] | undefined) ?? []).map((d) => d.storage));
    for (const storage of [...used].sort()) {
      const ref = storage && storageRefs.get(storage);
      if (ref) relationships.push({ type: "USES", from: observation.ref, to: { ref } });
    }
  }

  const complete = node.online && node.failures.length === 0 && snapshot.haStates !== undefined && snapshot.nodeList !== undefined;
  const warnings = [...node.warnings, ...node.failures.map((f) => `not collected: ${f}`)];
  if (!node.online) warnings.unshift(`node ${node.node} is offline: its guests and storages were not collected, and nothing in this scope is retired`);
  return {
    source: SOURCE,
    scope: nodeScope(cluster, node.node),
    complete,
    observations,
    relationships,
    meta: { endpoint: snapshot.endpoint, cluster, node: node.node },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export function guestObservation(cluster: string, node: string, guest: GuestSnapshot, haStates?: Map<number, string>): Observation {
  const { entry, config = {}, kind } = guest;
  const vmid = entry.vmid;
  const qemu = kind === "qemu";
  const name = text(qemu ? config.name : config.hostname) ?? entry.name;
  const interfaces = networkDevices(kind, config);
  const agentIps = guest.agent && Array.isArray(guest.agent) ? agentAddresses(guest.agent) : undefined;
  if (agentIps) {
    for (const nic of interfaces) {
      const ips = nic.mac ? agentIps.byMac.get(nic.mac) : undefined;
      if (ips) nic.ips = ips;
    }
  }
  const staticIps = qemu ? [] : interfaces.flatMap((n) => n.ips ?? []);
  const ipAddresses = agentIps ? agentIps.all : staticIps.length > 0 ? staticIps : undefined;
  const macs = [...new Set(interfaces.map((n) => n.mac).filter((m): m is string => m !== undefined && normalizeMac(m) !== undefined))];
  const smbiosUuid = qemu ? smbios(config.smbios1) : undefined;
  const tags = splitTags(text(config.tags) ?? entry.tags);
  const template = flagValue(config.template) || entry.template === true;
  const haState = haStates?.get(vmid);
  const sockets = qemu ? (num(config.sockets) ?? 1) : undefined;
  const cores = num(config.cores) ?? (qemu ? 1 : undefined);

  const keys: IdentityKey[] = [strong(KEY.proxmoxVm, `${cluster}/${vmid}`)];
  if (smbiosUuid) keys.push(strong(KEY.smbiosUuid, smbiosUuid));
  for (const mac of macs) keys.push(macKey(mac)!);
  keys.push(weak(KEY.proxmoxVmid, vmid));
  if (name) keys.push(weak(KEY.hostname, name.toLowerCase()));

  const state = qemu && entry.status === "running" && entry.qmpstatus ? entry.qmpstatus : entry.status;
  return {
    ref: `${kind}/${vmid}`,
    type: qemu ? "virtual_machine" : "container",
    ...(name ? { name } : {}),
    provider: SOURCE,
    ...(tags.length > 0 ? { tags: Object.fromEntries(tags.map((t) => [t, ""])) } : {}),
    keys,
    ...(state ? { state } : {}),
    attributes: redactByName(
      clean({
        vmid,
        node,
        cluster,
        hostname: name,
        cpu_cores: cores,
        cpu_sockets: sockets,
        vcpus: cores === undefined ? undefined : cores * (sockets ?? 1),
        memory_mb: memoryMb(config.memory) ?? (guest.config ? 512 : undefined),
        swap_mb: qemu ? undefined : num(config.swap),
        disks: guest.config ? disks(kind, config) : undefined,
        interfaces: guest.config ? interfaces : undefined,
        mac_addresses: guest.config ? macs : undefined,
        ip_addresses: ipAddresses,
        smbios_uuid: smbiosUuid,
        architecture: architecture(text(config.arch)),
        os_type: text(config.ostype),
        template,
        tags: guest.config || entry.tags !== undefined ? tags : undefined,
        ha_managed: haStates ? haState !== undefined : undefined,
        ha_state: haState,
        agent_enabled: qemu && guest.config ? agentEnabled(config.agent) : undefined,
        onboot: guest.config ? flagValue(config.onboot) : undefined,
        unprivileged: qemu ? undefined : flagValue(config.unprivileged),
        lock: text(config.lock) ?? (entry.lock || undefined),
        uptime_seconds: entry.uptime,
        virtualization_type: qemu ? "kvm" : "lxc",
        virtualization_role: "guest",
      }),
    ),
  };
}

/** `a=1,b=2` or `value,a=1`: the bare leading value is returned under "". */
export function propertyString(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of value.split(",")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) out.set(out.has("") ? part : "", part);
    else out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

const QEMU_NIC_MODELS = ["virtio", "e1000", "e1000e", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "rtl8139", "vmxnet3", "ne2k_pci", "ne2k_isa", "pcnet", "i82551", "i82557b", "i82559er"];

interface Interface {
  name: string;
  mac?: string;
  bridge?: string;
  vlan?: number;
  model?: string;
  firewall?: boolean;
  ips?: string[];
}

export function networkDevices(kind: "qemu" | "lxc", config: GuestConfig): Interface[] {
  const out: Interface[] = [];
  for (const key of Object.keys(config).filter((k) => /^net\d+$/.test(k)).sort(byIndex)) {
    const props = propertyString(String(config[key]));
    const nic: Interface = { name: key };
    if (kind === "qemu") {
      const model = props.get("model") ?? QEMU_NIC_MODELS.find((m) => props.has(m));
      const mac = props.get("macaddr") ?? (model ? props.get(model) : undefined);
      if (model) nic.model = model;
      if (mac) nic.mac = normalizeMac(mac) ?? mac.toLowerCase();
    } else {
      nic.name = props.get("name") ?? key;
      const mac = props.get("hwaddr");
      if (mac) nic.mac = normalizeMac(mac) ?? mac.toLowerCase();
      const ips = [props.get("ip"), props.get("ip6")].filter((ip): ip is string => ip?.includes("/") === true).map((ip) => ip.split("/")[0]!);
      if (ips.length > 0) nic.ips = ips;
    }
    const bridge = props.get("bridge");
    if (bridge) nic.bridge = bridge;
    const tag = num(props.get("tag"));
    if (tag !== undefined) nic.vlan = tag;
    if (flagValue(props.get("firewall"))) nic.firewall = true;
    out.push(nic);
  }
  return out;
}

const QEMU_DISK = /^(virtio|scsi|sata|ide|efidisk|tpmstate|nvme)\d+$/;
const LXC_DISK = /^(rootfs|mp\d+)$/;

export function disks(kind: "qemu" | "lxc", config: GuestConfig): { name: string; size_gb?: number; storage?: string; volume?: string; mountpoint?: string }[] {
  const pattern = kind === "qemu" ? QEMU_DISK : LXC_DISK;
  const out: { name: string; size_gb?: number; storage?: string; volume?: string; mountpoint?: string }[] = [];
  for (const key of Object.keys(config).filter((k) => pattern.test(k)).sort(byIndex)) {
    const props = propertyString(String(config[key]));
    const volume = props.get("file") ?? props.get("volume") ?? props.get("");
    if (!volume || volume === "none" || props.get("media") === "cdrom") continue;
    const colon = volume.indexOf(":");
    const disk: { name: string; size_gb?: number; storage?: string; volume?: string; mountpoint?: string } = { name: key };
    if (colon > 0 && !volume.startsWith("/")) {
      disk.storage = volume.slice(0, colon);
      disk.volume = volume.slice(colon + 1);
    } else {
      disk.volume = volume;
    }
    const size = sizeGb(props.get("size"));
    if (size !== undefined) disk.size_gb = size;
    const mountpoint = props.get("mp");
    if (mountpoint) disk.mountpoint = mountpoint;
    out.push(disk);
  }
  return out;
}

/** PVE sizes: a number with an optional K/M/G/T suffix (bytes when bare). */
export function sizeGb(size: string | undefined): number | undefined {
  const m = size?.match(/^(\d+(?:\.\d+)?)([KMGT]?)$/i);
  if (!m) return undefined;
  const power = { "": -3, K: -2, M: -1, G: 0, T: 1 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G" | "T"];
  return round(Number(m[1]) * 1024 ** power);
}

export function smbios(value: string | number | undefined): string | undefined {
  if (typeof value !== "string") return undefined;
  const uuid = propertyString(value).get("uuid")?.toLowerCase();
  return uuid && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid) && !/^[0f-]+$/.test(uuid) ? uuid : undefined;
}

/** `memory: 4096` or, since PVE 8.1, `memory: current=4096`. */
export function memoryMb(value: string | number | undefined): number | undefined {
  if (typeof value === "number") return value;
  if (value === undefined) return undefined;
  return num(propertyString(value).get("current") ?? propertyString(value).get(""));
}

export function agentEnabled(value: string | number | undefined): boolean {
  if (value === undefined) return false;
  const props = propertyString(String(value));
  return flagValue(props.get("enabled") ?? props.get(""));
}

export function splitTags(value: string | undefined): string[] {
  return value ? [...new Set(value.split(/[;,\s]+/).filter(Boolean))].sort() : [];
}

function agentAddresses(interfaces: Extract<AgentInterfaces["result"], unknown[]>): { all: string[]; byMac: Map<string, string[]> } {
  const all = new Set<string>();
  const byMac = new Map<string, string[]>();
  for (const nic of interfaces) {
    const ips = (nic["ip-addresses"] ?? []).map((a) => a["ip-address"]).filter(usefulAddress);
    for (const ip of ips) all.add(ip);
    const mac = nic["hardware-address"] ? normalizeMac(nic["hardware-address"]) : undefined;
    if (mac && ips.length > 0) byMac.set(mac, [...(byMac.get(mac) ?? []), ...ips]);
  }
  return { all: [...all].sort(), byMac };
}

/** Loopback and link-local addresses say nothing about where a machine is reachable. */
function usefulAddress(ip: string): boolean {
  const lower = ip.toLowerCase();
  return !(lower.startsWith("127.") || lower === "::1" || lower.startsWith("fe80:") || lower.startsWith("169.254."));
}

function architecture(arch: string | undefined): string | undefined {
  if (arch === "amd64") return "x86_64";
  if (arch === "arm64") return "aarch64";
  return arch;
}

/** Config keys in device order: the root filesystem first, then by bus and numeric index (scsi2 before scsi10). */
function byIndex(a: string, b: string): number {
  if (a === "rootfs" || b === "rootfs") return a === b ? 0 : a === "rootfs" ? -1 : 1;
  const [, pa = "", na = "0"] = a.match(/^(\D+)(\d*)$/) ?? [];
  const [, pb = "", nb = "0"] = b.match(/^(\D+)(\d*)$/) ?? [];
  return pa === pb ? Number(na) - Number(nb) : pa < pb ? -1 : 1;
}

function text(value: string | number | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : String(value);
}

function num(value: string | number | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function flagValue(value: string | number | undefined): boolean {
  return value === 1 || value === "1";
}

function gib(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : round(bytes / 2 ** 30);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Drops undefined values so that "not known" is absent rather than null. */
function clean(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));
}
