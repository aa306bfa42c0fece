/**
 * Tolerant readers for resource values. The same attribute is a number in state v4 and a string in
 * a legacy flatmap, a block is a one-element list, and absent is null or "" depending on the provider.
 */
export type Values = Record<string, unknown>;

export function str(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

export function bool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function obj(value: unknown): Values | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Values) : undefined;
}

/** A nested block (`cpu { … }`), stored as a list of one object. */
export function block(value: unknown): Values | undefined {
  return obj(list(value)[0]) ?? obj(value);
}

export function strings(value: unknown): string[] {
  return list(value)
    .map(str)
    .filter((s): s is string => s !== undefined);
}

export function stringMap(value: unknown): Record<string, string> | undefined {
  const o = obj(value);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    const s = typeof v === "string" ? v : str(v);
    if (s !== undefined) out[k] = s;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/** `32G`, `512M`, `1T` or a bare number of GB → GB. */
export function sizeGb(value: unknown): number | undefined {
  const n = num(value);
  if (n !== undefined) return n;
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT])?B?$/i.exec(value.trim());
  if (!match) return undefined;
  const factor = { K: 1 / (1024 * 1024), M: 1 / 1024, G: 1, T: 1024 }[(match[2] ?? "G").toUpperCase() as "K" | "M" | "G" | "T"];
  return Math.round(Number(match[1]) * factor * 1000) / 1000;
}

/** An IPv4/IPv6 address without its prefix length; undefined for dhcp, manual and the like. */
export function ipOf(value: unknown): string | undefined {
  const s = str(value);
  if (!s) return undefined;
  const address = s.split(/[,/]/)[0]!.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
    return address.startsWith("127.") || address.startsWith("169.254.") || address === "0.0.0.0" ? undefined : address;
  }
  if (address.includes(":") && /^[0-9a-f:]+$/i.test(address)) {
    const lower = address.toLowerCase();
    return lower === "::1" || lower.startsWith("fe80") ? undefined : lower;
  }
  return undefined;
}

/** Tags for the CI: a map as-is; a Proxmox tag list (`a;b`, `a,b` or an array) as `{ tag: "" }`, `k=v` split. */
export function tagsFrom(value: unknown): Record<string, string> | undefined {
  const map = stringMap(value);
  if (map && !Array.isArray(value)) return map;
  const items = typeof value === "string" ? value.split(/[;,\s]+/) : strings(value);
  const out: Record<string, string> = {};
  for (const item of items.map((t) => t.trim()).filter(Boolean)) {
    const eq = item.search(/[=:]/);
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else out[item] = "";
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function tagValue(tags: Record<string, string> | undefined, names: readonly string[]): string | undefined {
  if (!tags) return undefined;
  for (const name of names) {
    const hit = Object.keys(tags).find((k) => k.toLowerCase() === name);
    if (hit && tags[hit]) return tags[hit];
  }
  return undefined;
}

/** `arn:aws:ec2:us-east-1:123:instance/i-1` → `us-east-1`. */
export function regionFromArn(arn: unknown): string | undefined {
  const parts = str(arn)?.split(":");
  return parts && parts[0] === "arn" && parts[3] ? parts[3] : undefined;
}

export function regionFromZone(zone: string | undefined): string | undefined {
  return zone ? /^([a-z]{2}(?:-gov)?-[a-z]+-\d+)/.exec(zone)?.[1] : undefined;
}
