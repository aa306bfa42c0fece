import { normalizeMac } from "../model/keys.js";

/**
 * Normalizers for comparing a declared value with a live one: the same fact spelt two ways
 * (`32G` and 34359738368 bytes, `prod;web` and `web,prod`, `1` and `true`) must compare equal.
 */

/** Gigabytes from a number already in GB, or a size text: `32G`, `512M`, `1T`, `34359738368` (bytes). */
export function sizeGb(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? round(value) : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(value.trim());
  if (!m) return undefined;
  const power = { "": -3, K: -2, M: -1, G: 0, T: 1 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G" | "T"];
  return round(Number(m[1]) * 1024 ** power);
}

/** A set of tags whatever its spelling: a map (`k=v`, or `k` when the value is empty), a list, or a `;`/`,`/space separated text. */
export function tagSet(value: unknown, drop: (key: string) => boolean = () => false): string[] | undefined {
  let items: string[];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") items = value.split(/[;,\s]+/);
  else if (Array.isArray(value)) items = value.map(String);
  else if (typeof value === "object") {
    items = Object.entries(value as Record<string, unknown>).map(([k, v]) => (v === "" || v === null || v === undefined ? k : `${k}=${String(v)}`));
  } else return undefined;
  const out = new Set<string>();
  for (const item of items.map((t) => t.trim()).filter(Boolean)) {
    const key = item.split("=")[0]!;
    if (!drop(key)) out.add(item);
  }
  return [...out].sort();
}

export function bool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === "1" || value === "true" || value === "yes" || value === "on") return true;
  if (value === 0 || value === "0" || value === "false" || value === "no" || value === "off") return false;
  return undefined;
}

export function text(value: unknown): string | undefined {
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") return undefined;
  const t = value.trim();
  return t === "" ? undefined : t;
}

export function int(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

export function mac(value: unknown): string | undefined {
  const t = text(value);
  return t ? (normalizeMac(t) ?? t.toLowerCase()) : undefined;
}

/** A set of identifiers (security group ids): sorted, unique; undefined when empty (a computed, unknown list). */
export function idSet(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const ids = [...new Set(value.map(text).filter((v): v is string => v !== undefined))].sort();
  return ids.length > 0 ? ids : undefined;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
