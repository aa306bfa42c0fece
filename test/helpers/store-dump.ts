import type { Store } from "../../src/store/store.js";

/**
 * Every row of every table the store has, as text: what a "this never reaches the store" test
 * searches. The tables are read from the catalog, so a table added later is searched too.
 */
export async function storeDump(store: Store): Promise<string> {
  const tables = await store.engine.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  if (!tables.some((t) => t.name === "ci")) throw new Error("the store dump found no cmdb tables in the current schema");
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows = await store.engine.query<{ t: string }>(`SELECT t::text AS t FROM "${name}" t`);
    parts.push(...rows.map((r) => r.t));
  }
  return parts.join("\n");
}
