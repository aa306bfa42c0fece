import { type InventoryValue, newDict, type VarsDict } from "./values.js";

/**
 * The in-memory inventory as ansible-core's InventoryData keeps it: groups with their direct hosts,
 * child and parent groups, vars and priority; hosts with their vars and direct groups. Methods keep
 * Ansible's rules and messages (loops, unknown groups, priority), so the plugins can be ported 1:1.
 */
export class InventoryError extends Error {}

export class Group {
  readonly hosts: Host[] = [];
  readonly hostNames = new Set<string>();
  readonly children: Group[] = [];
  readonly parents: Group[] = [];
  vars: VarsDict = newDict();
  priority = 1;
  constructor(readonly name: string) {}

  addHost(host: Host): void {
    if (this.hostNames.has(host.name)) return;
    this.hosts.push(host);
    this.hostNames.add(host.name);
    host.groups.push(this);
  }

  removeHost(host: Host): void {
    if (!this.hostNames.delete(host.name)) return;
    this.hosts.splice(this.hosts.indexOf(host), 1);
    host.groups.splice(host.groups.indexOf(this), 1);
  }
}

export class Host {
  readonly vars: VarsDict = newDict();
  /** Groups the host was put in directly; ancestors are derived. */
  readonly groups: Group[] = [];
  constructor(readonly name: string) {}
}

function pyTypeOf(value: unknown): string {
  if (value === null || value === undefined) return "<class 'NoneType'>";
  if (typeof value === "boolean") return "<class 'bool'>";
  if (typeof value === "number") return Number.isInteger(value) ? "<class 'int'>" : "<class 'float'>";
  return Array.isArray(value) ? "<class 'list'>" : "<class 'dict'>";
}

/** Python's int() applied to an inventory value (ansible_group_priority). */
function pyIntValue(value: InventoryValue): number {
  if (typeof value === "number") return Math.trunc(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const t = value.trim();
    if (/^[+-]?[0-9](?:_?[0-9])*$/.test(t)) return Number(t.replace(/_/g, ""));
    throw new InventoryError(`invalid literal for int() with base 10: '${value}'`);
  }
  throw new InventoryError(`int() argument must be a string, a bytes-like object or a real number, not '${value === null ? "NoneType" : "object"}'`);
}

export class InventoryData {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, Host>();
  readonly warnings: string[] = [];
  private ancestorCache = new Map<Group, Set<Group>>();
  private depthCache = new Map<Group, number>();

  constructor() {
    this.addGroup("all");
    this.addGroup("ungrouped");
    this.addChild("all", "ungrouped");
  }

  group(name: string): Group {
    const g = this.groups.get(name);
    if (!g) throw new InventoryError(`${name} is not a known group`);
    return g;
  }

  addGroup(name: unknown): string {
    if (!name) throw new InventoryError(`Invalid empty/false group name provided: ${String(name)}`);
    if (typeof name !== "string") throw new InventoryError(`Invalid group name supplied, expected a string but got ${pyTypeOf(name)} for ${String(name)}`);
    if (!this.groups.has(name)) this.groups.set(name, new Group(name));
    return name;
  }

  addHost(name: unknown, groupName?: string, port?: number): string {
    if (!name) throw new InventoryError(`Invalid empty host name provided: ${String(name)}`);
    if (typeof name !== "string") throw new InventoryError(`Invalid host name supplied, expected a string but got ${pyTypeOf(name)} for ${String(name)}`);
    let group: Group | undefined;
    if (groupName) {
      group = this.groups.get(groupName);
      if (!group) throw new InventoryError(`Could not find group ${groupName} in inventory`);
    }
    let host = this.hosts.get(name);
    if (!host) {
      host = new Host(name);
      if (port) host.vars.ansible_port = port;
      this.hosts.set(name, host);
    }
    group?.addHost(host);
    return name;
  }

  /** Like Ansible, a name that is both a group and a host sets the group's variable. */
  setVariable(entity: string, key: string, value: InventoryValue): void {
    const group = this.groups.get(entity);
    if (group) {
      if (key === "ansible_group_priority") group.priority = pyIntValue(value);
      else group.vars[key] = value;
      return;
    }
    const host = this.hosts.get(entity);
    if (!host) throw new InventoryError(`Could not identify group or host named ${entity}`);
    host.vars[key] = value;
  }

  addChild(groupName: string, child: string): void {
    const group = this.groups.get(groupName);
    if (!group) throw new InventoryError(`${groupName} is not a known group`);
    const childGroup = this.groups.get(child);
    if (childGroup) {
      this.addChildGroup(group, childGroup);
      return;
    }
    const host = this.hosts.get(child);
    if (!host) throw new InventoryError(`${child} is not a known host nor group`);
    group.addHost(host);
  }

  private addChildGroup(parent: Group, child: Group): void {
    if (parent === child) throw new InventoryError("can't add group to itself");
    if (parent.children.includes(child)) return;
    if (this.walkAncestors(parent).has(child)) {
      throw new InventoryError(`Adding group '${child.name}' as child to '${parent.name}' creates a recursive dependency loop.`);
    }
    parent.children.push(child);
    if (!child.parents.some((p) => p.name === parent.name)) child.parents.push(parent);
  }

  private walkAncestors(group: Group): Set<Group> {
    const seen = new Set<Group>();
    const stack = [...group.parents];
    while (stack.length > 0) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...g.parents);
    }
    return seen;
  }

  /** ansible-core's reconcile_inventory: every group under `all`, hosts without a group in `ungrouped`. */
  reconcile(): void {
    const all = this.group("all");
    const ungrouped = this.group("ungrouped");
    for (const g of this.groups.values()) {
      if (g !== all && g.parents.length === 0) this.addChildGroup(all, g);
    }
    this.ancestorCache = new Map();
    for (const host of this.hosts.values()) {
      const mine = this.hostGroups(host);
      if (mine.has(ungrouped)) {
        for (const g of mine) {
          if (g !== all && g !== ungrouped) {
            ungrouped.removeHost(host);
            break;
          }
        }
      } else if (mine.size === 0 || (mine.size === 1 && mine.has(all))) {
        ungrouped.addHost(host);
      }
    }
    for (const name of this.hosts.keys()) {
      if (this.groups.has(name)) this.warnings.push(`Found both group and host with same name: ${name}`);
    }
    this.ancestorCache = new Map();
    this.depthCache = new Map();
  }

  private ancestors(group: Group): Set<Group> {
    const cache = this.ancestorCache;
    let set = cache.get(group);
    if (!set) {
      set = this.walkAncestors(group);
      cache.set(group, set);
    }
    return set;
  }

  /** The host's groups with all their ancestors (Ansible's host.get_groups()). */
  hostGroups(host: Host): Set<Group> {
    const out = new Set<Group>();
    for (const g of host.groups) {
      out.add(g);
      for (const a of this.ancestors(g)) out.add(a);
    }
    return out;
  }

  /** Ansible's group depth: the longest path from `all`. */
  depth(group: Group): number {
    const cache = this.depthCache;
    const known = cache.get(group);
    if (known !== undefined) return known;
    let d = 0;
    for (const p of group.parents) d = Math.max(d, this.depth(p) + 1);
    cache.set(group, d);
    return d;
  }

  /** Groups in the order Ansible merges their vars: depth, then priority, then name. */
  sortGroups(groups: Iterable<Group>): Group[] {
    return [...groups].sort((a, b) => this.depth(a) - this.depth(b) || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
