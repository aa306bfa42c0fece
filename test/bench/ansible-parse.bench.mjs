// Benchmark: `cmdb ansible parse` against `ansible-inventory --list` on a generated INI inventory
// of 10,000 hosts in 200 groups (ranges, host vars, group vars, children). Run after `npm run build`:
//   node test/bench/ansible-parse.bench.mjs
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const cli = join(root, "dist/cli.js");
const dir = mkdtempSync(join(tmpdir(), "cmdb-ansible-bench-"));
const GROUPS = 200;
const PER_GROUP = 50;

function generate() {
  const lines = ["# generated: 200 groups x 50 hosts", ""];
  for (let g = 0; g < GROUPS; g++) {
    const name = `svc${String(g).padStart(3, "0")}`;
    lines.push(`[${name}]`);
    // 40 hosts through one padded range with vars, 10 listed one by one with their own vars
    lines.push(`${name}-app[001:040].dc${g % 4}.example.com ansible_user=deploy tier=${g % 3} weight=${(g % 7) / 2} enabled=True`);
    for (let h = 41; h <= PER_GROUP; h++) {
      lines.push(`${name}-db${String(h).padStart(3, "0")}.dc${g % 4}.example.com ansible_host=10.${g % 250}.${h}.1 ansible_port=${2200 + h} "role=db replica" opts="{'pool': ${h}, 'ssl': True}"`);
    }
    lines.push("", `[${name}:vars]`, `service=${name}`, `owner = team-${g % 10}`, `ports = [80, 443, ${8000 + g}]`, "");
  }
  for (let r = 0; r < 10; r++) {
    lines.push(`[region${r}:children]`);
    for (let g = r; g < GROUPS; g += 10) lines.push(`svc${String(g).padStart(3, "0")}`);
    lines.push("", `[region${r}:vars]`, `region=r${r}`, "tier=override-by-child-wins", "");
  }
  lines.push("[all:vars]", "ntp_server=ntp.example.com", "");
  const file = join(dir, "hosts.ini");
  writeFileSync(file, lines.join("\n"));
  return file;
}

function timed(command, args, env) {
  const start = process.hrtime.bigint();
  const run = spawnSync(command, args, { cwd: dir, env, maxBuffer: 1024 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  return { ms, json: JSON.parse(run.stdout.toString("utf8")) };
}

const file = generate();
writeFileSync(join(dir, "ansible.cfg"), "");
const ansibleEnv = { PATH: "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", ANSIBLE_CONFIG: join(dir, "ansible.cfg") };
try {
  const ours = timed(process.execPath, [cli, "ansible", "parse", "-i", file], process.env);
  const theirs = timed("ansible-inventory", ["-i", file, "--list"], ansibleEnv);
  const hosts = Object.keys(theirs.json._meta.hostvars).length;
  const equal = isDeepStrictEqual(ours.json, theirs.json);
  console.log(`ansible-parse: inventory ${GROUPS} groups, ${hosts} hosts with vars`);
  console.log(`ansible-parse: cmdb ansible parse        ${ours.ms.toFixed(0)} ms`);
  console.log(`ansible-parse: ansible-inventory --list  ${theirs.ms.toFixed(0)} ms`);
  console.log(`ansible-parse: ratio ${(theirs.ms / ours.ms).toFixed(1)}x faster (target >= 10x)`);
  console.log(`ansible-parse: outputs equal: ${equal}`);
  if (!equal || hosts !== GROUPS * PER_GROUP) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
