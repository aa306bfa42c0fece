/**
 * Terraform ingest throughput: synthetic states of N = 1k, 10k, 100k resources into PGlite and into
 * the PostgreSQL server, each N in a fresh process and a fresh store: a fresh ingest, an unchanged
 * re-ingest and a re-ingest with 1% changed (wall, CIs/s, rows written, round trips, peak RSS), and
 * the bound (the fresh ingest's rows copied in-database into same-shaped tables); then the cold
 * wall time of `cmdb ingest terraform` of a 20-resource state into an existing store of 1k (a
 * post-apply hook, median of 7). Targets (issue 14): unchanged ≤ 25% of fresh at every size; 100k
 * fresh < 12 s server / 18 s PGlite, unchanged < 8 s / 12 s; 100k/10k ≤ 12 per phase; peak RSS
 * < 700 MB at 100k; the hook < 0.3 s server / 0.9 s PGlite.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateState } from "./gen-tfstate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const cli = join(root, "dist/cli.js");
const PG = process.env.CMDB_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const sizes = (process.env.CMDB_BENCH_SIZES ?? "1000,10000,100000").split(",").map(Number);

if (process.argv[2] === "--one") {
  const [, , , engine, location, file, n] = process.argv;
  const lib = await import(join(root, "dist/index.js"));
  const store = await lib.Store.open(await lib.openEngine(location));
  const settings = lib.reconcileSettings({});
  // Round trips: every statement the store sends, counted at the engine.
  let trips = 0;
  const count = (sql) => {
    const query = sql.query.bind(sql);
    sql.query = (text, params) => {
      trips++;
      return query(text, params);
    };
  };
  count(store.engine);
  const transaction = store.engine.transaction.bind(store.engine);
  store.engine.transaction = (fn) =>
    transaction((tx) => {
      count(tx);
      return fn(tx);
    });
  const phase = async (input, serial) => {
    trips = 0;
    const t = performance.now();
    const [result] = await lib.ingestTerraform(store, { input, settings, workspace: "bench", force: serial > 1 });
    return { seconds: (performance.now() - t) / 1000, rows: result.rowsWritten, trips, changed: result.counts.changed + result.counts.new + result.counts.gone };
  };
  const fresh = await phase(file, 1);
  const freshRss = process.resourceUsage().maxRSS / 1024;
  // The same state again: the common case of hooks and schedules.
  const again = await phase(file, 2);
  // 1% of the instances changed (a tag), as after a small apply.
  const state = JSON.parse(readFileSync(file, "utf8"));
  let i = 0;
  for (const r of state.resources) {
    for (const inst of r.instances) {
      if (i++ % 100 === 0) inst.attributes = { ...inst.attributes, tags: { ...(inst.attributes.tags ?? {}), bench: "changed" } };
    }
  }
  state.serial += 1;
  const changedFile = `${file}.changed`;
  writeFileSync(changedFile, JSON.stringify(state));
  const changed = await phase(changedFile, 3);
  // The bound: the rows the fresh ingest wrote, copied inside the database into tables of the same
  // shape (indexes included) — what writing them costs with no reconciliation and no transfer.
  const t = performance.now();
  await store.engine.transaction(async (tx) => {
    for (const table of ["ci", "observation_row", "relationship_row", "change"]) {
      await tx.query(`CREATE TEMP TABLE bound_${table} (LIKE ${table} INCLUDING ALL) ON COMMIT DROP`);
      await tx.query(`INSERT INTO bound_${table} SELECT * FROM ${table}`);
    }
  });
  const bound = (performance.now() - t) / 1000;
  await store.close();
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ engine, n: Number(n), fresh, again, changed, bound, freshRssMb: freshRss, peakMb: peak }));
  process.exit(0);
}

async function freshServerDb() {
  const name = `cmdb_bench_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  execFileSync("psql", [PG, "-qc", `CREATE DATABASE ${name}`]);
  return { url: PG.replace(/\/[^/]*$/, `/${name}`), drop: () => execFileSync("psql", [PG, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) };
}

const work = mkdtempSync(join(tmpdir(), "cmdb-bench-"));
const rows = [];
try {
  for (const n of sizes) {
    const file = join(work, `state-${n}.tfstate`);
    writeFileSync(file, JSON.stringify(generateState(n, { seed: 7, lineage: `bench-${n}` })));
    for (const engine of ["pglite", "postgres"]) {
      let location;
      let cleanup = () => {};
      if (engine === "pglite") {
        location = join(work, `pglite-${n}`);
        // Create the store first: initdb is a one-time cost, not part of an ingest.
        const create = `const l = await import(${JSON.stringify(join(root, "dist/index.js"))}); const s = await l.Store.open(await l.openEngine(${JSON.stringify(location)})); await s.close();`;
        execFileSync(process.execPath, ["--input-type=module", "-e", create], { stdio: "inherit" });
        cleanup = () => rmSync(location, { recursive: true, force: true });
      } else {
        const db = await freshServerDb();
        location = db.url;
        cleanup = db.drop;
      }
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--one", engine, location, file, String(n)], { encoding: "utf8", maxBuffer: 1 << 24 });
      cleanup();
      if (r.status !== 0) {
        console.log(`${engine} N=${n}: failed\n${r.stderr}`);
        continue;
      }
      const m = JSON.parse(r.stdout.trim().split("\n").pop());
      rows.push(m);
      const f = m.fresh;
      const line = (label, p) =>
        `  ${label.padEnd(22)} ${p.seconds.toFixed(2).padStart(7)} s  ${String(Math.round(m.n / p.seconds)).padStart(7)} CIs/s  ${String(p.rows).padStart(8)} rows  ${String(p.trips).padStart(4)} round trips  (${(p.seconds / f.seconds).toFixed(2)}x fresh)`;
      console.log(`ingest ${engine} N=${n}: peak RSS ${Math.round(m.peakMb)} MB (fresh ingest alone ${Math.round(m.freshRssMb)} MB)`);
      console.log(line("fresh", f));
      console.log(line("unchanged re-ingest", m.again));
      console.log(line(`1% changed (${m.changed.changed})`, m.changed));
      console.log(`  bound: the fresh ingest's ${f.rows} rows copied in-database into same-shaped tables: ${m.bound.toFixed(2)} s (fresh is ${(f.seconds / m.bound).toFixed(1)}x the bound)`);
    }
  }

  const small = join(work, "small.tfstate");
  const hook = [];
  for (const engine of ["pglite", "postgres"]) {
    let location;
    let cleanup = () => {};
    if (engine === "pglite") {
      location = join(work, "hook-pglite");
      cleanup = () => rmSync(location, { recursive: true, force: true });
    } else {
      const db = await freshServerDb();
      location = db.url;
      cleanup = db.drop;
    }
    const big = join(work, "existing.tfstate");
    writeFileSync(big, JSON.stringify(generateState(1000, { seed: 3, lineage: "existing" })));
    execFileSync(process.execPath, [cli, "--db", location, "ingest", "terraform", big, "--workspace", "existing"], { stdio: "ignore" });
    const times = [];
    for (let serial = 1; serial <= 7; serial++) {
      writeFileSync(small, JSON.stringify(generateState(20, { seed: serial, serial, lineage: "hook" })));
      const t = performance.now();
      execFileSync(process.execPath, [cli, "--db", location, "ingest", "terraform", small, "--workspace", "hook"], { stdio: ["ignore", "ignore", "inherit"] });
      times.push((performance.now() - t) / 1000);
    }
    cleanup();
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    hook.push({ engine, median, best: times[0] });
    console.log(`post-apply hook ${engine.padEnd(8)}: cmdb ingest terraform of 20 resources into a store of 1k: median ${median.toFixed(2)} s, best ${times[0].toFixed(2)} s (7 runs)`);
  }

  const check = (label, value, target) => console.log(`${value <= target ? "PASS" : "MISS"} ${label}: ${value.toFixed(2)} (target ≤ ${target}; ${(value / target).toFixed(2)} of it)`);
  const at = (engine, n) => rows.find((r) => r.engine === engine && r.n === n);
  for (const engine of ["postgres", "pglite"]) {
    for (const n of sizes) {
      const r = at(engine, n);
      if (r) check(`${engine} N=${n}: unchanged re-ingest / fresh`, r.again.seconds / r.fresh.seconds, 0.25);
    }
    const big = at(engine, 100000);
    const ten = at(engine, 10000);
    if (big) {
      check(`${engine} 100k fresh, s`, big.fresh.seconds, engine === "postgres" ? 12 : 18);
      check(`${engine} 100k unchanged re-ingest, s`, big.again.seconds, engine === "postgres" ? 8 : 12);
      check(`${engine} 100k peak RSS, MB`, big.peakMb, 700);
    }
    if (big && ten) for (const p of ["fresh", "again", "changed"]) check(`${engine} ${p} 100k/10k time ratio`, big[p].seconds / ten[p].seconds, 12);
  }
  for (const h of hook) check(`20-resource hook, ${h.engine}, median s`, h.median, h.engine === "pglite" ? 0.9 : 0.3);
} finally {
  rmSync(work, { recursive: true, force: true });
}
