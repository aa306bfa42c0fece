import { type Document, isAlias, isMap, isScalar, isSeq, type Node, parseAllDocuments, type Scalar, type YAMLMap } from "yaml";
import { type InventoryValue, jsonKey, newDict, UnsafeValue, VaultValue } from "./values.js";

/**
 * Ansible's DataLoader for inventory and vars files: JSON first (with the `__ansible_vault` /
 * `__ansible_unsafe` object hook), else YAML as PyYAML's YAML 1.1 SafeLoader plus Ansible's
 * constructors (`!vault`, `!unsafe`, duplicate keys keep the last value) reads it: yes/no/on/off
 * booleans, `0755` octal, `190:20:30` sexagesimal, `1e3` a string, timestamps printed as
 * Python's isoformat(), `<<` merge keys.
 *
 * Mappings come back as PyMap (ordered, keys typed as in Python) so the inventory plugin can
 * reproduce Ansible's checks on keys; `toPlain` turns them into JSON-like dicts.
 */
export class YamlLoadError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

export type PyKey = string | number | boolean | null;
export type PyData = InventoryValue | PyMap | PyData[] | Unrepresentable;

/** A value Python can hold but ansible-inventory cannot print (bytes, set, …); fails when used. */
export class Unrepresentable {
  constructor(
    readonly description: string,
    readonly line: number,
  ) {}
}

export class PyMap {
  readonly keys: PyKey[] = [];
  readonly values: PyData[] = [];
  readonly lines: number[] = [];
  private readonly index = new Map<string, number>();
  constructor(readonly line: number) {}

  set(key: PyKey, value: PyData, line: number): void {
    const id = `${typeof key}:${String(key)}`;
    const at = this.index.get(id);
    if (at === undefined) {
      this.index.set(id, this.keys.length);
      this.keys.push(key);
      this.values.push(value);
      this.lines.push(line);
    } else {
      this.values[at] = value;
    }
  }

  get(key: string): PyData | undefined {
    const at = this.index.get(`string:${key}`);
    return at === undefined ? undefined : this.values[at];
  }

  has(key: string): boolean {
    return this.index.has(`string:${key}`);
  }

  replace(key: string, value: PyData): void {
    const at = this.index.get(`string:${key}`);
    if (at !== undefined) this.values[at] = value;
  }
}

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const TRUE_WORDS = new Set(["yes", "true", "on"]);
const NULL = /^(?:~|null|Null|NULL|)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP = /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;
const TIMESTAMP_PARTS =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;
const TAG = "tag:yaml.org,2002:";

function constructInt(text: string, line: number): number {
  let value = text.replace(/_/g, "");
  let sign = 1;
  if (value[0] === "-") sign = -1;
  if (value[0] === "-" || value[0] === "+") value = value.slice(1);
  let n: number;
  if (value === "0") n = 0;
  else if (value.startsWith("0b")) n = strictInt(value.slice(2), 2, text, line);
  else if (value.startsWith("0x")) n = strictInt(value.slice(2), 16, text, line);
  else if (value[0] === "0") n = strictInt(value, 8, text, line);
  else if (value.includes(":")) {
    n = 0;
    let base = 1;
    for (const digit of value.split(":").reverse()) {
      n += strictInt(digit, 10, text, line) * base;
      base *= 60;
    }
  } else n = strictInt(value, 10, text, line);
  return sign * n;
}

function strictInt(digits: string, radix: number, text: string, line: number): number {
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) throw new YamlLoadError(`invalid literal for int() with base ${radix}: '${text}'`, line);
  return Number.parseInt(digits, radix);
}

function constructFloat(text: string, line: number): number {
  let value = text.replace(/_/g, "").toLowerCase();
  let sign = 1;
  if (value[0] === "-") sign = -1;
  if (value[0] === "-" || value[0] === "+") value = value.slice(1);
  if (value === ".inf") return sign * Number.POSITIVE_INFINITY;
  if (value === ".nan") return Number.NaN;
  if (value.includes(":")) {
    let n = 0;
    let base = 1;
    for (const digit of value.split(":").reverse()) {
      n += Number(digit) * base;
      base *= 60;
    }
    return sign * n;
  }
  const n = Number(value);
  if (Number.isNaN(n)) throw new YamlLoadError(`could not convert string to float: '${text}'`, line);
  return sign * n;
}

const pad = (n: number | string, width: number): string => String(n).padStart(width, "0");

/** A YAML timestamp as Python's date/datetime isoformat() prints it. */
function constructTimestamp(text: string, line: number): string {
  const m = TIMESTAMP_PARTS.exec(text);
  if (!m) throw new YamlLoadError(`invalid timestamp: '${text}'`, line);
  const [, y, mo, d, h, mi, s, fraction, tz, tzSign, tzHour, tzMinute] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth) throw new YamlLoadError(`invalid date in timestamp '${text}'`, line);
  const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  if (h === undefined) return date;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw new YamlLoadError(`invalid time in timestamp '${text}'`, line);
  let out = `${date}T${pad(h, 2)}:${mi}:${s}`;
  const micro = fraction ? Number(fraction.slice(0, 6).padEnd(6, "0")) : 0;
  if (micro) out += `.${pad(micro, 6)}`;
  if (tzSign) {
    const minutes = Number(tzHour) * 60 + Number(tzMinute ?? 0);
    out += `${tzSign === "-" && minutes !== 0 ? "-" : "+"}${pad(Math.floor(minutes / 60), 2)}:${pad(minutes % 60, 2)}`;
  } else if (tz) out += "+00:00";
  return out;
}

function resolvePlain(text: string, line: number): PyData {
  const c = text[0];
  if (c === undefined || NULL.test(text)) return null;
  if (BOOL.test(text)) return TRUE_WORDS.has(text.toLowerCase());
  if ("-+0123456789.".includes(c)) {
    if (FLOAT.test(text)) return constructFloat(text, line);
    if (INT.test(text)) return constructInt(text, line);
    if (TIMESTAMP.test(text)) return constructTimestamp(text, line);
  }
  if (text === "=") throw new YamlLoadError("could not determine a constructor for the tag 'tag:yaml.org,2002:value'", line);
  return text;
}

class Walker {
  private readonly lineStarts: number[] = [0];
  private readonly active = new Set<Node>();

  constructor(
    private readonly doc: Document.Parsed,
    text: string,
    private readonly json: boolean,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  line(node: Node | null | undefined): number {
    const offset = node?.range?.[0] ?? 0;
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private deref(node: unknown): Node | null {
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) throw new YamlLoadError(`found undefined alias ${node.source}`, this.line(node));
      return target as Node;
    }
    return (node as Node | null) ?? null;
  }

  walk(raw: unknown): PyData {
    const node = this.deref(raw);
    if (node === null) return null;
    if (this.active.has(node)) throw new YamlLoadError("recursive alias", this.line(node));
    this.active.add(node);
    try {
      return this.construct(node);
    } finally {
      this.active.delete(node);
    }
  }

  private construct(node: Node): PyData {
    const tag = node.tag;
    const line = this.line(node);
    if (tag === "!unsafe") return wrapUnsafe(isScalar(node) ? String((node as Scalar).value ?? "") : this.constructUntagged(node));
    if (tag === "!vault" || tag === "!vault-encrypted") {
      if (!isScalar(node)) throw new YamlLoadError("expected a scalar node for !vault", line);
      return new VaultValue(String((node as Scalar).value ?? ""));
    }
    if (tag === undefined || tag === "!" || tag === `${TAG}map` || tag === `${TAG}seq` || tag === `${TAG}str`) {
      if (tag === `${TAG}str` && isScalar(node)) return String(node.value ?? "");
      return this.constructUntagged(node);
    }
    if (isScalar(node)) {
      const text = String(node.value ?? "");
      switch (tag) {
        case `${TAG}int`:
          return constructInt(text, line);
        case `${TAG}float`:
          return constructFloat(text, line);
        case `${TAG}bool`: {
          const word = text.toLowerCase();
          if (!BOOL.test(text)) throw new YamlLoadError(`invalid boolean '${text}'`, line);
          return TRUE_WORDS.has(word);
        }
        case `${TAG}null`:
          return null;
        case `${TAG}timestamp`:
          return constructTimestamp(text, line);
        case `${TAG}binary`:
          return new Unrepresentable("a !!binary value (Python bytes)", line);
      }
    }
    if (tag === `${TAG}set`) return new Unrepresentable("a !!set value (Python set)", line);
    throw new YamlLoadError(`could not determine a constructor for the tag '${tag}'`, line);
  }

  private constructUntagged(node: Node): PyData {
    if (isScalar(node)) {
      if (this.json) return (node.value ?? null) as PyData;
      const text = String(node.value ?? "");
      return node.type === "PLAIN" && node.tag === undefined ? resolvePlain(text, this.line(node)) : text;
    }
    if (isSeq(node)) return node.items.map((item) => this.walk(item));
    if (isMap(node)) return this.json ? jsonHook(this.mapping(node)) : this.mapping(node);
    throw new YamlLoadError("unexpected YAML node", this.line(node));
  }

  private isMergeKey(key: unknown): boolean {
    return !this.json && isScalar(key) && key.type === "PLAIN" && key.tag === undefined && key.value === "<<";
  }

  /** PyYAML's flatten_mapping: merged pairs first (first listed mapping wins), own pairs last. */
  private pairs(map: YAMLMap): [unknown, unknown][] {
    const merged: [unknown, unknown][] = [];
    const own: [unknown, unknown][] = [];
    for (const pair of map.items) {
      if (!this.isMergeKey(pair.key)) {
        own.push([pair.key, pair.value]);
        continue;
      }
      const value = this.deref(pair.value);
      if (isMap(value)) merged.push(...this.pairs(value));
      else if (isSeq(value)) {
        const groups: [unknown, unknown][][] = [];
        for (const item of value.items) {
          const sub = this.deref(item);
          if (!isMap(sub)) throw new YamlLoadError("expected a mapping for merging", this.line(sub));
          groups.push(this.pairs(sub));
        }
        for (const g of groups.reverse()) merged.push(...g);
      } else throw new YamlLoadError("expected a mapping or list of mappings for merging", this.line(value));
    }
    return [...merged, ...own];
  }

  private mapping(map: YAMLMap): PyMap {
    const out = new PyMap(this.line(map));
    for (const [keyNode, valueNode] of this.pairs(map)) {
      const key = this.walk(keyNode);
      const keyLine = this.line(this.deref(keyNode) ?? (valueNode as Node | null));
      if (key instanceof PyMap || Array.isArray(key)) {
        throw new YamlLoadError(`found unacceptable key (unhashable type: '${key instanceof PyMap ? "dict" : "list"}')`, keyLine);
      }
      const k: PyKey = key instanceof UnsafeValue ? key.text : key instanceof VaultValue || key instanceof Unrepresentable ? String(key) : (key as PyKey);
      out.set(k, this.walk(valueNode), keyLine);
    }
    return out;
  }
}

/** Ansible's JSON object hook: a dict holding `__ansible_vault` or `__ansible_unsafe` becomes that value. */
function jsonHook(map: PyMap): PyData {
  for (let i = 0; i < map.keys.length; i++) {
    const key = map.keys[i];
    const value = map.values[i];
    if (key === "__ansible_vault") return new VaultValue(String(value));
    if (key === "__ansible_unsafe") return wrapUnsafe(value ?? null);
  }
  return map;
}

function wrapUnsafe(value: PyData): PyData {
  if (typeof value === "string") return new UnsafeValue(value);
  if (Array.isArray(value)) return value.map(wrapUnsafe);
  if (value instanceof PyMap) {
    const out = new PyMap(value.line);
    value.keys.forEach((k, i) => {
      out.set(k, wrapUnsafe(value.values[i]!), value.lines[i]!);
    });
    return out;
  }
  return value;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The 1-based line of an offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** Loads a file's text as Ansible's DataLoader.load does; null for an empty document. */
export function loadData(text: string): PyData {
  if (text.startsWith("$ANSIBLE_VAULT;")) {
    throw new YamlLoadError("the file is vault-encrypted; cmdb does not decrypt vaults (Ansible would need the vault password too)", 1);
  }
  const json = isJson(text);
  // prettyErrors off: the library prettifies every error with its line, which for a 40 KB line of 40,000
  // errors (`[[[[…` spliced into a value) took seconds; only the first is said, and its line is counted here.
  const docs = parseAllDocuments(
    text,
    json ? { version: "1.2", schema: "json", uniqueKeys: false, prettyErrors: false } : { version: "1.1", schema: "failsafe", uniqueKeys: false, merge: false, prettyErrors: false },
  );
  if (!Array.isArray(docs)) return null;
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new YamlLoadError(error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, ""), lineAt(text, error.pos[0]));
  }
  if (docs.length === 0) return null;
  if (docs.length > 1) {
    const walker = new Walker(docs[1]!, text, json);
    throw new YamlLoadError("expected a single document in the stream, but found another document", walker.line(docs[1]!.contents));
  }
  const doc = docs[0]!;
  return new Walker(doc, text, json).walk(doc.contents);
}

/** PyMap → null-prototype dicts with keys as Python's json writes them. */
export function toPlain(value: PyData): InventoryValue {
  if (value instanceof PyMap) {
    const out = newDict();
    value.keys.forEach((k, i) => {
      out[jsonKey(k)] = toPlain(value.values[i]!);
    });
    return out;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Unrepresentable) {
    throw new YamlLoadError(`${value.description} cannot be printed as JSON (ansible-inventory 2.14 crashes on it)`, value.line);
  }
  return value;
}
