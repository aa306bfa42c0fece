import { type CiType, type IdentityKey, isJunkSerial, KEY, type MachineAttributes, macKey, normalizeMac, type Observation, strong, weak } from "../../model/index.js";
import { redactByName } from "../../util/redact.js";
import { CONTAINER_VIRT, identityMac, isLoopbackOrLinkLocal, NOT_A_DISK, normalizeUuid, SHARED_ADDRESS_INTERFACE } from "../ssh/transform.js";
import { type Facts, type InterfaceFacts, interfaceFactsSchema } from "./facts-schema.js";
import { inventoryNameKeys } from "./host-keys.js";

export const FACTS_SOURCE = "ansible-facts";

/** os-release NAME for Ansible's `distribution`, so that facts and SSH discovery spell the OS alike. */
const OS_NAMES: Record<string, string> = {
  Debian: "Debian GNU/Linux",
  Raspbian: "Raspbian GNU/Linux",
  Kali: "Kali GNU/Linux",
  Ubuntu: "Ubuntu",
  "Linux Mint": "Linux Mint",
  RedHat: "Red Hat Enterprise Linux",
  Rocky: "Rocky Linux",
  AlmaLinux: "AlmaLinux",
  Fedora: "Fedora Linux",
  Amazon: "Amazon Linux",
  OracleLinux: "Oracle Linux Server",
  Alpine: "Alpine Linux",
  Archlinux: "Arch Linux",
  "openSUSE Leap": "openSUSE Leap",
  SLES: "SLES",
  Gentoo: "Gentoo",
  NixOS: "NixOS",
};

/** os-release ID for Ansible's `distribution`. */
const OS_IDS: Record<string, string> = {
  RedHat: "rhel",
  Archlinux: "arch",
  Amazon: "amzn",
  OracleLinux: "ol",
  "openSUSE Leap": "opensuse-leap",
  "Linux Mint": "linuxmint",
};

/** Ansible's `virtualization_type` in systemd-detect-virt's words (what the SSH source reports). */
const VIRT_NAMES: Record<string, string> = {
  vmware: "vmware",
  virtualbox: "oracle",
  hyperv: "microsoft",
  rhev: "kvm",
  openstack: "kvm",
  container: "container-other",
  containerd: "container-other",
};

const GIB = 1024 ** 3;
const NOT_AVAILABLE = new Set(["", "na", "n/a", "unknown"]);

function str(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const s = value.trim();
  return NOT_AVAILABLE.has(s.toLowerCase()) ? undefined : s;
}

function int(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? Math.floor(n) : undefined;
}

export interface FactsTarget {
  /** The inventory host name (a fact-cache file's name), when known: CI name and extra weak keys. */
  inventoryName?: string;
}

export interface FactsResult {
  observation: Observation;
  warnings: string[];
}

function osVersion(facts: Facts): string | undefined {
  const distribution = facts.distribution;
  // Debian's os-release VERSION_ID is the major release; Ansible reads /etc/debian_version (12.11).
  if (distribution === "Debian" || distribution === "Raspbian") return str(facts.distribution_major_version);
  return str(facts.distribution_version);
}

function osName(facts: Facts): string | undefined {
  const distribution = str(facts.distribution);
  if (!distribution) return undefined;
  if (distribution === "CentOS") return facts.distribution_release === "Stream" ? "CentOS Stream" : "CentOS Linux";
  return OS_NAMES[distribution] ?? distribution;
}

function cpuModel(processor: Facts["processor"]): string | undefined {
  for (const entry of processor ?? []) {
    if (typeof entry !== "string" || /^\d+$/.test(entry) || /^(GenuineIntel|AuthenticAMD|CentaurHauls|HygonGenuine|ARM)$/.test(entry)) continue;
    return entry;
  }
  return undefined;
}

interface FactInterface {
  name: string;
  facts: InterfaceFacts;
}

function interfacesOf(facts: Record<string, unknown>, names: string[]): FactInterface[] {
  const out: FactInterface[] = [];
  for (const name of names) {
    const candidates = [facts[name], facts[name.replace(/[-:.]/g, "_")]];
    const byDevice = Object.values(facts).find((v) => v !== null && typeof v === "object" && (v as { device?: unknown }).device === name);
    for (const candidate of [...candidates, byDevice]) {
      const parsed = interfaceFactsSchema.safeParse(candidate);
      if (parsed.success && (parsed.data.device === undefined || parsed.data.device === name)) {
        out.push({ name, facts: parsed.data });
        break;
      }
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * One machine observation from the facts of `setup` (prefix already removed), in the shared
 * vocabulary and units of the SSH source: strong machine-id, serial, SMBIOS UUID and the MACs of
 * device-backed interfaces; weak host name, FQDN and addresses. Only the facts named here are read.
 */
export function transformFacts(facts: Facts & Record<string, unknown>, target: FactsTarget, where: string): FactsResult {
  const warnings: string[] = [];
  const nodename = (str(facts.nodename) ?? str(facts.hostname) ?? "").toLowerCase();
  const shortName = nodename.split(".")[0] ?? "";
  const fqdnRaw = (str(facts.fqdn) ?? "").toLowerCase();
  const fqdn = fqdnRaw.includes(".") && !/^localhost(\.|$)/.test(fqdnRaw) ? fqdnRaw : undefined;

  const role = str(facts.virtualization_role)?.toLowerCase();
  const ansibleVirt = str(facts.virtualization_type)?.toLowerCase();
  const virtualization = role === "guest" && ansibleVirt ? (VIRT_NAMES[ansibleVirt] ?? ansibleVirt) : undefined;
  const type: CiType = virtualization === undefined ? "server" : CONTAINER_VIRT.has(virtualization) ? "container" : "virtual_machine";
  const inContainer = type === "container";

  const keys: IdentityKey[] = [];
  const machineId = str(facts.machine_id)?.toLowerCase();
  const usableMachineId = machineId && /^[0-9a-f]{32}$/.test(machineId) && !/^0+$/.test(machineId) ? machineId : undefined;
  if (usableMachineId) keys.push(strong(KEY.machineId, usableMachineId));
  else warnings.push(`${where}: no usable ansible_machine_id`);
  const serialRaw = inContainer ? undefined : str(facts.product_serial);
  const serial = serialRaw && !isJunkSerial(serialRaw) ? serialRaw : undefined;
  const smbiosUuid = inContainer ? undefined : normalizeUuid(str(facts.product_uuid));
  if (serial) keys.push(strong(KEY.serial, serial));
  if (smbiosUuid) keys.push(strong(KEY.smbiosUuid, smbiosUuid));

  const nics = interfacesOf(facts, facts.interfaces ?? []);
  const bridgeOf = new Map<string, string>();
  for (const nic of nics) if (nic.facts.type === "bridge") for (const member of nic.facts.interfaces ?? []) bridgeOf.set(member, nic.name);
  const macs: string[] = [];
  const ipAddresses: string[] = [];
  const interfaces: NonNullable<MachineAttributes["interfaces"]> = [];
  const weakIps: string[] = [];
  for (const nic of nics) {
    const mac = nic.facts.macaddress ? normalizeMac(nic.facts.macaddress) : undefined;
    const permanentMac = nic.facts.perm_macaddress ? normalizeMac(nic.facts.perm_macaddress) : undefined;
    const ips = [
      ...(nic.facts.ipv4 ? [nic.facts.ipv4.address] : []),
      ...(nic.facts.ipv4_secondaries ?? []).map((a) => a.address),
      ...(nic.facts.ipv6 ?? []).map((a) => a.address.toLowerCase()),
    ].filter((ip, i, all) => all.indexOf(ip) === i);
    const identity = identityMac(
      { name: nic.name, ips, ...(mac ? { mac } : {}), ...(permanentMac ? { permanentMac } : {}), hasDevice: nic.facts.pciid !== undefined },
      inContainer,
    );
    if (identity && !macs.includes(identity)) macs.push(identity);
    for (const ip of ips) {
      if (isLoopbackOrLinkLocal(ip) || ipAddresses.includes(ip)) continue;
      ipAddresses.push(ip);
      if (!SHARED_ADDRESS_INTERFACE.test(nic.name)) weakIps.push(ip);
    }
    if (nic.name !== "lo") {
      const bridge = bridgeOf.get(nic.name);
      interfaces.push({ name: nic.name, ...(mac ? { mac } : {}), ips, ...(bridge ? { bridge } : {}) });
    }
  }
  for (const mac of macs) keys.push(macKey(mac)!);
  if (shortName && shortName !== "localhost") keys.push(weak(KEY.hostname, shortName));
  if (fqdn) keys.push(weak(KEY.fqdn, fqdn));
  for (const ip of weakIps) keys.push(weak(KEY.ip, ip));
  if (target.inventoryName) for (const key of inventoryNameKeys(target.inventoryName)) keys.push(key);

  const disks: { name: string; size_gb: number }[] = [];
  for (const [name, device] of Object.entries(facts.devices ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const sectors = int(device.sectors);
    if (NOT_A_DISK.test(name) || !sectors) continue;
    // Ansible's `sectors` is /sys/block/<dev>/size, always in 512-byte units whatever the block size.
    disks.push({ name, size_gb: Math.round(((sectors * 512) / GIB) * 100) / 100 });
  }

  const distribution = str(facts.distribution);
  const attributes: MachineAttributes & Record<string, unknown> = {
    hostname: shortName && shortName !== "localhost" ? shortName : undefined,
    fqdn,
    os_name: osName(facts),
    os_version: osVersion(facts),
    os_family: str(facts.os_family),
    os_id: distribution ? (OS_IDS[distribution] ?? distribution.toLowerCase().replace(/\s+/g, "-")) : undefined,
    kernel: str(facts.kernel),
    architecture: str(facts.architecture),
    cpu_cores: int(facts.processor_vcpus) || undefined,
    cpu_sockets: int(facts.processor_count) || undefined,
    cpu_model: cpuModel(facts.processor),
    memory_mb: int(facts.memtotal_mb),
    swap_mb: int(facts.swaptotal_mb),
    disks: facts.devices ? disks : undefined,
    interfaces: nics.length > 0 ? interfaces : undefined,
    ip_addresses: nics.length > 0 ? ipAddresses : undefined,
    mac_addresses: nics.length > 0 ? macs : undefined,
    machine_id: usableMachineId,
    serial,
    smbios_uuid: smbiosUuid,
    vendor: inContainer ? undefined : str(facts.system_vendor),
    model: inContainer ? undefined : str(facts.product_name),
    virtualization_type: role === undefined ? undefined : (virtualization ?? "none"),
    virtualization_role: virtualization === undefined ? undefined : "guest",
    uptime_seconds: int(facts.uptime_seconds),
    service_manager: str(facts.service_mgr),
    package_manager: str(facts.pkg_mgr),
    python_version: str(facts.python_version),
    state: "running",
  };
  for (const name of Object.keys(attributes)) if (attributes[name] === undefined) delete attributes[name];

  const seen = new Set<string>();
  const uniqueKeys = keys.filter((k) => {
    const id = `${k.scheme}:${k.value}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return {
    observation: {
      ref: target.inventoryName ?? (shortName || nodename || "localhost"),
      type,
      name: target.inventoryName ?? (shortName || nodename || "localhost"),
      keys: uniqueKeys,
      attributes: redactByName(attributes),
      state: "running",
    },
    warnings,
  };
}

/** One complete batch for a facts file or a fact-cache directory: one observation per host. */
export function transformFactsFiles(
  files: { host?: string; where: string; facts: Facts & Record<string, unknown> }[],
  scope: string,
  options: { host?: string } = {},
): import("../../model/index.js").ObservationBatch {
  const observations: Observation[] = [];
  const warnings: string[] = [];
  const refs = new Set<string>();
  for (const file of files) {
    const inventoryName = options.host ?? file.host;
    const result = transformFacts(file.facts, inventoryName ? { inventoryName } : {}, file.where);
    if (refs.has(result.observation.ref)) {
      warnings.push(`${file.where}: host ${result.observation.ref} already seen in this input; skipped`);
      continue;
    }
    refs.add(result.observation.ref);
    observations.push(result.observation);
    warnings.push(...result.warnings);
  }
  return { source: FACTS_SOURCE, scope, complete: true, observations, relationships: [], meta: { hosts: observations.length }, warnings };
}
