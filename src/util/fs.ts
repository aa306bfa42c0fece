import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * mkdir -p without `recursive: true`, which Node 20 retries forever where a file system refuses
 * (a path under /proc hangs the process instead of failing). Every directory cmdb creates goes
 * through here.
 */
export function ensureDir(dir: string, mode?: number, depth = 0): void {
  try {
    mkdirSync(dir, mode === undefined ? undefined : { mode });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && statSync(dir).isDirectory()) return;
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir || depth > 64) throw error;
  }
  ensureDir(dirname(dir), mode, depth + 1);
  mkdirSync(dir, mode === undefined ? undefined : { mode });
}
