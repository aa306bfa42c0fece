/**
 * Terraform addresses, spelled exactly as Terraform spells them: `module.net["a"].aws_subnet.this[0]`.
 * String instance keys are HCL quoted strings; numeric keys are bare.
 */

export type InstanceKey = string | number;

/** An HCL quoted string, as Terraform writes string instance keys (addrs.StringKey). */
export function hclQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      default: {
        const code = ch.codePointAt(0)!;
        out += code < 0x20 ? `\\u${code.toString(16).padStart(4, "0")}` : ch;
      }
    }
  }
  // HCL would read `${` and `%{` as template sequences, so Terraform doubles their introducer.
  return `${out.replace(/\$\{/g, "$${").replace(/%\{/g, "%%{")}"`;
}

export function keySuffix(key: InstanceKey | null | undefined): string {
  if (key === null || key === undefined) return "";
  return typeof key === "number" ? `[${key}]` : `[${hclQuote(key)}]`;
}

/** `module.a.module.b["x"]` + `aws_vpc.main` + key → a resource instance address. */
export function instanceAddress(
  module: string,
  mode: "managed" | "data",
  type: string,
  name: string,
  key: InstanceKey | null | undefined,
): string {
  const resource = `${mode === "data" ? "data." : ""}${type}.${name}${keySuffix(key)}`;
  return module ? `${module}.${resource}` : resource;
}

/**
 * The configuration address of an instance address: every instance key removed, module keys too.
 * `dependencies` in state name configuration addresses, so instances are matched on this form.
 */
export function configAddress(address: string): string {
  let out = "";
  let depth = 0;
  let inString = false;
  for (let i = 0; i < address.length; i++) {
    const ch = address[i]!;
    if (depth > 0) {
      if (inString) {
        if (ch === "\\") i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === "]") depth--;
      else if (ch === "[") depth++;
      continue;
    }
    if (ch === "[") depth++;
    else out += ch;
  }
  return out;
}
