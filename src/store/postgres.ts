import pg from "pg";
import { CmdbError } from "../util/errors.js";
import { seconds, TIMEOUTS, timeoutMs } from "../util/timeouts.js";
import { type Engine, type EngineOptions, redactUrl, type Sql } from "./engine.js";

export async function openPostgres(url: string, options: EngineOptions): Promise<Engine> {
  const label = redactUrl(url);
  const schema = options.schema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new CmdbError(`invalid schema name ${schema}`);
  const connectMs = timeoutMs("db");
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: connectMs,
    max: 2,
    application_name: "cmdb",
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on("error", () => undefined);
  try {
    const client = await pool.connect();
    try {
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (/timeout/i.test((error as Error).message)) {
      throw new CmdbError(`no answer from the PostgreSQL server within ${seconds(connectMs)} (it accepted the connection or never answered it)`, {
        where: label,
        hint: `check that this host and port are a PostgreSQL server; ${TIMEOUTS.db.env} sets how long to wait`,
        cause: error,
      });
    }
    throw new CmdbError(`cannot connect to PostgreSQL: ${(error as Error).message}`, {
      where: label,
      hint: "check the server is running and the URL (CMDB_DATABASE_URL or --db) is right",
      cause: error,
    });
  }
  const wrap = (q: { query: pg.Pool["query"] }): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      const result = await q.query(text, params as unknown[]);
      return result.rows as T[];
    },
  });
  return {
    kind: "postgres",
    label,
    ...wrap(pool),
    async exec(text) {
      await pool.query(text);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn(wrap(client as unknown as { query: pg.Pool["query"] }));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
