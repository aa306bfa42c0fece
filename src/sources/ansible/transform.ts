import { CmdbError } from "../../util/errors.js";
import { REDACTED, redactByName } from "../../util/redact.js";
import { splitPort } from "./hostpattern.js";
import { IniError, parseIni } from "./ini.js";
import { type Host, InventoryData, InventoryError } from "./inventory-data.js";
import { type InventoryValue, isDict, newDict, UnsafeValue, VaultValue, type VarsDict } from "./values.js";
import { loadData, PyMap, toPlain, YamlLoadError } from "./yaml-load.js";
import { parseYamlInventory, YamlInventoryError } from "./yaml-inventory.js";

/** One inventory file as read from disk. */
export interface InventoryFile {
  path: string;
  text: string;
  /** Starts with `#!`: Ansible would run it as an inventory script. */
  shebang: boolean;
}

/** group_vars/ and host_vars/ beside a source, as relative path → directory listing or file text. */
export type VarsTree = Map<string, { kind: "dir"; names: string[] } | { kind: "file"; text: string; path: string }>;

/** What `get` read for one `-i` argument. */
export type SourceSnapshot =
  | { kind: "hostlist"; spec: string }
  | { kind: "missing"; path: string }
  | { kind: "file" | "dir"; path: string; files: InventoryFile[]; skipped: string[]; vars: VarsTree; warnings?: string[] };

export interface AnsibleGroupEntry {
  hosts?: string[];
  children?: string[];
}

/** The JSON `ansible-inventory --list` prints. */
export interface AnsibleList {
  _meta: { hostvars: Record<string, VarsDict> };
  [group: string]: AnsibleGroupEntry | { hostvars: Record<string, VarsDict> };
}

/** ansible-inventory's INTERNAL_VARS: magic variables it removes from what it prints. */
const INTERNAL_VARS = [
  "ansible_diff_mode",
  "ansible_config_file",
  "ansible_facts",
  "ansible_forks",
  "ansible_inventory_sources",
  "ansible_limit",
  "ansible_playbook_python",
  "ansible_run_tags",
  "ansible_skip_tags",
  "ansible_verbosity",
  "ansible_version",
  "inventory_dir",
  "inventory_file",
  "inventory_hostname",
  "inventory_hostname_short",
  "groups",
  "group_names",
  "omit",
  "playbook_dir",
];

const ONLY_WARNS = "ansible-inventory would only warn and print an empty inventory";
const YAML_EXTENSIONS = [".yaml", ".yml", ".json"];
const VARS_EXTENSIONS = ["", ".yml", ".yaml", ".json"];

/** Python's os.path.splitext(basename)[1]. */
export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return "";
  return base.slice(dot);
}

function parseFile(inventory: InventoryData, file: InventoryFile, warn: (message: string) => void): void {
  if (file.shebang) {
    throw new CmdbError("is an inventory script (it starts with #!); cmdb reads inventory files only and never runs scripts", { where: file.path });
  }
  const ext = extensionOf(file.path);
  let yamlFailure: CmdbError | undefined;
  if (!ext || YAML_EXTENSIONS.includes(ext)) {
    try {
      const data = loadData(file.text);
      if ((ext === ".yml" || ext === ".yaml") && data instanceof PyMap && data.get("plugin")) {
        throw new CmdbError(`is an inventory plugin configuration (plugin: ${String(toPlain(data.get("plugin")!))}); cmdb reads static inventories only`, {
          where: file.path,
        });
      }
      const pending: string[] = [];
      parseYamlInventory(inventory, data, (message) => pending.push(message));
      for (const message of pending) warn(`${file.path}: ${message}`);
      return;
    } catch (error) {
      if (error instanceof YamlLoadError || error instanceof YamlInventoryError) {
        yamlFailure = new CmdbError(`not a valid YAML inventory: ${error.message}`, { where: error.line ? `${file.path}:${error.line}` : file.path, cause: error });
      } else if (error instanceof CmdbError) {
        throw error;
      } else throw error;
    }
  }
  try {
    parseIni(inventory, file.text);
  } catch (error) {
    if (!(error instanceof IniError)) throw error;
    if (error.crash) throw new CmdbError(`value not representable: ${error.message}`, { where: `${file.path}:${error.line}`, hint: "ansible-inventory 2.14 crashes on it" });
    if (yamlFailure && ext) throw withOnlyWarns(yamlFailure, "the INI parser rejects it too");
    if (ext === ".toml") throw new CmdbError("TOML inventories are not supported (and the file is not valid INI either)", { where: `${file.path}:${error.line}` });
    throw withOnlyWarns(new CmdbError(`not a valid INI inventory: ${error.message}`, { where: `${file.path}:${error.line}`, cause: error }), yamlFailure ? "not a YAML inventory either" : undefined);
  }
}

function withOnlyWarns(error: CmdbError, extra?: string): CmdbError {
  const hint = extra ? `${extra}; ${ONLY_WARNS}` : ONLY_WARNS;
  return new CmdbError(error.message, { where: error.where, hint, cause: error.cause });
}

function parseHostList(inventory: InventoryData, spec: string): void {
  for (const raw of spec.split(",")) {
    const h = raw.trim();
    if (!h) continue;
    const parsed = splitPort(h);
    const ranged = parsed.pattern.includes("[");
    const host = ranged ? h : parsed.pattern;
    if (!inventory.hosts.has(host)) inventory.addHost(host, "ungrouped", ranged ? undefined : parsed.port);
  }
}

/** Builds the inventory from what `get` read, as ansible-core's InventoryManager.parse_sources does. */
export function buildInventory(sources: SourceSnapshot[]): ParsedInventory {
  const inventory = new InventoryData();
  const warnings: string[] = [];
  const trees: VarsTree[] = [];
  for (const source of sources) {
    if (source.kind === "hostlist") {
      parseHostList(inventory, source.spec);
      continue;
    }
    if (source.kind === "missing") {
      throw new CmdbError("inventory source does not exist", { where: source.path, hint: ONLY_WARNS });
    }
    trees.push(source.vars);
    warnings.push(...(source.warnings ?? []));
    if (source.files.length === 0) {
      const skipped = source.skipped.length > 0 ? ` (skipped: ${source.skipped.join(", ")} — Ansible ignores ${[...new Set(source.skipped.map(extensionOf))].join(", ")} files inside inventory directories)` : "";
      throw new CmdbError(`no inventory file in this directory${skipped}`, { where: source.path, hint: ONLY_WARNS });
    }
    for (const file of source.files) {
      try {
        parseFile(inventory, file, (message) => warnings.push(message));
      } catch (error) {
        if (error instanceof InventoryError) throw new CmdbError(error.message, { where: file.path, hint: ONLY_WARNS });
        throw error;
      }
    }
  }
  try {
    inventory.reconcile();
  } catch (error) {
    if (error instanceof InventoryError) throw new CmdbError(error.message, { where: sources.map(describeSource).join(", ") });
    throw error;
  }
  warnings.push(...inventory.warnings);
  return new ParsedInventory(inventory, trees, warnings);
}

function describeSource(source: SourceSnapshot): string {
  return source.kind === "hostlist" ? source.spec : source.path;
}

/** The vars plugin `host_group_vars`: files named after a group or host, or a folder of them. */
class VarsFiles {
  private readonly cache = new Map<string, VarsDict>();
  constructor(private readonly trees: VarsTree[]) {}

  /** Merged vars of `<subdir>/<name>` in the tree of source `index`. */
  get(index: number, subdir: "group_vars" | "host_vars", name: string): VarsDict {
    const key = `${index}\0${subdir}\0${name}`;
    let vars = this.cache.get(key);
    if (!vars) {
      vars = this.load(this.trees[index]!, subdir, name);
      this.cache.set(key, vars);
    }
    return vars;
  }

  private load(tree: VarsTree, subdir: string, name: string): VarsDict {
    const out = newDict();
    if (name.startsWith("/")) return out;
    for (const path of findVarsFiles(tree, `${subdir}/${name}`)) {
      const entry = tree.get(path);
      if (entry?.kind !== "file") continue;
      let data: InventoryValue;
      try {
        const loaded = loadData(entry.text);
        if (loaded !== null && !(loaded instanceof PyMap) && !isFalsyValue(loaded)) {
          throw new YamlLoadError(`failed to combine variables, expected dicts but got a 'dict' and a '${Array.isArray(loaded) ? "list" : typeof loaded}'`, 1);
        }
        data = toPlain(loaded);
      } catch (error) {
        if (error instanceof YamlLoadError) throw new CmdbError(error.message, { where: error.line ? `${entry.path}:${error.line}` : entry.path });
        throw error;
      }
      if (isDict(data)) Object.assign(out, data);
    }
    return out;
  }
}

function isFalsyValue(value: unknown): boolean {
  return value === null || value === false || value === 0 || value === "" || (Array.isArray(value) && value.length === 0);
}

/** DataLoader.find_vars_files: the first of NAME, NAME.yml, NAME.yaml, NAME.json; a directory is read recursively. */
function findVarsFiles(tree: VarsTree, base: string): string[] {
  for (const ext of VARS_EXTENSIONS) {
    const entry = tree.get(base + ext);
    if (!entry) continue;
    return entry.kind === "dir" ? dirVarsFiles(tree, base + ext) : [base + ext];
  }
  return [];
}

function dirVarsFiles(tree: VarsTree, dir: string): string[] {
  const entry = tree.get(dir);
  if (entry?.kind !== "dir") return [];
  const found: string[] = [];
  for (const name of [...entry.names].sort()) {
    if (name.startsWith(".") || name.endsWith("~")) continue;
    const path = `${dir}/${name}`;
    const child = tree.get(path);
    const ext = extensionOf(name);
    if (child?.kind === "dir" && !ext) found.push(...dirVarsFiles(tree, path));
    else if (child?.kind === "file" && VARS_EXTENSIONS.includes(ext)) found.push(path);
  }
  return found;
}

/** A parsed inventory: what `ansible-inventory --list` and `--host` would print. */
export class ParsedInventory {
  private readonly vars: VarsFiles;
  constructor(
    private readonly inventory: InventoryData,
    private readonly trees: VarsTree[],
    readonly warnings: string[],
  ) {
    this.vars = new VarsFiles(trees);
  }

  hostNames(): string[] {
    return [...this.inventory.hosts.keys()];
  }

  /** Variables of one host, merged in Ansible's precedence order. */
  hostVars(name: string): VarsDict {
    const host = this.inventory.hosts.get(name);
    if (!host) throw new CmdbError("no such host in the inventory", { where: name, hint: "ansible-inventory --host needs a host name the inventory defines" });
    return this.computeHostVars(host);
  }

  private computeHostVars(host: Host): VarsDict {
    const inv = this.inventory;
    const all = inv.group("all");
    const groups = inv.hostGroups(host);
    groups.delete(all);
    const sorted = inv.sortGroups(groups);
    const out = newDict();
    Object.assign(out, all.vars);
    for (const g of sorted) Object.assign(out, g.vars);
    for (let i = 0; i < this.trees.length; i++) Object.assign(out, this.vars.get(i, "group_vars", "all"));
    for (let i = 0; i < this.trees.length; i++) for (const g of sorted) Object.assign(out, this.vars.get(i, "group_vars", g.name));
    Object.assign(out, host.vars);
    for (let i = 0; i < this.trees.length; i++) Object.assign(out, this.vars.get(i, "host_vars", host.name));
    for (const name of INTERNAL_VARS) delete out[name];
    return out;
  }

  /** `ansible-inventory --list`. */
  list(): AnsibleList {
    const inv = this.inventory;
    const hostvars: Record<string, VarsDict> = newDict() as Record<string, VarsDict>;
    const result = { _meta: { hostvars } } as AnsibleList;
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      const group = inv.group(name);
      const entry: AnsibleGroupEntry = {};
      if (name !== "all" && group.hosts.length > 0) entry.hosts = group.hosts.map((h) => h.name);
      if (group.children.length > 0) entry.children = group.children.map((g) => g.name);
      if (entry.hosts || entry.children) result[name] = entry;
      for (const child of group.children) visit(child.name);
    };
    visit("all");
    for (const host of inv.hosts.values()) {
      const vars = this.computeHostVars(host);
      for (const _ in vars) {
        hostvars[host.name] = vars;
        break;
      }
    }
    return result;
  }
}

function stripVault(value: InventoryValue): InventoryValue {
  if (value instanceof VaultValue) return REDACTED;
  if (value instanceof UnsafeValue) return value.text;
  if (Array.isArray(value)) return value.map(stripVault);
  if (isDict(value)) {
    const out = newDict();
    for (const key of Object.keys(value)) out[key] = stripVault(value[key]!);
    return out;
  }
  return value;
}

/** Host vars without secrets: vault values and secret-named variables (at any depth) become REDACTED. */
export function redactHostVars(vars: VarsDict): VarsDict {
  return redactByName(stripVault(vars) as VarsDict);
}

/** The same inventory as `list()` with every host's vars passed through redactHostVars. */
export function redactList(list: AnsibleList): AnsibleList {
  const hostvars: Record<string, VarsDict> = newDict() as Record<string, VarsDict>;
  for (const [host, vars] of Object.entries(list._meta.hostvars)) hostvars[host] = redactHostVars(vars);
  return { ...list, _meta: { hostvars } };
}
