/**
 * Identity keys are `scheme:value` strings. Strong keys identify one real thing (a provider id, a
 * serial number, a machine-id, a MAC); weak keys (hostname, FQDN, IP, a Terraform address) match an
 * existing CI only when they are unique and no strong key contradicts them.
 */
export type KeyStrength = "strong" | "weak";

export interface IdentityKey {
  scheme: string;
  value: string;
  strength: KeyStrength;
}

export function keyString(key: Pick<IdentityKey, "scheme" | "value">): string {
  return `${key.scheme}:${key.value}`;
}

export function parseKey(text: string): { scheme: string; value: string } | undefined {
  const at = text.indexOf(":");
  if (at <= 0 || at === text.length - 1) return undefined;
  return { scheme: text.slice(0, at), value: text.slice(at + 1) };
}

export const strong = (scheme: string, value: string | number): IdentityKey => ({
  scheme,
  value: String(value),
  strength: "strong",
});
export const weak = (scheme: string, value: string | number): IdentityKey => ({
  scheme,
  value: String(value),
  strength: "weak",
});

/** MAC addresses in one canonical spelling, so that Proxmox's `BC:24:11:…` and Linux's `bc:24:11:…` meet. */
export function normalizeMac(mac: string): string | undefined {
  const hex = mac.toLowerCase().replace(/[^0-9a-f]/g, "");
  if (hex.length !== 12 || /^0+$/.test(hex) || /^f+$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(":");
}

export function macKey(mac: string): IdentityKey | undefined {
  const normal = normalizeMac(mac);
  return normal ? strong("mac", normal) : undefined;
}
