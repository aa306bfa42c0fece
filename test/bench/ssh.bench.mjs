// SSH discovery of 50 host entries against a loopback OpenSSH sshd, versus Ansible's fact gathering
// (`ansible all -m setup -f 50`) over the same 50 entries, in the same run.
// Run: npm run build && node test/bench/ssh.bench.mjs
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
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

// The sshd is the tests' own helper (TypeScript), bundled here so both start it the same way.
const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = join(repo, "node_modules/.cache/cmdb-bench");
mkdirSync(outDir, { recursive: true });
const helper = join(outDir, "sshd-helper.mjs");
await build({
  stdin: { contents: 'export { startSshd } from "./test/helpers/sshd.ts";', resolveDir: repo, loader: "ts" },
  bundle: true,
  platform: "node",
  format: "esm",
  packages: "external",
  outfile: helper,
  logLevel: "warning",
});
const { startSshd } = await import(pathToFileURL(helper).href);

// 50 parallel logins: the default MaxStartups 10:30:100 drops connections beyond 10 unauthenticated ones.
const sshd = await startSshd({ extraConfig: ["MaxStartups 200:30:400", "MaxSessions 100"] });
try {
  const names = Array.from({ length: HOSTS }, (_, i) => `host-${String(i + 1).padStart(2, "0")}`);

  const t0 = performance.now();
  const result = await ssh.collectSsh({
    hosts: names.map((name) => ({ host: "127.0.0.1", port: sshd.port, name })),
    user: sshd.user,
    identityFiles: [sshd.userKey],
    useAgent: false,
    knownHostsFile: sshd.knownHostsFile,
    concurrency: HOSTS,
  });
  const sshMs = performance.now() - t0;
  if (result.batches.length !== HOSTS || result.errors.length > 0) {
    throw new Error(`cmdb ssh collected ${result.batches.length}/${HOSTS}: ${JSON.stringify(result.errors.slice(0, 3))}\n`);
  }

  // Ansible at its fastest: pipelining (one ssh session per host for `setup`), no interpreter discovery.
  // ControlMaster is off because all 50 aliases share one ControlPath (same host, port and user) and
  // would otherwise race for a single multiplexed connection, which 50 real hosts would not do.
  const inventory = join(sshd.dir, "inventory.ini");
  writeFileSync(
    inventory,
    [
      ...names.map((name) => `${name} ansible_host=127.0.0.1 ansible_port=${sshd.port}`),
      "[all:vars]",
      `ansible_user=${sshd.user}`,
      `ansible_ssh_private_key_file=${sshd.userKey}`,
      "ansible_python_interpreter=/usr/bin/python3",
      `ansible_ssh_common_args='-o UserKnownHostsFile=${sshd.knownHostsFile} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'`,
      "",
    ].join("\n"),
  );
  const env = {
    ...process.env,
    ANSIBLE_CONFIG: join(sshd.dir, "none.cfg"),
    ANSIBLE_PIPELINING: "True",
    ANSIBLE_SSH_ARGS: "-o ControlMaster=no",
    ANSIBLE_HOST_KEY_CHECKING: "True",
    ANSIBLE_LOCAL_TEMP: join(sshd.dir, "ansible-local"),
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
  await sshd.stop();
}
