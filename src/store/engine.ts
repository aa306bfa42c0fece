import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { CmdbError, UsageError } from "../util/errors.js";
import { redactText } from "../util/redact.js";

/** The SQL both engines speak: PGlite (embedded PostgreSQL) and a PostgreSQL server. */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface Engine extends Sql {
  readonly kind: "pglite" | "postgres";
  /** A human label for messages: the directory or the URL without its password. */
  readonly label: string;
  exec(text: string): Promise<void>;
  /** Runs `fn` in one transaction: everything it wrote lands, or nothing does. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PGlite only: the data directory as a tarball, to start other in-memory stores from. */
  dumpDataDir?(): Promise<Blob>;
}

export interface EngineOptions {
  /** PostgreSQL schema to use on a server (tests give each file its own). */
  schema?: string;
  /** An in-memory PGlite starts from this data directory dump instead of running initdb. */
  pgliteDataDir?: Blob;
  /** Open only a store that is already there: a command that reads never creates one. */
  existing?: boolean;
}

export const DEFAULT_DB_DIR = ".cmdb";

/** Where the store is: --db, else CMDB_DATABASE_URL, else ./.cmdb (PGlite). */
export function resolveDbLocation(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.CMDB_DATABASE_URL ?? DEFAULT_DB_DIR;
}

export function isServerUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL with every credential it can carry masked: the userinfo password and secret parameters (`password=`, `sslpassword=`). */
export function redactUrl(url: string): string {
  return redactText(url);
}

const NO_STORE_HINT = "`cmdb demo` or `cmdb ingest …` creates one; or point --db (or $CMDB_DATABASE_URL) at an existing store";

/**
 * Refuses a location that cannot be a store before anything is written there: a URL of another
 * database (`mysql://…` would otherwise become a directory named `mysql:`), a regular file, and,
 * for a command that only reads, a directory holding no store.
 */
export function checkDbLocation(location: string, options: { existing?: boolean } = {}): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1];
  if (scheme && !isServerUrl(location)) {
    throw new UsageError(`${scheme}:// is not a store this cmdb can use`, {
      where: "--db",
      hint: "give a directory for the embedded store, or postgres://user@host:5432/db",
    });
  }
  if (scheme || location === ":memory:") return;
  const dir = resolve(location);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new UsageError("is a file, not a store directory", { where: location, hint: "give a directory for the embedded store (default ./.cmdb)" });
  }
  if (options.existing && !existsSync(join(dir, "pgdata", "PG_VERSION"))) {
    throw new CmdbError(existsSync(dir) ? "holds no cmdb store" : "no cmdb store here yet", { where: location, hint: NO_STORE_HINT });
  }
}

export async function openEngine(location: string, options: EngineOptions = {}): Promise<Engine> {
  checkDbLocation(location, options);
  if (isServerUrl(location)) {
    const { openPostgres } = await import("./postgres.js");
    return openPostgres(location, options);
  }
  if (location === ":memory:") {
    const { openPglite } = await import("./pglite.js");
    return openPglite(undefined, options.pgliteDataDir);
  }
  const { openPglite } = await import("./pglite.js");
  return openPglite(resolve(location));
}
