import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { cpus, hostname, release, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { COLLECT_SCRIPT } from "../../src/sources/ssh/script.js";
import { transformSsh } from "../../src/sources/ssh/transform.js";
import { requireService } from "../helpers/services.js";

const BUSYBOX = process.env.CMDB_TEST_BUSYBOX ?? "/usr/bin/busybox";
const available = requireService("busybox", () => existsSync(BUSYBOX) || `${BUSYBOX} is not installed (Debian: apt-get install busybox)`);

describe.runIf(available.ok)("the discovery script in a busybox-only userland (as on Alpine)", () => {
  const applets = mkdtempSync(join(tmpdir(), "cmdb-busybox-"));
  afterAll(() => rmSync(applets, { recursive: true, force: true }));

  it("runs under busybox sh with only busybox applets, and the transform reads what they print", () => {
    const list = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const applet of list) symlinkSync(BUSYBOX, join(applets, applet));
    // The script appends the system directories to PATH for hosts whose non-login PATH lacks /sbin;
    // cut that line so that nothing but busybox is found, as on a stock Alpine.
    const script = COLLECT_SCRIPT.replace(/^PATH=.*$/m, "");
    const output = execFileSync(join(applets, "sh"), ["-s"], { input: script, env: { PATH: applets }, encoding: "utf8" });

    expect(output).not.toContain("@@cmdb:lsblk");
    expect(output).not.toContain("@@cmdb:ss\n");
    const { observation } = transformSsh(output, { ref: "busybox", host: "localhost", port: 22, user: "root" });
    const a = observation.attributes;
    const meminfoKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]);
    expect(a.hostname).toBe(hostname().split(".")[0]!.toLowerCase());
    expect(a.kernel).toBe(release());
    expect(a.cpu_cores).toBe(cpus().length);
    expect(a.memory_mb).toBe(Math.floor(meminfoKb / 1024));
    if (existsSync("/etc/machine-id")) expect(a.machine_id).toBe(readFileSync("/etc/machine-id", "utf8").trim());
    const listening = a.listening_ports as { port: number }[];
    const procListening = readFileSync("/proc/net/tcp", "utf8").split("\n").filter((l) => l.trim().split(/\s+/)[3] === "0A");
    expect(listening.length > 0).toBe(procListening.length > 0);
    const ips = (a.interfaces as { ips: string[] }[]).flatMap((i) => i.ips);
    const ipOutput = execFileSync(join(applets, "ip"), ["-o", "addr"], { encoding: "utf8" });
    for (const ip of ips) expect(ipOutput).toContain(ip);
  });
});
