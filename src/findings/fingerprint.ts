import { createHash } from "node:crypto";
import { parseKey } from "../model/keys.js";

/**
 * Key schemes from the most to the least telling: a provider's own id names one thing for its whole
 * life; hardware ids survive a rename; names and addresses come last.
 */
const RANK = [
  "aws.instance",
  "proxmox.vm",
  "aws.volume",
  "aws.vpc",
  "aws.subnet",
  "aws.sg",
  "aws.eni",
  "aws.eip",
  "aws.arn",
  "aws.s3",
  "aws.route53",
  "proxmox.node",
  "proxmox.storage",
  "proxmox.cluster",
  "smbios.uuid",
  "machine-id",
  "serial",
  "mac",
  "terraform",
  "fqdn",
  "hostname",
  "ansible.host",
  "ip",
];

function rank(key: string): number {
  const scheme = parseKey(key)?.scheme ?? "";
  const i = RANK.indexOf(scheme);
  return i >= 0 ? i : RANK.length;
}

/** The CI's strongest key: the one a fingerprint and a person's ignore rule name it by. */
export function strongestKey(keys: readonly string[], fallback: string): string {
  let best: string | undefined;
  for (const k of keys) {
    if (best === undefined || rank(k) < rank(best) || (rank(k) === rank(best) && k < best)) best = k;
  }
  return best ?? fallback;
}

/** kind + key + attribute path, never the values: a value that keeps changing stays one finding. */
export function fingerprint(kind: string, key: string, attribute?: string): string {
  return createHash("sha256")
    .update(`${kind}\u0000${key}\u0000${attribute ?? ""}`)
    .digest("hex")
    .slice(0, 20);
}
