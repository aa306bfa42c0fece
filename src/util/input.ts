import { existsSync, readFileSync, statSync } from "node:fs";
import { fileError, UsageError } from "./errors.js";

/** Reads a file, or stdin for `-`. With `usage`, a file that cannot be read is a usage error (exit 2). */
export async function readInput(file: string, options: { usage?: boolean } = {}): Promise<string> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw fileError(error, file, "read", options);
  }
}

/**
 * A path the user named must exist before any store is opened: a typo is a usage error that leaves
 * no failed run behind. `-` (stdin) and URLs are not paths.
 */
export function requirePath(path: string, hint: string, options: { file?: boolean } = {}): void {
  if (path === "-" || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return;
  if (!existsSync(path)) throw new UsageError("does not exist", { where: path, hint });
  if (options.file && statSync(path).isDirectory()) throw new UsageError("is a directory, not a file", { where: path, hint });
}
