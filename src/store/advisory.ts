import { CmdbError } from "../util/errors.js";
import type { Engine, Sql } from "./engine.js";

/** Advisory lock keys: one for migrations, one that serialises ingests. */
export const MIGRATION_LOCK = 7142000;
export const INGEST_LOCK = 7142001;

/**
 * Takes a transaction-scoped advisory lock, waiting at most CMDB_LOCK_TIMEOUT_MS (120 s): a
 * stuck ingest on the server is named (backend pid, client, since when) instead of queued
 * behind for ever.
 */
export async function advisoryLock(tx: Sql, engine: Pick<Engine, "label">, key: number, what: string, timeoutMs = Number(process.env.CMDB_LOCK_TIMEOUT_MS ?? 120_000)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let wait = 20;
  for (;;) {
    const [row] = await tx.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS ok", [key]);
    if (row?.ok) return;
    if (Date.now() > deadline) {
      throw new CmdbError(`the store is busy: ${await holder(tx, key)} holds its ${what} lock`, {
        where: engine.label,
        hint: "wait for it to finish, or end that session (pg_terminate_backend) if it is stuck; CMDB_LOCK_TIMEOUT_MS sets how long to wait",
      });
    }
    await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
    wait = Math.min(wait * 2, 500);
  }
}

async function holder(tx: Sql, key: number): Promise<string> {
  try {
    const [h] = await tx.query<{ pid: number; application_name: string | null; client: string | null; usename: string | null; since: Date | string | null }>(
      `SELECT a.pid, a.application_name, coalesce(a.client_hostname, host(a.client_addr)) AS client, a.usename, coalesce(a.xact_start, a.backend_start) AS since
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [key],
    );
    if (!h) return "another session";
    const since = h.since === null ? "" : `, since ${new Date(h.since).toISOString()}`;
    return `PostgreSQL session ${h.pid} (${h.application_name || "no application name"}, user ${h.usename ?? "?"}, from ${h.client ?? "local socket"}${since})`;
  } catch {
    return "another session";
  }
}
