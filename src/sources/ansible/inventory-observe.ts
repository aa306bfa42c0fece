import { KEY, type Observation, type ObservationBatch, type RelationshipDraft, strong } from "../../model/index.js";
import { redactByName } from "../../util/redact.js";
import { ansibleHostKeys, inventoryNameKeys, isIpAddress, namesOf } from "./host-keys.js";
import type { AnsibleGroupEntry, AnsibleList } from "./transform.js";
import type { VarsDict } from "./values.js";

export const INVENTORY_SOURCE = "ansible";

/** Groups every host is in implicitly; as CIs they would only say "this host is in an inventory". */
const IMPLICIT_GROUPS = new Set(["all", "ungrouped"]);

export interface InventoryView {
  list: AnsibleList;
  hostVars(name: string): VarsDict;
  warnings: string[];
}

export const groupRef = (name: string) => `group:${name}`;

/** Plain JSON of a vars dict: vault/unsafe wrappers and dates through their toJSON. */
function plain(vars: VarsDict): Record<string, unknown> {
  return JSON.parse(JSON.stringify(vars)) as Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" && !value.includes("{{") ? value.trim() : undefined;
}

/**
 * One complete batch for an inventory (already redacted): a `server` observation per host with
 * weak keys from its name and `ansible_host`, an `ansible_group` per group (strong key
 * `ansible.group:<inventory>/<group>`), MEMBER_OF host→group and child→parent.
 */
export function transformInventory(inventory: InventoryView, scope: string): ObservationBatch {
  const inventoryPath = scope.replace(/^ansible:/, "");
  const groups = new Map<string, AnsibleGroupEntry>();
  const hostGroups = new Map<string, Set<string>>();
  const parents = new Map<string, Set<string>>();
  const addTo = (map: Map<string, Set<string>>, key: string, value: string) => {
    const set = map.get(key) ?? new Set<string>();
    set.add(value);
    map.set(key, set);
  };
  for (const [name, entry] of Object.entries(inventory.list)) {
    if (name === "_meta") continue;
    const group = entry as AnsibleGroupEntry;
    if (!IMPLICIT_GROUPS.has(name)) groups.set(name, group);
    for (const host of group.hosts ?? []) {
      if (!hostGroups.has(host)) hostGroups.set(host, new Set());
      if (!IMPLICIT_GROUPS.has(name)) addTo(hostGroups, host, name);
    }
    for (const child of group.children ?? []) {
      if (IMPLICIT_GROUPS.has(child)) continue;
      if (!groups.has(child)) groups.set(child, {});
      if (!IMPLICIT_GROUPS.has(name)) addTo(parents, child, name);
    }
  }
  for (const host of Object.keys(inventory.list._meta.hostvars)) if (!hostGroups.has(host)) hostGroups.set(host, new Set());

  const ancestors = (group: string, seen = new Set<string>()): Set<string> => {
    for (const parent of parents.get(group) ?? []) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      ancestors(parent, seen);
    }
    return seen;
  };

  const observations: Observation[] = [];
  const relationships: RelationshipDraft[] = [];
  for (const [host, direct] of [...hostGroups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const vars = redactByName(plain(inventory.hostVars(host)));
    const keys = [...inventoryNameKeys(host), ...ansibleHostKeys(vars.ansible_host)];
    const allGroups = new Set(direct);
    for (const g of direct) for (const a of ancestors(g)) allGroups.add(a);
    const ansibleHost = text(vars.ansible_host);
    const attributes: Record<string, unknown> = {
      ...namesOf(host),
      ...(ansibleHost ? { ansible_host: ansibleHost } : {}),
      ...(ansibleHost && isIpAddress(ansibleHost) ? { ip_addresses: [ansibleHost.toLowerCase()] } : {}),
      groups: [...allGroups].sort(),
      vars,
    };
    const environment = text(vars.env) ?? text(vars.environment);
    const owner = text(vars.owner);
    observations.push({
      ref: host,
      type: "server",
      name: host,
      keys: dedupe(keys),
      attributes,
      ...(environment ? { environment } : {}),
      ...(owner ? { owner } : {}),
    });
    for (const g of [...direct].sort()) relationships.push({ type: "MEMBER_OF", from: host, to: { ref: groupRef(g) } });
  }
  for (const [name, entry] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    observations.push({
      ref: groupRef(name),
      type: "ansible_group",
      name,
      keys: [strong(KEY.ansibleGroup, `${inventoryPath}/${name}`)],
      attributes: {
        group: name,
        children: (entry.children ?? []).filter((c) => !IMPLICIT_GROUPS.has(c)),
        host_count: (entry.hosts ?? []).length,
      },
    });
    for (const parent of [...(parents.get(name) ?? [])].sort()) relationships.push({ type: "MEMBER_OF", from: groupRef(name), to: { ref: groupRef(parent) } });
  }
  return {
    source: INVENTORY_SOURCE,
    scope,
    complete: true,
    observations,
    relationships,
    meta: { inventory: inventoryPath, hosts: hostGroups.size, groups: groups.size },
    warnings: [...inventory.warnings],
  };
}

function dedupe<T extends { scheme: string; value: string }>(keys: T[]): T[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = `${k.scheme}:${k.value}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
