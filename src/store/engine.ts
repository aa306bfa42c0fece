import { resolve } from "node:path";
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

export async function openEngine(location: string, options: EngineOptions = {}): Promise<Engine> {
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
