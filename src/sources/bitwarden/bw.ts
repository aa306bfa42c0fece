import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CmdbError } from "../../util/errors.js";
import { type BwStatus, statusSchema } from "./schema.js";

/**
 * Runs the Bitwarden CLI. The session comes from BW_SESSION in the environment, as `bw` reads it,
 * never from the command line (where other users' `ps` would see it); `--nointeraction` makes a
 * locked vault an error instead of a password prompt. Shared by this source and `bw://` references.
 */
export interface BwAnswer {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

export interface BwRunner {
  command: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** What to do when `bw` is missing, if not installing it or reading an export. */
  missingHint?: string;
}

/** bw 2025.12.0 and later expect userDecryptionOptions, which older Vaultwarden servers do not send. */
export const VAULTWARDEN_MESSAGE = /User Decryption Options are required/i;
export const LAST_VAULTWARDEN_SAFE = "2025.11.0";

/** `bw` on PATH, else node_modules/.bin/bw of the working directory or of this package. */
export function findBw(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const name = process.platform === "win32" ? "bw.cmd" : "bw";
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  const here = dirname(fileURLToPath(import.meta.url));
  for (const base of [cwd, resolve(here, "../../.."), resolve(here, "..")]) {
    const candidate = join(base, "node_modules", ".bin", name);
    if (existsSync(candidate)) return candidate;
  }
  return "bw";
}

export function runBw(runner: BwRunner, args: string[], where: string): Promise<BwAnswer> {
  return new Promise((resolvePromise, reject) => {
    execFile(runner.command, args, { env: runner.env, timeout: runner.timeoutMs, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error ? ((error as NodeJS.ErrnoException).code ?? (error as { status?: number }).status ?? 1) : 0;
      if (code === "ENOENT") {
        reject(
          new CmdbError(`the Bitwarden CLI \`${runner.command}\` is not installed or not on PATH`, {
            where,
            hint: runner.missingHint ?? "install it (npm install -g @bitwarden/cli, or https://bitwarden.com/help/cli/), or read an export with --from-export",
          }),
        );
        return;
      }
      if (error && (error as { killed?: boolean }).killed) {
        reject(new CmdbError(`\`bw ${args[0]}\` did not answer within ${runner.timeoutMs / 1000} s`, { where }));
        return;
      }
      resolvePromise({ code: typeof code === "number" || typeof code === "string" ? code : 1, stdout, stderr });
    });
  });
}

/** What `bw status` says, or undefined when it says nothing readable. */
export async function bwStatus(runner: BwRunner, where: string): Promise<BwStatus | undefined> {
  const answer = await runBw(runner, ["status", "--nointeraction"], where);
  if (answer.code !== 0) return undefined;
  try {
    const parsed = statusSchema.safeParse(JSON.parse(answer.stdout));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The error for a vault that cannot be read now, or undefined when it is unlocked. */
export function vaultStateError(status: BwStatus["status"] | undefined, env: NodeJS.ProcessEnv, where: string): CmdbError | undefined {
  if (status === "unauthenticated") {
    return new CmdbError("the Bitwarden CLI is not logged in", { where, hint: "run `bw login` (or `bw login --apikey`), then `export BW_SESSION=$(bw unlock --raw)`" });
  }
  if (status === "locked") {
    return new CmdbError("the Bitwarden vault is locked", {
      where,
      hint: env.BW_SESSION ? "BW_SESSION is set but not valid: unlock again with `export BW_SESSION=$(bw unlock --raw)`" : "unlock it: `export BW_SESSION=$(bw unlock --raw)`",
    });
  }
  return undefined;
}

/** The Vaultwarden incompatibility of bw 2025.12.0+, when this answer shows it. */
export function vaultwardenError(answer: Pick<BwAnswer, "stdout" | "stderr">, version: string | undefined, where: string): CmdbError | undefined {
  if (!VAULTWARDEN_MESSAGE.test(answer.stderr) && !VAULTWARDEN_MESSAGE.test(answer.stdout)) return undefined;
  return new CmdbError(`bw ${version ?? "(unknown version)"} does not work with this Vaultwarden server: it answers "User Decryption Options are required"`, {
    where,
    hint: `install bw ${LAST_VAULTWARDEN_SAFE} (npm install -g @bitwarden/cli@${LAST_VAULTWARDEN_SAFE}) or upgrade Vaultwarden`,
  });
}

/** `2025.12.0` compared with `2025.11.0`: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A server that is not Bitwarden's own cloud: self-hosted Bitwarden or Vaultwarden. */
export function isSelfHosted(serverUrl: string | null | undefined): boolean {
  if (!serverUrl) return false;
  try {
    return !/(^|\.)bitwarden\.(com|eu)$/i.test(new URL(serverUrl).hostname);
  } catch {
    return true;
  }
}

export function firstLine(text: string): string {
  return (text.trim().split("\n")[0] ?? "").trim().slice(0, 200);
}
