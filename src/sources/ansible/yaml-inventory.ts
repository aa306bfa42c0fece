import { expandHostRange, splitPort } from "./hostpattern.js";
import { type InventoryData, InventoryError } from "./inventory-data.js";
import { jsonKey } from "./values.js";
import { type PyData, type PyKey, PyMap, toPlain } from "./yaml-load.js";

/**
 * Ansible's `yaml` inventory plugin (ansible-core 2.14): top-level keys are groups, each with
 * optional `hosts`, `children` and `vars` mappings (a string stands for a one-key mapping), hosts
 * are patterns with ranges and ports. Unknown keys and non-mapping groups are skipped with the
 * same warnings Ansible prints.
 */
export class YamlInventoryError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

function pyType(value: PyData | undefined): string {
  if (value === null || value === undefined) return "<class 'NoneType'>";
  if (typeof value === "boolean") return "<class 'bool'>";
  if (typeof value === "number") return Number.isInteger(value) ? "<class 'int'>" : "<class 'float'>";
  if (Array.isArray(value)) return "<class 'ansible.parsing.yaml.objects.AnsibleSequence'>";
  if (value instanceof PyMap) return "<class 'ansible.parsing.yaml.objects.AnsibleMapping'>";
  return "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>";
}

function isFalsy(value: PyData | undefined): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return value instanceof PyMap && value.keys.length === 0;
}

export function parseYamlInventory(inventory: InventoryData, data: PyData, warn: (message: string) => void): void {
  if (isFalsy(data)) throw new YamlInventoryError("Parsed empty YAML file", 1);
  if (!(data instanceof PyMap)) throw new YamlInventoryError(`YAML inventory has invalid structure, it should be a dictionary, got: ${pyType(data)}`, 1);
  if (!isFalsy(data.get("plugin"))) throw new YamlInventoryError("Plugin configuration YAML file, not YAML inventory", data.line);
  data.keys.forEach((group, i) => {
    parseGroup(inventory, group, data.values[i]!, data.lines[i]!, warn);
  });
}

function parseGroup(inventory: InventoryData, group: PyKey, groupData: PyData, line: number, warn: (message: string) => void): PyKey {
  if (!(groupData instanceof PyMap) && groupData !== null) {
    warn(`Skipping '${String(group)}' as this is not a valid group definition`);
    return group;
  }
  let name: string;
  try {
    name = inventory.addGroup(group);
  } catch (error) {
    if (error instanceof InventoryError) throw new YamlInventoryError(`Unable to add group ${String(group)}: ${error.message}`, line);
    throw error;
  }
  if (groupData === null) return name;
  for (const section of ["vars", "children", "hosts"]) {
    if (!groupData.has(section)) continue;
    const value = groupData.get(section)!;
    if (typeof value === "string") {
      const single = new PyMap(groupData.line);
      single.set(value, null, groupData.line);
      groupData.replace(section, single);
    } else if (!(value instanceof PyMap) && value !== null) {
      throw new YamlInventoryError(`Invalid "${section}" entry for "${name}" group, requires a dictionary, found "${pyType(value)}" instead.`, groupData.line);
    }
  }
  groupData.keys.forEach((key, i) => {
    const value = groupData.values[i]!;
    const keyLine = groupData.lines[i]!;
    if (!(value instanceof PyMap) && value !== null) {
      warn(`Skipping key (${String(key)}) in group (${name}) as it is not a mapping, it is a ${pyType(value)}`);
      return;
    }
    if (value === null) return;
    try {
      if (key === "vars") {
        value.keys.forEach((k, j) => {
          inventory.setVariable(name, jsonKey(k), toPlain(value.values[j]!));
        });
      } else if (key === "children") {
        value.keys.forEach((sub, j) => {
          const child = parseGroup(inventory, sub, value.values[j]!, value.lines[j]!, warn);
          inventory.addChild(name, String(child));
        });
      } else if (key === "hosts") {
        value.keys.forEach((pattern, j) => {
          const hostLine = value.lines[j]!;
          if (typeof pattern !== "string") {
            throw new YamlInventoryError(`Host pattern ${pattern === null ? "None" : String(pattern)} must be a string. Enclose integers/floats in quotation marks.`, hostLine);
          }
          const { pattern: hostPattern, port } = splitPort(pattern);
          const hosts = hostPattern.includes("[") ? expandHostRange(hostPattern) : [hostPattern];
          const vars = value.values[j]!;
          if (!isFalsy(vars) && !(vars instanceof PyMap)) {
            throw new YamlInventoryError(`Invalid data from file, expected dictionary and got: ${JSON.stringify(String(vars)).slice(0, 200)}`, hostLine);
          }
          for (const host of hosts) {
            inventory.addHost(host, name, port);
            if (vars instanceof PyMap) {
              vars.keys.forEach((k, n) => {
                inventory.setVariable(host, jsonKey(k), toPlain(vars.values[n]!));
              });
            }
          }
        });
      } else {
        warn(`Skipping unexpected key (${String(key)}) in group (${name}), only "vars", "children" and "hosts" are valid`);
      }
    } catch (error) {
      if (error instanceof YamlInventoryError) throw error;
      if (error instanceof Error && !(error instanceof TypeError)) throw new YamlInventoryError(error.message, (error as { line?: number }).line ?? keyLine);
      throw error;
    }
  });
  return name;
}
