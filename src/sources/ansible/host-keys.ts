import { isIP } from "node:net";
import { type IdentityKey, KEY, weak } from "../../model/index.js";

const LOCAL_NAME = /^localhost(\.|$)/;

function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1";
}

/** Short lowercased host name and FQDN an inventory host name stands for; nothing for IPs and localhost. */
export function namesOf(inventoryName: string): { hostname?: string; fqdn?: string } {
  const name = inventoryName.trim().toLowerCase();
  if (name === "" || isIP(name) || LOCAL_NAME.test(name)) return {};
  const short = name.split(".")[0]!;
  return { hostname: short, ...(name.includes(".") ? { fqdn: name } : {}) };
}

/**
 * Weak keys of an inventory host name: `ip:` when it is an address, else `hostname:<short>` plus
 * `fqdn:` when it has dots. Loopback and `localhost` name every machine, so they give none.
 */
export function inventoryNameKeys(inventoryName: string): IdentityKey[] {
  const name = inventoryName.trim().toLowerCase();
  if (isIP(name)) return isLoopback(name) ? [] : [weak(KEY.ip, name)];
  const { hostname, fqdn } = namesOf(name);
  return [...(hostname ? [weak(KEY.hostname, hostname)] : []), ...(fqdn ? [weak(KEY.fqdn, fqdn)] : [])];
}

/** Weak key of `ansible_host`: `ip:` for an address, `fqdn:` with dots, `hostname:` without; none for loopback/localhost or templates. */
export function ansibleHostKeys(value: unknown): IdentityKey[] {
  if (typeof value !== "string") return [];
  const host = value.trim().toLowerCase();
  if (host === "" || host.includes("{{") || LOCAL_NAME.test(host)) return [];
  if (isIP(host)) return isLoopback(host) ? [] : [weak(KEY.ip, host)];
  return [host.includes(".") ? weak(KEY.fqdn, host) : weak(KEY.hostname, host)];
}

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}
