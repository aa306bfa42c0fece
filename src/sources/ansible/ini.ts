import { expandHostRange, RangeError_, splitPort } from "./hostpattern.js";
import { type InventoryData, InventoryError } from "./inventory-data.js";
import { LiteralCrash, literalEval } from "./pyliteral.js";
import { ShlexError, shlexSplit } from "./shlex.js";
import type { InventoryValue } from "./values.js";

/**
 * Ansible's `ini` inventory plugin (ansible-core 2.14), line for line: sections, `:children`
 * declared before or after the group, `:vars`, host lines cut by shlex, values typed by
 * `ast.literal_eval`. Errors carry the 1-based line.
 */
export class IniError extends Error {
  constructor(
    message: string,
    readonly line: number,
    /** ansible-inventory crashes on this input instead of rejecting it with a warning. */
    readonly crash = false,
  ) {
    super(message);
  }
}

// Python's str.splitlines() and str.strip() boundaries
// biome-ignore lint/complexity/useRegexLiterals: the literal form spells control characters, which lint rejects
const LINE_BREAK = new RegExp("\\r\\n|[\\n\\r\\v\\f\\x1c\\x1d\\x1e\\x85\\u2028\\u2029]");
const PY_SPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, "g");
const SECTION = /^\[([^:\]\s]+)(?::([\p{L}\p{N}_]+))?\]\s*(?:#.*)?$/u;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/u;

export function pyStrip(text: string): string {
  return text.replace(STRIP, "");
}

interface Pending {
  line: number;
  state: "vars" | "children";
  name: string;
  parents: string[];
}

export function parseIni(inventory: InventoryData, text: string): void {
  const lines = text.split(LINE_BREAK);
  const pending = new Map<string, Pending>();
  let groupname = "ungrouped";
  let state = "hosts";
  let lineno = 0;
  const fail = (message: string): never => {
    throw new IniError(message, lineno);
  };

  const addPendingChildren = (group: string): void => {
    const decl = pending.get(group)!;
    for (const parent of decl.parents) {
      inventory.addChild(parent, group);
      if (pending.get(parent)?.state === "children") addPendingChildren(parent);
    }
    pending.delete(group);
  };

  for (const rawLine of lines) {
    lineno++;
    const line = pyStrip(rawLine);
    if (!line || line[0] === "#" || line[0] === ";") continue;
    try {
      const m = SECTION.exec(line);
      if (m) {
        groupname = m[1]!;
        state = m[2] || "hosts";
        if (state !== "hosts" && state !== "children" && state !== "vars") {
          fail(`Section [${m[1]}:${m[2]}] has unknown type: ${state}`);
        }
        if (!inventory.groups.has(groupname)) {
          if (state === "vars" && !pending.has(groupname)) pending.set(groupname, { line: lineno, state: "vars", name: groupname, parents: [] });
          inventory.addGroup(groupname);
        }
        const decl = pending.get(groupname);
        if (decl && state !== "vars") {
          if (decl.state === "children") addPendingChildren(groupname);
          else pending.delete(groupname);
        }
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        fail(`Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`);
      }
      if (state === "hosts") {
        parseHostLine(inventory, line, groupname, fail);
      } else if (state === "vars") {
        const eq = line.indexOf("=");
        if (eq < 0) fail(`Expected key=value, got: ${line}`);
        inventory.setVariable(groupname, pyStrip(line.slice(0, eq)), typed(pyStrip(line.slice(eq + 1))));
      } else {
        const cm = GROUP_NAME.exec(line);
        if (!cm) fail(`Expected group name, got: ${line}`);
        const child = cm![1]!;
        if (!inventory.groups.has(child)) {
          const decl = pending.get(child);
          if (decl) decl.parents.push(groupname);
          else pending.set(child, { line: lineno, state: "children", name: child, parents: [groupname] });
        } else {
          inventory.addChild(groupname, child);
        }
      }
    } catch (error) {
      if (error instanceof IniError) throw error;
      if (error instanceof LiteralCrash) throw new IniError(error.message, lineno, true);
      if (error instanceof InventoryError || error instanceof RangeError_) throw new IniError(error.message, lineno);
      throw error;
    }
  }

  for (const decl of pending.values()) {
    if (decl.state === "vars") throw new IniError(`Section [${decl.name}:vars] not valid for undefined group: ${decl.name}`, decl.line);
    throw new IniError(`Section [${decl.parents[decl.parents.length - 1]}:children] includes undefined group: ${decl.name}`, decl.line);
  }
}

function typed(value: string): InventoryValue {
  return literalEval(value);
}

function parseHostLine(inventory: InventoryData, line: string, groupname: string, fail: (message: string) => never): void {
  let tokens: string[];
  try {
    tokens = shlexSplit(line);
  } catch (error) {
    if (error instanceof ShlexError) fail(`Error parsing host definition '${line}': ${error.message}`);
    throw error;
  }
  const pattern = tokens[0];
  if (pattern === undefined) fail("list index out of range");
  const { pattern: hostPattern, port } = splitPort(pattern!);
  const hostnames = hostPattern.includes("[") ? expandHostRange(hostPattern) : [hostPattern];
  if (pyStrip(pattern!).endsWith(":") && port === undefined) {
    fail(`Invalid host pattern '${pattern}' supplied, ending in ':' is not allowed, this character is reserved to provide a port.`);
  }
  if (hostnames.some((h) => pyStrip(h) === "---")) fail(`Invalid host pattern '${pattern}' supplied, '---' is normally a sign this is a YAML file.`);
  const variables: [string, InventoryValue][] = [];
  for (const t of tokens.slice(1)) {
    const eq = t.indexOf("=");
    if (eq < 0) fail(`Expected key=value host variable assignment, got: ${t}`);
    variables.push([t.slice(0, eq), typed(t.slice(eq + 1))]);
  }
  for (const host of hostnames) {
    inventory.addHost(host, groupname, port);
    for (const [k, v] of variables) inventory.setVariable(host, k, v);
  }
}
