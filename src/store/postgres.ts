import pg from "pg";
import { CmdbError } from "../util/errors.js";
import { type Engine, type EngineOptions, redactUrl, type Sql } from "./engine.js";

export async function openPostgres(url: string, options: EngineOptions): Promise<Engine> {
  const label = redactUrl(url);
  const schema = options.schema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new CmdbError(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
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
