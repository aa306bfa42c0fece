import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { type Availability, requireService } from "./services.js";

export const SSHD = process.env.CMDB_TEST_SSHD ?? "/usr/sbin/sshd";

/** A real OpenSSH sshd on 127.0.0.1 with throwaway keys; tests log in to it as the current user. */
export interface Sshd {
  host: string;
  port: number;
  user: string;
  dir: string;
  /** Private key authorized for `user`. */
  userKey: string;
  /** The `[127.0.0.1]:port ssh-ed25519 AAAA…` line that makes its host key known. */
  knownHostsLine: string;
  /** A known_hosts file holding only that line. */
  knownHostsFile: string;
  stop(): Promise<void>;
}

export function sshdAvailability(): Availability {
  return requireService("sshd", () => {
    if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian: apt-get install openssh-server)`;
    execFileSync("sh", ["-c", "command -v ssh-keygen"], { stdio: "ignore" });
    return true;
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function keygen(path: string, type = "ed25519"): string {
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "cmdb-test", "-f", path], { stdio: "ignore" });
  return path;
}

function bannerArrives(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (data) => done(data.toString("latin1").startsWith("SSH-")));
    socket.connect(port, "127.0.0.1");
  });
}

export async function startSshd(options: { extraConfig?: string[] } = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), "cmdb-sshd-"));
  const port = await freePort();
  const user = userInfo().username;
  const hostKey = keygen(join(dir, "host_ed25519"));
  const userKey = keygen(join(dir, "user_ed25519"));
  writeFileSync(join(dir, "authorized_keys"), readFileSync(`${userKey}.pub`));
  const [type, blob] = readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/);
  const knownHostsLine = `[127.0.0.1]:${port} ${type} ${blob}`;
  const knownHostsFile = join(dir, "known_hosts");
  writeFileSync(knownHostsFile, `${knownHostsLine}\n`);
  const config = [
    "ListenAddress 127.0.0.1",
    `Port ${port}`,
    `HostKey ${hostKey}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    "UsePAM no",
    "StrictModes no",
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication yes",
    "AllowTcpForwarding yes",
    "Subsystem sftp internal-sftp",
    "LogLevel ERROR",
    ...(options.extraConfig ?? []),
  ];
  const configFile = join(dir, "sshd_config");
  writeFileSync(configFile, `${config.join("\n")}\n`);
  // Privilege separation needs its empty chroot directory when sshd starts as root.
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  const child: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await bannerArrives(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`sshd did not start on 127.0.0.1:${port}: ${stderr.trim() || "no output"}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { host: "127.0.0.1", port, user, dir, userKey, knownHostsLine, knownHostsFile, stop };
}
