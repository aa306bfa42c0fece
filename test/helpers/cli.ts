import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.js";

export const CLI = join(REPO_ROOT, "dist/cli.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `cmdb` as a user would, in its own process. */
export function runCli(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, CMDB_DATABASE_URL: undefined, CMDB_CONFIG: undefined, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
    child.stdin.end(options.input ?? "");
  });
}

export async function cliJson<T = unknown>(args: string[], options?: Parameters<typeof runCli>[1]): Promise<T> {
  const r = await runCli([...args], options);
  if (r.code !== 0) throw new Error(`cmdb ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
