import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * OpenSSH known_hosts, read as sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" describes it: optional marker
 * (@cert-authority, @revoked), comma-separated host patterns (wildcards `*` `?`, negation `!`,
 * `[host]:port` for other ports) or one hashed name `|1|salt|hmac-sha1`, key type, base64 key.
 * Pure: the file is read and appended to by get.ts.
 */
export interface KnownHostEntry {
  line: number;
  marker?: "cert-authority" | "revoked";
  patterns?: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  key: Buffer;
}

export interface KnownHosts {
  entries: KnownHostEntry[];
  /** Lines that could not be read; they never match, and are reported so a typo does not go unseen. */
  problems: { line: number; message: string }[];
}

export type HostKeyVerdict =
  | { status: "match" }
  | { status: "unknown" }
  | { status: "revoked"; line: number }
  | { status: "changed"; lines: number[]; knownTypes: string[] };

export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHosts["problems"] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === "" || fields[0]!.startsWith("#")) return;
    let marker: KnownHostEntry["marker"];
    if (fields[0]!.startsWith("@")) {
      const name = fields.shift()!.slice(1);
      if (name !== "cert-authority" && name !== "revoked") {
        problems.push({ line, message: `unknown marker @${name}` });
        return;
      }
      marker = name;
    }
    const [hosts, keyType, base64] = fields;
    if (hosts === undefined || keyType === undefined || base64 === undefined) {
      problems.push({ line, message: "expected host patterns, key type and base64 key" });
      return;
    }
    const key = Buffer.from(base64, "base64");
    if (key.length === 0 || blobKeyType(key) !== keyType) {
      problems.push({ line, message: `the key does not decode to a ${keyType} key` });
      return;
    }
    const entry: KnownHostEntry = { line, keyType, key, ...(marker ? { marker } : {}) };
    if (hosts.startsWith("|1|")) {
      const [, , salt, hash] = hosts.split("|");
      if (!salt || !hash) {
        problems.push({ line, message: "a hashed host name must read |1|salt|hash" });
        return;
      }
      entry.hashed = { salt: Buffer.from(salt, "base64"), hash: Buffer.from(hash, "base64") };
    } else {
      entry.patterns = hosts.split(",").filter((p) => p !== "");
    }
    entries.push(entry);
  });
  return { entries, problems };
}

/** The name OpenSSH records a host under: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The line `acceptNew` appends for a host's key (plain, not hashed, like OpenSSH with HashKnownHosts no). */
export function knownHostLine(host: string, port: number, key: Buffer): string {
  return `${knownHostName(host, port)} ${blobKeyType(key)} ${key.toString("base64")}`;
}

/** The algorithm name inside an SSH public key blob (RFC 4253 §6.6: string type, then data). */
export function blobKeyType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const length = key.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > key.length) return undefined;
  return key.subarray(4, 4 + length).toString("latin1");
}

/** The fingerprint OpenSSH prints: SHA256 of the blob, unpadded base64. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "i").test(name);
}

/** OpenSSH match_hostname: a negated pattern that matches vetoes, otherwise any positive match. */
function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const mac = createHmac("sha1", entry.hashed.salt).update(name).digest();
    return mac.length === entry.hashed.hash.length && timingSafeEqual(mac, entry.hashed.hash);
  }
  let matched = false;
  for (const pattern of entry.patterns ?? []) {
    if (pattern.startsWith("!")) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/**
 * Judges the key a host presented. Stricter than OpenSSH in one case: a host that has keys on
 * record, none of them this one (also of another type), is "changed", never "unknown", so that a
 * server offering only a new key type cannot slip through acceptNew.
 */
export function checkHostKey(known: KnownHosts, host: string, port: number, presented: Buffer): HostKeyVerdict {
  const name = knownHostName(host, port);
  const forHost = known.entries.filter((e) => entryMatches(e, name));
  const revoked = forHost.find((e) => e.marker === "revoked" && e.key.equals(presented));
  if (revoked) return { status: "revoked", line: revoked.line };
  const plain = forHost.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(presented))) return { status: "match" };
  if (plain.length === 0) return { status: "unknown" };
  return { status: "changed", lines: plain.map((e) => e.line), knownTypes: [...new Set(plain.map((e) => e.keyType))] };
}

const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/**
 * Host key algorithms in the order to offer them: the types already on record for this host first
 * (as OpenSSH does), so that a host with an RSA key on record is not asked for its Ed25519 key.
 */
export function hostKeyAlgorithms(known: KnownHosts, host: string, port: number): string[] {
  const name = knownHostName(host, port);
  const knownTypes = known.entries.filter((e) => e.marker === undefined && entryMatches(e, name)).map((e) => e.keyType);
  const order = [...knownTypes, ...Object.keys(HOST_KEY_ALGORITHMS)];
  return [...new Set(order.flatMap((type) => HOST_KEY_ALGORITHMS[type] ?? []))];
}
