// SSH discovery of 50 host entries against a loopback OpenSSH sshd, versus Ansible's fact gathering
// (`ansible all -m setup -f 50`) over the same 50 entries, in the same run.
// Run: npm run build && node test/bench/ssh.bench.mjs
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { ssh } from "../../dist/index.js";

const HOSTS = Number(process.env.SSH_BENCH_HOSTS ?? 50);
const SSHD = process.env.CMDB_TEST_SSHD ?? "/usr/sbin/sshd";
const ANSIBLE = process.env.ANSIBLE ?? "/usr/bin/ansible";

for (const [what, path] of [
  ["sshd", SSHD],
  ["ansible", ANSIBLE],
]) {
  if (!existsSync(path)) {
    console.log(`ssh bench skipped: ${what} is not installed at ${path}`);
    process.exit(0);
  }
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const keygen = (path) => {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cmdb-bench", "-f", path], { stdio: "ignore" });
  return path;
};

const banner = (port) =>
  new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (data) => done(data.toString("latin1").startsWith("SSH-")));
    socket.connect(port, "127.0.0.1");
  });

const dir = mkdtempSync(join(tmpdir(), "cmdb-ssh-bench-"));
const port = await freePort();
const user = userInfo().username;
const hostKey = keygen(join(dir, "host_ed25519"));
const userKey = keygen(join(dir, "user_ed25519"));
writeFileSync(join(dir, "authorized_keys"), readFileSync(`${userKey}.pub`));
const [type, blob] = readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/);
const knownHosts = join(dir, "known_hosts");
writeFileSync(knownHosts, `[127.0.0.1]:${port} ${type} ${blob}\n`);
const configFile = join(dir, "sshd_config");
writeFileSync(
  configFile,
  [
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
    "AllowTcpForwarding yes",
    "Subsystem sftp internal-sftp",
    // 50 parallel logins: the default MaxStartups 10:30:100 drops connections beyond 10 unauthenticated ones.
    "MaxStartups 200:30:400",
    "MaxSessions 100",
    "LogLevel ERROR",
    "",
  ].join("\n"),
);
if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
const sshd = spawn(SSHD, ["-D", "-e", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
// sshd logs every probe of the readiness check; shown only when something fails.
let sshdLog = "";
sshd.stderr.on("data", (c) => {
  sshdLog += c;
});
const cleanup = () => {
  sshd.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
};

try {
  const deadline = Date.now() + 10_000;
  while (!(await banner(port))) {
    if (sshd.exitCode !== null || Date.now() > deadline) throw new Error(`sshd did not start: ${sshdLog}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const names = Array.from({ length: HOSTS }, (_, i) => `host-${String(i + 1).padStart(2, "0")}`);

  const t0 = performance.now();
  const result = await ssh.collectSsh({
    hosts: names.map((name) => ({ host: "127.0.0.1", port, name })),
    user,
    identityFiles: [userKey],
    useAgent: false,
    knownHostsFile: knownHosts,
    concurrency: HOSTS,
  });
  const sshMs = performance.now() - t0;
  if (result.batches.length !== HOSTS || result.errors.length > 0) {
    throw new Error(`cmdb ssh collected ${result.batches.length}/${HOSTS}: ${JSON.stringify(result.errors.slice(0, 3))}\n${sshdLog}`);
  }

  // Ansible at its fastest: pipelining (one ssh session per host for `setup`), no interpreter discovery.
  // ControlMaster is off because all 50 aliases share one ControlPath (same host, port and user) and
  // would otherwise race for a single multiplexed connection, which 50 real hosts would not do.
  const inventory = join(dir, "inventory.ini");
  writeFileSync(
    inventory,
    [
      ...names.map((name) => `${name} ansible_host=127.0.0.1 ansible_port=${port}`),
      "[all:vars]",
      `ansible_user=${user}`,
      `ansible_ssh_private_key_file=${userKey}`,
      "ansible_python_interpreter=/usr/bin/python3",
      `ansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'`,
      "",
    ].join("\n"),
  );
  const env = {
    ...process.env,
    ANSIBLE_CONFIG: join(dir, "none.cfg"),
    ANSIBLE_PIPELINING: "True",
    ANSIBLE_SSH_ARGS: "-o ControlMaster=no",
    ANSIBLE_HOST_KEY_CHECKING: "True",
    ANSIBLE_LOCAL_TEMP: join(dir, "ansible-local"),
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_FORCE_COLOR: "0",
  };
  const t1 = performance.now();
  const ansible = spawn(ANSIBLE, ["all", "-i", inventory, "-m", "setup", "-f", String(HOSTS), "-o"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  ansible.stdout.on("data", (c) => {
    out += c;
  });
  ansible.stderr.on("data", (c) => {
    err += c;
  });
  const code = await new Promise((r) => ansible.once("close", r));
  const ansibleMs = performance.now() - t1;
  const ok = out.split("\n").filter((l) => / \| SUCCESS => /.test(l)).length;
  if (code !== 0 || ok !== HOSTS) throw new Error(`ansible setup: exit ${code}, ${ok}/${HOSTS} hosts: ${err.slice(0, 500)}${out.slice(0, 500)}`);

  console.log(`ssh discovery of ${HOSTS} host entries (loopback sshd, concurrency ${HOSTS})`);
  console.log(`  cmdb ssh.collectSsh        ${(sshMs / 1000).toFixed(2)} s`);
  console.log(`  ansible -m setup -f ${HOSTS}     ${(ansibleMs / 1000).toFixed(2)} s`);
  console.log(`  ratio ansible / cmdb       ${(ansibleMs / sshMs).toFixed(1)}x ${sshMs < ansibleMs ? "(cmdb faster)" : "(cmdb SLOWER)"}`);
  if (sshMs >= ansibleMs) process.exitCode = 1;
} finally {
  cleanup();
}
