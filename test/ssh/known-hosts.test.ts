import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { blobKeyType, checkHostKey, fingerprint, hostKeyAlgorithms, knownHostLine, parseKnownHosts } from "../../src/sources/ssh/known-hosts.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";

const dir = join(TEST_FIXTURES, "ssh/known-hosts");
const known = parseKnownHosts(readFileSync(join(dir, "known_hosts"), "utf8"));
const key = (name: string) => Buffer.from(readFileSync(join(dir, `${name}.pub`), "utf8").split(/\s+/)[1]!, "base64");

describe("known_hosts parsing (file hashed by ssh-keygen -H)", () => {
  it("reads plain, hashed and marked entries and reports the unreadable lines by number", () => {
    expect(known.entries.filter((e) => e.hashed)).toHaveLength(4);
    expect(known.entries.find((e) => e.marker === "cert-authority")?.patterns).toEqual(["*.example.net"]);
    expect(known.problems.map((p) => p.line)).toEqual([10, 11, 12]);
    expect(known.problems[0]!.message).toMatch(/does not decode to a ssh-ed25519 key/);
    expect(known.problems[1]!.message).toMatch(/unknown marker @bogus/);
  });

  it("matches hashed names, each alias of a hashed line, and the [host]:port form only on its port", () => {
    expect(checkHostKey(known, "web1.example.net", 22, key("a"))).toEqual({ status: "match" });
    expect(checkHostKey(known, "192.0.2.10", 22, key("a"))).toEqual({ status: "match" });
    expect(checkHostKey(known, "WEB1.example.net", 22, key("a")).status).toBe("unknown");
    expect(checkHostKey(known, "web1.example.net", 2222, key("b"))).toEqual({ status: "match" });
    expect(checkHostKey(known, "web1.example.net", 2222, key("a")).status).toBe("changed");
    expect(checkHostKey(known, "db1.example.net", 22, key("rsa"))).toEqual({ status: "match" });
    expect(checkHostKey(known, "legacy.example.net", 22, key("ec"))).toEqual({ status: "match" });
  });

  it("reports a different key for a known host as changed, naming the lines and types on record", () => {
    expect(checkHostKey(known, "web1.example.net", 22, key("b"))).toEqual({ status: "changed", lines: [2], knownTypes: ["ssh-ed25519"] });
    expect(checkHostKey(known, "db1.example.net", 22, key("a"))).toEqual({ status: "changed", lines: [5], knownTypes: ["ssh-rsa"] });
  });

  it("honours wildcards and negations", () => {
    expect(checkHostKey(known, "n1.lab.example.net", 22, key("c"))).toEqual({ status: "match" });
    expect(checkHostKey(known, "bad.lab.example.net", 22, key("c")).status).toBe("unknown");
    expect(checkHostKey(known, "lab.example.net", 22, key("c")).status).toBe("unknown");
  });

  it("never takes a @cert-authority key for a host key, and refuses a @revoked key everywhere", () => {
    expect(checkHostKey(known, "x.example.net", 22, key("d")).status).toBe("unknown");
    expect(checkHostKey(known, "anything.example.org", 2200, key("e"))).toEqual({ status: "revoked", line: 8 });
  });

  it("offers the key types on record first (RSA's SHA-2 signatures for an ssh-rsa key)", () => {
    expect(hostKeyAlgorithms(known, "db1.example.net", 22).slice(0, 3)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    expect(hostKeyAlgorithms(known, "unknown.example.org", 22)[0]).toBe("ssh-ed25519");
  });

  it("writes lines that it reads back, and fingerprints as ssh-keygen -l prints them", () => {
    const line = knownHostLine("10.0.0.5", 2022, key("b"));
    expect(line.startsWith("[10.0.0.5]:2022 ssh-ed25519 ")).toBe(true);
    expect(checkHostKey(parseKnownHosts(line), "10.0.0.5", 2022, key("b"))).toEqual({ status: "match" });
    expect(blobKeyType(key("rsa"))).toBe("ssh-rsa");
    expect(fingerprint(key("a"))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
