import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Runs the real ansible-inventory with a controlled environment: no ansible.cfg from the machine
 * (ANSIBLE_CONFIG names an empty file in a temporary HOME, which is also the working directory),
 * no inherited ANSIBLE_* variables, a fixed locale.
 */
const home = mkdtempSync(join(tmpdir(), "cmdb-ansible-oracle-"));
writeFileSync(join(home, "ansible.cfg"), "");
const env = { PATH: "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8", ANSIBLE_CONFIG: join(home, "ansible.cfg"), ANSIBLE_NOCOLOR: "1" };

export interface OracleRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function ansibleInventory(args: string[]): Promise<OracleRun> {
  return new Promise((resolve) => {
    execFile("ansible-inventory", args, { cwd: home, env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Ansible rejected the source: it only warned (or crashed) and printed no real inventory. */
export function rejected(run: OracleRun): boolean {
  return run.code !== 0 || /Failed to parse|Unable to parse|No inventory was parsed/.test(run.stderr);
}

/** Runs `work` over `items` with at most `limit` at a time (ansible-inventory takes ~1 s a call). */
export async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
