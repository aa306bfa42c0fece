import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { CmdbError } from "../util/errors.js";
import { ensureDir } from "../util/fs.js";
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
      ensureDir(dir);
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

