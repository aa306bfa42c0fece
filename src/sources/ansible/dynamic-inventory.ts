import { isIP } from "node:net";
import { MACHINE_TYPES } from "../../model/index.js";

/** What the dynamic inventory needs of a CI (effective values, active only). */
export interface InventoryCi {
  id: string;
  type: string;
  name: string;
  status: string;
  environment: string | null;
  provider: string | null;
  tags: Record<string, string>;
  attributes: Record<string, unknown>;
  keys: string[];
  sources: string[];
}

export interface DynamicInventory {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | { hostvars: Record<string, Record<string, unknown>> };
}

/** Ansible's to_safe_group_name with force: every character that cannot be in a variable name becomes `_`. */
export function safeGroupName(name: string): string {
  return name.replace(/[^\p{L}\p{N}_]/gu, "_").replace(/^\p{N}/u, "_");
}

const HOST_NAME = /^[^\s,[\]:]+$/;

function stringAttr(attributes: Record<string, unknown>, name: string): string | undefined {
  const v = attributes[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

/** The address Ansible should connect to: the inventory's ansible_host, else the first known address, else the FQDN. */
export function ansibleHostOf(ci: InventoryCi): string | undefined {
  const vars = ci.attributes.vars;
  const declared = vars !== null && typeof vars === "object" ? (vars as Record<string, unknown>).ansible_host : undefined;
  if (typeof declared === "string" && declared.trim() !== "" && !declared.includes("{{") && declared !== "(redacted)") return declared.trim();
  const direct = stringAttr(ci.attributes, "ansible_host");
  if (direct) return direct;
  const ips = ci.attributes.ip_addresses;
  if (Array.isArray(ips)) {
    const first = ips.find((ip): ip is string => typeof ip === "string" && isIP(ip) === 4) ?? ips.find((ip): ip is string => typeof ip === "string" && isIP(ip) !== 0);
    if (first) return first;
  }
  const ipKey = ci.keys.find((k) => k.startsWith("ip:"));
  if (ipKey) return ipKey.slice(3);
  return stringAttr(ci.attributes, "fqdn") ?? ci.keys.find((k) => k.startsWith("fqdn:"))?.slice(5);
}

/** The Ansible host name of a CI: its name when it is usable as one, else its hostname attribute, else its id. */
export function hostNameOf(ci: InventoryCi): string {
  if (HOST_NAME.test(ci.name)) return ci.name;
  const hostname = stringAttr(ci.attributes, "hostname");
  return hostname && HOST_NAME.test(hostname) ? hostname : ci.id;
}

/** The default groups a CI belongs to: type_, env_, provider_, tag_<k>_<v> (tag_<k> for an empty value), source_. */
export function defaultGroups(ci: InventoryCi): string[] {
  const groups = new Set<string>([`type_${ci.type}`]);
  if (ci.environment) groups.add(`env_${ci.environment}`);
  if (ci.provider) groups.add(`provider_${ci.provider}`);
  for (const [k, v] of Object.entries(ci.tags)) groups.add(v === "" ? `tag_${k}` : `tag_${k}_${v}`);
  for (const source of ci.sources) groups.add(`source_${source}`);
  return [...groups].map(safeGroupName).sort();
}

/**
 * Ansible's script-inventory JSON (`--list`) of the active machine CIs: hosts named by
 * `hostNameOf` (a name two CIs share gets `_<ci id>` on both), the default groups, and hostvars
 * of `cmdb_*` fields plus `ansible_host`. Only these fields: no attribute, variable or secret of a
 * CI leaves the store through here.
 */
export function buildDynamicInventory(cis: InventoryCi[]): DynamicInventory {
  const machines = cis.filter((ci) => ci.status === "active" && MACHINE_TYPES.has(ci.type as never)).sort((a, b) => (a.id < b.id ? -1 : 1));
  const counts = new Map<string, number>();
  for (const ci of machines) counts.set(hostNameOf(ci), (counts.get(hostNameOf(ci)) ?? 0) + 1);
  const hostvars: Record<string, Record<string, unknown>> = {};
  const groups = new Map<string, string[]>();
  for (const ci of machines) {
    const base = hostNameOf(ci);
    const name = counts.get(base)! > 1 ? `${base}_${ci.id}` : base;
    const ansibleHost = ansibleHostOf(ci);
    hostvars[name] = {
      cmdb_id: ci.id,
      cmdb_name: ci.name,
      cmdb_type: ci.type,
      cmdb_status: ci.status,
      cmdb_provider: ci.provider,
      cmdb_environment: ci.environment,
      cmdb_tags: ci.tags,
      cmdb_sources: ci.sources,
      ...(ansibleHost ? { ansible_host: ansibleHost } : {}),
    };
    for (const group of defaultGroups(ci)) groups.set(group, [...(groups.get(group) ?? []), name]);
  }
  const out: DynamicInventory = { _meta: { hostvars } };
  const names = [...groups.keys()].sort();
  out.all = { children: ["ungrouped", ...names] };
  for (const g of names) out[g] = { hosts: groups.get(g)!.sort() };
  return out;
}
