import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { cpus, hostname, machine, release, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectSsh, type SshConfig } from "../../src/sources/ssh/source.js";
import { freePort, keygen, type Sshd, sshdAvailability, startSshd } from "../helpers/sshd.js";

const available = sshdAvailability();

describe.runIf(available.ok)("SSH discovery against a real OpenSSH sshd on loopback", () => {
  let sshd: Sshd;
  let scratch: string;
  const base = (): Omit<SshConfig, "hosts"> => ({ identityFiles: [sshd.userKey], knownHostsFile: sshd.knownHostsFile, useAgent: false, timeoutMs: 15_000 });

  beforeAll(async () => {
    sshd = await startSshd();
    scratch = mkdtempSync(join(tmpdir(), "cmdb-ssh-test-"));
  });
  afterAll(async () => {
    await sshd?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("collects this machine and agrees with what the machine itself says", async () => {
    const { batches, errors } = await collectSsh({ ...base(), hosts: [{ host: sshd.host, port: sshd.port, name: "loopback" }] });
    expect(errors).toEqual([]);
    expect(batches).toHaveLength(1);
    const batch = batches[0]!;
    expect(batch).toMatchObject({ source: "ssh", scope: "ssh:loopback", complete: true, relationships: [] });
    const [observation] = batch.observations;
    const a = observation!.attributes;

    const meminfoKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]);
    const osRelease = readFileSync("/etc/os-release", "utf8");
    const versionId = /^VERSION_ID="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
    const uptime = Number.parseFloat(readFileSync("/proc/uptime", "utf8"));
    expect(observation!.name).toBe("loopback");
    expect(a.hostname).toBe(hostname().split(".")[0]!.toLowerCase());
    expect(a.kernel).toBe(release());
    expect(a.architecture).toBe(machine());
    expect(a.cpu_cores).toBe(cpus().length);
    expect(a.memory_mb).toBe(Math.floor(meminfoKb / 1024));
    if (versionId) expect(a.os_version).toBe(versionId);
    expect(Math.abs((a.uptime_seconds as number) - uptime)).toBeLessThan(60);
    if (existsSync("/etc/machine-id")) {
      const machineId = readFileSync("/etc/machine-id", "utf8").trim();
      expect(observation!.keys).toContainEqual({ scheme: "machine-id", value: machineId, strength: "strong" });
    }
    expect(observation!.keys).toContainEqual({ scheme: "hostname", value: a.hostname, strength: "weak" });
    const ports = a.listening_ports as { port: number; address: string; process?: string }[];
    const own = ports.find((p) => p.port === sshd.port && p.address === "127.0.0.1");
    expect(own).toBeDefined();
    if (process.getuid?.() === 0) expect(own!.process).toBe("sshd");

    const hostKeyPub = join(sshd.dir, "host_ed25519.pub");
    const sshKeygenFingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", hostKeyPub], { encoding: "utf8" }).split(/\s+/)[1];
    expect(batch.meta?.hostKey).toBe(sshKeygenFingerprint);
    expect(a.ssh_host_key).toBe(sshKeygenFingerprint);
  });

  it("refuses a host whose key is not in known_hosts, and leaves the file alone", async () => {
    const file = join(scratch, "empty_known_hosts");
    writeFileSync(file, "");
    const { batches, errors } = await collectSsh({ ...base(), knownHostsFile: file, hosts: [{ host: sshd.host, port: sshd.port }] });
    expect(batches).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.where).toBe("ssh:127.0.0.1");
    expect(errors[0]!.message).toMatch(/host key SHA256:\S+ of \[127\.0\.0\.1\]:\d+ is not in /);
    expect(readFileSync(file, "utf8")).toBe("");
  });

  it("refuses a changed host key, also with acceptNew", async () => {
    const other = keygen(join(scratch, "other_host_key"));
    const [type, blob] = readFileSync(`${other}.pub`, "utf8").split(/\s+/);
    const file = join(scratch, "changed_known_hosts");
    const content = `[127.0.0.1]:${sshd.port} ${type} ${blob}\n`;
    writeFileSync(file, content);
    for (const acceptNew of [false, true]) {
      const { batches, errors } = await collectSsh({ ...base(), acceptNew, knownHostsFile: file, hosts: [{ host: sshd.host, port: sshd.port }] });
      expect(batches).toEqual([]);
      expect(errors[0]!.message).toMatch(/HOST KEY CHANGED/);
    }
    expect(readFileSync(file, "utf8")).toBe(content);
  });

  it("with acceptNew records an unknown host key in known_hosts, which then verifies the next run", async () => {
    const file = join(scratch, "sub", "accept_known_hosts");
    const first = await collectSsh({ ...base(), acceptNew: true, knownHostsFile: file, hosts: [{ host: sshd.host, port: sshd.port }] });
    expect(first.errors).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(`${sshd.knownHostsLine}\n`);
    const second = await collectSsh({ ...base(), knownHostsFile: file, hosts: [{ host: sshd.host, port: sshd.port }] });
    expect(second.errors).toEqual([]);
    expect(second.batches).toHaveLength(1);
  });

  it("reports a refused key for one host while the next host is collected", async () => {
    const wrongKey = keygen(join(scratch, "unauthorized_key"));
    const { batches, errors } = await collectSsh({
      ...base(),
      hosts: [
        { host: sshd.host, port: sshd.port, name: "wrong-key", identityFile: wrongKey },
        { host: sshd.host, port: sshd.port, name: "right-key" },
      ],
    });
    expect(batches.map((b) => b.scope)).toEqual(["ssh:right-key"]);
    expect(errors).toEqual([{ where: "ssh:wrong-key", message: expect.stringMatching(/authentication failed for \S+ \(tried publickey\)/) }]);
  });

  it("reports a port nobody listens on", async () => {
    const port = await freePort();
    const { batches, errors } = await collectSsh({ ...base(), hosts: [{ host: "127.0.0.1", port, name: "closed" }] });
    expect(batches).toEqual([]);
    expect(errors).toEqual([{ where: "ssh:closed", message: expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${port}: cannot connect: ECONNREFUSED`)) }]);
  });

  it("reaches a host through a jump host, checking both host keys", async () => {
    const jump = `${sshd.user}@127.0.0.1:${sshd.port}`;
    const { batches, errors } = await collectSsh({ ...base(), hosts: [{ host: "127.0.0.1", port: sshd.port, name: "behind-jump", jump }] });
    expect(errors).toEqual([]);
    expect(batches[0]!.meta).toMatchObject({ jump: "127.0.0.1" });
    expect(batches[0]!.observations[0]!.keys.length).toBeGreaterThan(0);

    const file = join(scratch, "jump_empty_known_hosts");
    writeFileSync(file, "");
    const refused = await collectSsh({ ...base(), knownHostsFile: file, hosts: [{ host: "127.0.0.1", port: sshd.port, name: "behind-jump", jump }] });
    expect(refused.errors[0]!.message).toMatch(/is not in/);
  });

  it("gives up on a host that accepts TCP but never speaks SSH, within the per-host timeout", async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      // The silent host gets a short timeout; the real sshd its default one, so a loaded machine cannot fail it.
      const gaveUp = await collectSsh({ ...base(), timeoutMs: 700, hosts: [{ host: "127.0.0.1", port, name: "silent" }] });
      expect(gaveUp.batches).toEqual([]);
      expect(gaveUp.errors).toEqual([{ where: "ssh:silent", message: expect.stringMatching(/timed out after 700 ms/) }]);
      const { batches, errors } = await collectSsh({ ...base(), hosts: [{ host: sshd.host, port: sshd.port, name: "fine" }] });
      expect(errors).toEqual([]);
      expect(batches.map((b) => b.scope)).toEqual(["ssh:fine"]);
    } finally {
      silent.close();
    }
  });

  it("stops when aborted and rejects with the abort reason", async () => {
    const controller = new AbortController();
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      setTimeout(() => controller.abort(new Error("stop now")), 200);
      await expect(collectSsh({ ...base(), hosts: [{ host: "127.0.0.1", port }] }, { signal: controller.signal })).rejects.toThrow("stop now");
    } finally {
      silent.close();
    }
  });

  it("rejects a config that does not fit the schema, naming the path", async () => {
    await expect(collectSsh({ ...base(), hosts: [{ host: "h", port: 70000 }] })).rejects.toMatchObject({ where: "ssh config: hosts.0.port" });
    await expect(collectSsh({ ...base(), hosts: [{ host: "h", jump: "a@b:c" }] })).rejects.toMatchObject({ where: "ssh config: hosts.0.jump" });
  });
});
