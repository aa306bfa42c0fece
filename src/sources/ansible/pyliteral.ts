import { type InventoryValue, newDict } from "./values.js";

/**
 * Ansible's INI plugin types every value with Python's `ast.literal_eval`, keeping the text
 * unchanged when that raises ValueError or SyntaxError. This module reproduces that for the
 * literal subset (numbers, strings, bytes, True/False/None, lists, tuples, dicts, sets, `...`);
 * anything else is "not a literal" and stays a string, exactly as in Ansible.
 *
 * Literals that Python accepts but ansible-inventory 2.14 cannot print (complex, set, Ellipsis,
 * bytes inside a container, non-scalar dict keys) make ansible-inventory crash or reject the
 * source; they raise LiteralCrash here so the caller can report file and line.
 */
export class LiteralCrash extends Error {}

type Lit =
  | { k: "int" | "float"; v: number }
  | { k: "complex" }
  | { k: "str"; v: string }
  | { k: "bytes"; v: string }
  | { k: "bool"; v: boolean }
  | { k: "none" }
  | { k: "ellipsis" }
  | { k: "list" | "tuple" | "set"; items: Lit[] }
  | { k: "dict"; entries: [Lit, Lit][] };

type Tok =
  | { t: "num"; lit: Lit }
  | { t: "str"; v: string; bytes: boolean; f: boolean }
  | { t: "name"; v: string }
  | { t: "op"; v: string };

class NotLiteral extends Error {}

const NUM = /(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?[jJ]?)/y;
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}_]*/uy;
const STRING_PREFIX = /^(?:[rRuUbBfF]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF])$/;
const SIMPLE_ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\n": "" };

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\f") {
      i++;
      continue;
    }
    if (c === "#") break;
    if ((c >= "0" && c <= "9") || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      NUM.lastIndex = i;
      const m = NUM.exec(src);
      if (!m) throw new NotLiteral();
      toks.push({ t: "num", lit: numberLiteral(m[0]) });
      i += m[0].length;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(src);
    if (name) {
      const after = src[i + name[0].length];
      if ((after === "'" || after === '"') && STRING_PREFIX.test(name[0])) {
        i = readString(src, i + name[0].length, name[0].toLowerCase(), toks);
      } else {
        toks.push({ t: "name", v: name[0] });
        i += name[0].length;
      }
      continue;
    }
    if (c === "'" || c === '"') {
      i = readString(src, i, "", toks);
      continue;
    }
    if (src.startsWith("...", i)) {
      toks.push({ t: "op", v: "..." });
      i += 3;
      continue;
    }
    if ("()[]{},:+-".includes(c)) {
      toks.push({ t: "op", v: c });
      i++;
      continue;
    }
    throw new NotLiteral();
  }
  return toks;
}

function numberLiteral(text: string): Lit {
  const clean = text.replace(/_/g, "");
  if (/[jJ]$/.test(clean)) return { k: "complex" };
  if (/^0[xX]/.test(clean)) return { k: "int", v: Number.parseInt(clean.slice(2), 16) };
  if (/^0[oO]/.test(clean)) return { k: "int", v: Number.parseInt(clean.slice(2), 8) };
  if (/^0[bB]/.test(clean)) return { k: "int", v: Number.parseInt(clean.slice(2), 2) };
  if (/[.eE]/.test(clean)) return { k: "float", v: Number(clean) };
  // "leading zeros in decimal integer literals are not permitted" (SyntaxError), except 0, 00, …
  if (/^0+[1-9]/.test(clean)) throw new NotLiteral();
  return { k: "int", v: Number(clean) };
}

function readString(src: string, start: number, prefix: string, toks: Tok[]): number {
  const raw = prefix.includes("r");
  const bytes = prefix.includes("b");
  const q = src[start]!;
  const triple = src.startsWith(q.repeat(3), start);
  const close = triple ? q.repeat(3) : q;
  let i = start + close.length;
  let out = "";
  for (;;) {
    if (i >= src.length) throw new NotLiteral();
    if (src.startsWith(close, i)) break;
    const c = src[i]!;
    if (c === "\\") {
      const n = src[i + 1];
      if (n === undefined) throw new NotLiteral();
      if (raw) {
        out += c + n;
        i += 2;
        continue;
      }
      const e = decodeEscape(src, i, bytes);
      out += e.text;
      i = e.next;
      continue;
    }
    if (bytes && c.charCodeAt(0) > 0x7f) throw new NotLiteral();
    out += c;
    i++;
  }
  toks.push({ t: "str", v: out, bytes, f: prefix.includes("f") });
  return i + close.length;
}

function decodeEscape(src: string, i: number, bytes: boolean): { text: string; next: number } {
  const n = src[i + 1]!;
  const simple = SIMPLE_ESCAPES[n];
  if (simple !== undefined) return { text: simple, next: i + 2 };
  if (/[0-7]/.test(n)) {
    const m = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4))![0];
    return { text: String.fromCodePoint(Number.parseInt(m, 8) & (bytes ? 0xff : 0x1ff)), next: i + 1 + m.length };
  }
  const width = n === "x" ? 2 : !bytes && n === "u" ? 4 : !bytes && n === "U" ? 8 : 0;
  if (width > 0) {
    const hex = src.slice(i + 2, i + 2 + width);
    if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new NotLiteral();
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff) throw new NotLiteral();
    return { text: String.fromCodePoint(code), next: i + 2 + width };
  }
  // \N{NAME} needs Unicode's name table; such a value stays text.
  if (!bytes && n === "N") throw new NotLiteral();
  return { text: `\\${n}`, next: i + 2 };
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok | undefined {
    return this.toks[this.pos];
  }

  private isOp(v: string): boolean {
    const t = this.peek();
    return t?.t === "op" && t.v === v;
  }

  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new NotLiteral();
    this.pos++;
  }

  top(): Lit {
    if (this.toks.length === 0) throw new NotLiteral();
    const first = this.element();
    let result = first;
    if (this.isOp(",")) {
      const items = [first];
      while (this.isOp(",")) {
        this.pos++;
        if (this.pos >= this.toks.length) break;
        items.push(this.element());
      }
      result = { k: "tuple", items };
    }
    if (this.pos !== this.toks.length) throw new NotLiteral();
    return result;
  }

  private element(): Lit {
    const left = this.signed();
    if (this.isOp("+") || this.isOp("-")) {
      this.pos++;
      const right = this.atom();
      // only `<int|float> ± <imaginary>` is a literal; its value is a complex number
      if ((left.k === "int" || left.k === "float") && right.k === "complex") return { k: "complex" };
      throw new NotLiteral();
    }
    return left;
  }

  private signed(): Lit {
    if (this.isOp("+") || this.isOp("-")) {
      const negative = this.isOp("-");
      this.pos++;
      const operand = this.atom();
      if (operand.k === "int" || operand.k === "float") return { k: operand.k, v: negative ? -operand.v : operand.v };
      if (operand.k === "complex") return operand;
      throw new NotLiteral();
    }
    return this.atom();
  }

  private atom(): Lit {
    const t = this.peek();
    if (!t) throw new NotLiteral();
    let lit: Lit;
    if (t.t === "num") {
      this.pos++;
      lit = t.lit;
    } else if (t.t === "str") {
      lit = this.strings();
    } else if (t.t === "name") {
      this.pos++;
      if (t.v === "True" || t.v === "False") lit = { k: "bool", v: t.v === "True" };
      else if (t.v === "None") lit = { k: "none" };
      else if (t.v === "set" && this.isOp("(")) {
        this.pos++;
        this.expectOp(")");
        lit = { k: "set", items: [] };
      } else throw new NotLiteral();
    } else if (t.v === "...") {
      this.pos++;
      lit = { k: "ellipsis" };
    } else if (t.v === "(") {
      this.pos++;
      if (this.isOp(")")) {
        this.pos++;
        lit = { k: "tuple", items: [] };
      } else {
        const first = this.element();
        if (this.isOp(")")) {
          this.pos++;
          lit = first;
        } else {
          const items = [first, ...this.sequenceRest(")")];
          lit = { k: "tuple", items };
        }
      }
    } else if (t.v === "[") {
      this.pos++;
      if (this.isOp("]")) {
        this.pos++;
        lit = { k: "list", items: [] };
      } else lit = { k: "list", items: [this.element(), ...this.sequenceRest("]")] };
    } else if (t.v === "{") {
      this.pos++;
      lit = this.braces();
    } else throw new NotLiteral();
    // a call, subscript or attribute after an atom is not a literal
    if (this.isOp("(") || this.isOp("[")) throw new NotLiteral();
    return lit;
  }

  /** After a first element: `, x, y` up to `close`, trailing comma allowed. */
  private sequenceRest(close: string): Lit[] {
    const items: Lit[] = [];
    while (!this.isOp(close)) {
      this.expectOp(",");
      if (this.isOp(close)) break;
      items.push(this.element());
    }
    this.pos++;
    return items;
  }

  private braces(): Lit {
    if (this.isOp("}")) {
      this.pos++;
      return { k: "dict", entries: [] };
    }
    const first = this.element();
    if (!this.isOp(":")) return { k: "set", items: [first, ...this.sequenceRest("}")] };
    this.pos++;
    const entries: [Lit, Lit][] = [[first, this.element()]];
    while (!this.isOp("}")) {
      this.expectOp(",");
      if (this.isOp("}")) break;
      const key = this.element();
      this.expectOp(":");
      entries.push([key, this.element()]);
    }
    this.pos++;
    return { k: "dict", entries };
  }

  private strings(): Lit {
    let text = "";
    let kind: boolean | undefined;
    for (let t = this.peek(); t?.t === "str"; t = this.peek()) {
      if (t.f || (kind !== undefined && kind !== t.bytes)) throw new NotLiteral();
      kind = t.bytes;
      text += t.v;
      this.pos++;
    }
    return kind ? { k: "bytes", v: text } : { k: "str", v: text };
  }
}

function pyFloatKey(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v);
}

function convert(lit: Lit, top: boolean): InventoryValue {
  switch (lit.k) {
    case "int":
    case "float":
      return lit.v;
    case "str":
      return lit.v;
    case "bytes":
      if (top) return Buffer.from(lit.v, "latin1").toString("utf8");
      throw new LiteralCrash("bytes inside a list or dict is not JSON serializable");
    case "bool":
      return lit.v;
    case "none":
      return null;
    case "list":
    case "tuple":
      return lit.items.map((item) => convert(item, false));
    case "dict": {
      const out = newDict();
      for (const [k, v] of lit.entries) out[dictKey(k)] = convert(v, false);
      return out;
    }
    case "complex":
    case "set":
    case "ellipsis":
      throw new LiteralCrash(`a Python ${lit.k === "ellipsis" ? "Ellipsis" : lit.k} is not JSON serializable`);
  }
}

function dictKey(lit: Lit): string {
  switch (lit.k) {
    case "str":
      return lit.v;
    case "int":
      return String(lit.v);
    case "float":
      return pyFloatKey(lit.v);
    case "bool":
      return lit.v ? "true" : "false";
    case "none":
      return "null";
    case "list":
    case "dict":
    case "set":
      throw new LiteralCrash(`unhashable type: '${lit.k}' used as a dict key`);
    default:
      throw new LiteralCrash(`a dict key of type ${lit.k} is not JSON serializable`);
  }
}

/** Python's tokenizer refuses more than 200 nested brackets (SyntaxError), so the INI plugin keeps such a value as text. */
const MAX_NESTING = 200;

function nesting(toks: Tok[]): number {
  let depth = 0;
  let most = 0;
  for (const t of toks) {
    if (t.t !== "op") continue;
    if (t.v === "(" || t.v === "[" || t.v === "{") most = Math.max(most, ++depth);
    else if (t.v === ")" || t.v === "]" || t.v === "}") depth--;
  }
  return most;
}

/**
 * `ast.literal_eval(text)` as Ansible's INI plugin uses it: the typed value, or the text itself when
 * it is not a Python literal. Throws LiteralCrash where ansible-inventory would fail.
 */
export function literalEval(text: string): InventoryValue {
  let lit: Lit;
  try {
    const toks = tokenize(text.replace(/^[ \t]+/, ""));
    if (nesting(toks) > MAX_NESTING) return text;
    lit = new Parser(toks).top();
  } catch (error) {
    if (error instanceof NotLiteral) return text;
    throw error;
  }
  return convert(lit, true);
}
