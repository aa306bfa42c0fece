import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { CmdbError } from "../util/errors.js";
import { ensureDir } from "../util/fs.js";
import { warn } from "../util/warn.js";
import type { Engine, Sql } from "./engine.js";
import { acquireDirLock, type LockHandle } from "./lock.js";

/**
 * PGlite keeps its database in one directory and allows one process at a time: a lock file
 * beside the data makes a second `cmdb` (two post-apply hooks at once) wait its turn instead of
 * corrupting it.
 */
export async function openPglite(dir: string | undefined, dataDir?: Blob): Promise<Engine> {
  let lock: LockHandle | undefined;
  let db: PGlite;
  try {
    if (dir) {
      privateDir(dir);
      lock = await acquireDirLock(join(dir, "cmdb.lock"));
      db = new PGlite(join(dir, "pgdata"));
    } else {
      db = dataDir ? new PGlite({ loadDataDir: dataDir }) : new PGlite();
    }
    await db.waitReady;
  } catch (error) {
    lock?.release();
    if (error instanceof CmdbError) throw error;
    throw new CmdbError(`cannot open the embedded store: ${(error as Error).message}`, {
      where: dir ?? ":memory:",
      hint: "check the directory is writable and not a store of another PGlite version",
      cause: error,
    });
  }
  const sql = (q: Pick<PGlite, "query">): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      const result = await q.query<T>(text, params);
      return result.rows;
    },
  });
  return {
    kind: "pglite",
    label: dir ?? ":memory:",
    ...sql(db),
    async exec(text) {
      await db.exec(text);
    },
    transaction(fn) {
      return db.transaction((tx) => fn(sql(tx)));
    },
    async dumpDataDir() {
      return db.dumpDataDir("none");
    },
    async close() {
      let kept = true;
      try {
        await db.close();
      } finally {
        kept = lock?.release() ?? true;
      }
      if (!kept) {
        throw new CmdbError("another process took over the store's lock while this one held it", {
          where: dir,
          hint: "what this command wrote may be lost: run it again",
        });
      }
    },
  };
}


/**
 * The store directory is the owner's alone: PGlite writes its files 0666 whatever the umask, so
 * the directory's 0700 is what keeps other users of the machine out. A store made more open
 * (by hand, or by an older cmdb that followed the umask) is used, with a warning.
 */
function privateDir(dir: string): void {
  ensureDir(dirname(dir));
  try {
    mkdirSync(dir, { mode: 0o700 });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    warn(dir, `the store is open to other users of this machine (mode ${mode.toString(8).padStart(4, "0")})`, `chmod 700 ${dir}`);
  }
}
