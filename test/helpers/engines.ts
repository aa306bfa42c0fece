import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { openEngine } from "../../src/store/engine.js";
import { Store } from "../../src/store/store.js";
import { requireService } from "./services.js";

export const PG_URL = process.env.CMDB_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const pg = requireService("PostgreSQL server", () => {
  execFileSync(process.execPath, ["-e", `const c=new (require("pg").Client)(${JSON.stringify(PG_URL)});c.connect().then(()=>c.end()).catch(e=>{console.error(e.message);process.exit(1)})`], {
    stdio: "pipe",
    timeout: 10_000,
  });
  return true;
});

export interface EngineCase {
  name: "pglite" | "postgres";
  available: boolean;
  /** A fresh, empty, migrated store (a new in-memory PGlite, or a new schema on the server). */
  open(): Promise<Store>;
  /** Where a CLI run can reach the same kind of store: a directory, or the URL with its schema. */
  location(tmpDir: string): Promise<string>;
}

const schemas: string[] = [];

/** initdb takes seconds; every PGlite test store after the first starts from a migrated template. */
let template: Promise<Blob> | undefined;
async function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const store = await Store.open(await openEngine(":memory:"));
    const blob = await store.engine.dumpDataDir!();
    await store.close();
    return blob;
  })();
  return template;
}

export const ENGINES: EngineCase[] = [
  {
    name: "pglite",
    available: true,
    async open() {
      return Store.open(await openEngine(":memory:", { pgliteDataDir: await pgliteTemplate() }));
    },
    async location(tmpDir) {
      return `${tmpDir}/store`;
    },
  },
  {
    name: "postgres",
    available: pg.ok,
    async open() {
      const schema = `cmdb_t_${randomBytes(5).toString("hex")}`;
      schemas.push(schema);
      return Store.open(await openEngine(PG_URL, { schema }));
    },
    async location() {
      const db = `cmdb_t_${randomBytes(5).toString("hex")}`;
      const admin = await openEngine(PG_URL);
      await admin.exec(`CREATE DATABASE ${db}`);
      await admin.close();
      createdDatabases.push(db);
      return PG_URL.replace(/\/[^/]*$/, `/${db}`);
    },
  },
];

const createdDatabases: string[] = [];

/** Drops what the postgres cases created; call from afterAll. */
export async function dropTestSchemas(): Promise<void> {
  if (!pg.ok || (schemas.length === 0 && createdDatabases.length === 0)) return;
  const admin = await openEngine(PG_URL);
  try {
    for (const s of schemas.splice(0)) await admin.exec(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    for (const d of createdDatabases.splice(0)) await admin.exec(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
  } finally {
    await admin.close();
  }
}
