import { isIP } from "node:net";
import { KEY } from "../model/attributes.js";
import { schemeOf } from "./rules.js";

/**
 * Key quality: which key values identify nothing. Built-in knowledge of the field (placeholder
 * serials and UUIDs firmware fills in, virtual and shared MACs, addresses every host has), the
 * values a person told us to ignore, and the values learned to be shared (claimed by machines
 * that contradict each other). Pure.
 */
export type RefusalReason = "placeholder" | "shared" | "ignored";

export interface KeyVerdict {
  usable: boolean;
  reason?: RefusalReason;
  detail?: string;
}

const USABLE: KeyVerdict = { usable: true };

/** Case, spaces and punctuation do not make a placeholder a real value: `Not Specified` is `notspecified`. */
export function squash(value: string): string {
  return value.toLowerCase().replace(/[^0-9a-z]/g, "");
}

const PLACEHOLDER_SERIALS = new Set(
  [
    "none",
    "na",
    "n/a",
    "not specified",
    "not applicable",
    "not available",
    "not present",
    "to be filled by o.e.m.",
    "to be filled by oem",
    "default string",
    "system serial number",
    "chassis serial number",
    "base board serial number",
    "serial number",
    "0123456789",
    "123456789",
    "1234567890",
    "12345678",
    "unknown",
    "invalid",
    "null",
    "empty",
    "oem",
    "o.e.m.",
    "system product name",
    "ssn",
    "xxxxxxxxxx",
  ].map(squash),
);

const PLACEHOLDER_UUIDS = new Set(
  [
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    // AMI BIOS and many white-box boards ship this one.
    "03000200-0400-0500-0006-000700080009",
    "00020003-0004-0005-0006-000700080009",
    "12345678-1234-5678-90ab-cddeeff00000",
    "4c4c4544-0000-0000-0000-000000000000",
  ].map(squash),
);

/** QEMU's default NIC address when none is configured: every such guest has it. */
const PLACEHOLDER_MACS = new Set(["52:54:00:12:34:56", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"]);

const PLACEHOLDER_HOSTNAMES = new Set(["localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6", "default", "(none)", "none", "localdomain"]);

/** Why a MAC identifies no machine, or undefined when it may. */
function macVerdict(mac: string): string | undefined {
  const m = mac.toLowerCase();
  if (PLACEHOLDER_MACS.has(m)) return "a placeholder MAC address";
  if (/^00:00:5e:00:0[12]:/.test(m)) return "a VRRP virtual router MAC, shared by the routers of one group";
  if (/^02:42:/.test(m)) return "a Docker bridge MAC, derived from a container address every Docker host reuses";
  const first = Number.parseInt(m.slice(0, 2), 16);
  if (Number.isFinite(first) && (first & 1) === 1) return "a multicast MAC";
  return undefined;
}

/** Why an address identifies no machine, or undefined when it may. */
function ipVerdict(ip: string): string | undefined {
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split(".").map(Number) as [number, number];
    if (a === 127) return "a loopback address";
    if (a === 0) return "an unspecified address";
    if (a === 169 && b === 254) return "a link-local address";
    if (a >= 224) return "a multicast or reserved address";
    if (a === 172 && b === 17) return "an address of Docker's default bridge, reused on every Docker host";
    if (ip === "10.0.2.15" || ip === "10.0.2.2" || ip === "10.0.2.3") return "VirtualBox's NAT address, the same in every VM";
    if (ip === "192.168.122.1") return "libvirt's default bridge address, the same on every host";
    if (ip === "10.0.3.1") return "LXC's default bridge address, the same on every host";
    return undefined;
  }
  if (v === 6) {
    const l = ip.toLowerCase();
    if (l === "::1" || l === "::") return "a loopback or unspecified address";
    if (/^fe[89ab]/.test(l)) return "a link-local address";
    if (/^ff/.test(l)) return "a multicast address";
    return undefined;
  }
  return undefined;
}

/** What the field knows never to be an identity, whatever the data says. */
export function builtinVerdict(key: string): KeyVerdict {
  const scheme = schemeOf(key);
  const value = key.slice(scheme.length + 1);
  let detail: string | undefined;
  switch (scheme) {
    case KEY.serial: {
      const s = squash(value);
      if (s.length < 3 || PLACEHOLDER_SERIALS.has(s) || /^0+$/.test(s) || /^f+$/.test(s) || /^(.)\1+$/.test(s)) detail = "a placeholder serial number";
      break;
    }
    case KEY.smbiosUuid: {
      const s = squash(value);
      if (PLACEHOLDER_UUIDS.has(s) || /^0+$/.test(s) || /^f+$/.test(s)) detail = "a placeholder SMBIOS UUID";
      break;
    }
    case KEY.machineId:
      if (/^0+$/.test(squash(value))) detail = "an empty machine-id";
      break;
    case KEY.mac:
      detail = macVerdict(value);
      break;
    case KEY.ip:
      detail = ipVerdict(value);
      break;
    case KEY.hostname:
    case KEY.fqdn:
      if (PLACEHOLDER_HOSTNAMES.has(value.toLowerCase()) || /^localhost(\.|$)/.test(value.toLowerCase())) detail = "a default host name many machines have";
      break;
  }
  return detail ? { usable: false, reason: "placeholder", detail } : USABLE;
}

/** `identity.ignoreKeys`: exact keys, `*` wildcards, or `/regex/`. */
export function ignoreMatcher(patterns: readonly string[]): (key: string) => string | undefined {
  const tests = patterns.map((p) => {
    if (p.length > 2 && p.startsWith("/") && p.endsWith("/")) {
      const re = new RegExp(p.slice(1, -1), "i");
      return (key: string) => re.test(key);
    }
    if (p.includes("*")) {
      const re = new RegExp(`^${p.split("*").map(escapeRe).join(".*")}$`, "i");
      return (key: string) => re.test(key);
    }
    const exact = p.toLowerCase();
    return (key: string) => key.toLowerCase() === exact;
  });
  return (key) => {
    const i = tests.findIndex((t) => t(key));
    return i < 0 ? undefined : patterns[i];
  };
}

const escapeRe = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");

export interface SharedKey {
  key: string;
  reason: string;
  /** The CIs or observations that claimed it while contradicting each other. */
  evidence: string[];
}

/** One place that says whether a key may identify: built-in knowledge, the config, and what was learned. */
export class KeyQuality {
  private readonly ignored: (key: string) => string | undefined;

  constructor(
    ignoreKeys: readonly string[],
    private readonly shared: ReadonlyMap<string, string>,
  ) {
    this.ignored = ignoreMatcher(ignoreKeys);
  }

  verdict(key: string): KeyVerdict {
    const builtin = builtinVerdict(key);
    if (!builtin.usable) return builtin;
    const pattern = this.ignored(key);
    if (pattern) return { usable: false, reason: "ignored", detail: `matches identity.ignoreKeys entry ${JSON.stringify(pattern)}` };
    const shared = this.shared.get(key);
    if (shared) return { usable: false, reason: "shared", detail: shared };
    return USABLE;
  }
}
