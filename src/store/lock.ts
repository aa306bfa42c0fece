import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { CmdbError } from "../util/errors.js";

/**
 * A lock file holding the owner's pid. A lock whose process is gone is stale and taken over, so a
 * killed `cmdb` never blocks the next one.
 */
export async function acquireDirLock(path: string, timeoutMs = Number(process.env.CMDB_LOCK_TIMEOUT_MS ?? 120_000)): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let wait = 20;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off("exit", release);
        try {
          unlinkSync(path);
        } catch {
          // already removed: nothing to release
        }
      };
      process.on("exit", release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (isStale(path)) {
      try {
        unlinkSync(path);
      } catch {
        // another waiter removed it first
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new CmdbError("the store is busy: another cmdb process holds its lock", {
        where: path,
        hint: "wait for it to finish, or remove the lock file if no cmdb is running",
      });
    }
    await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
    wait = Math.min(wait * 2, 250);
  }
}

function isStale(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path, "utf8"));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
