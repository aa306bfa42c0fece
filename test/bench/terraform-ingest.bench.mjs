/**
 * Terraform ingest throughput: synthetic states of N = 1k, 10k, 100k resources into PGlite and into
 * the PostgreSQL server (CIs/s and peak memory, each N in a fresh process and a fresh store), and
 * the cold wall time of `cmdb ingest terraform` of a 20-resource state into an existing store (a
 * post-apply hook). Targets: 10k in < 3 s on the server, < 5 s on PGlite; the hook < 0.6 s on the
 * server and < 1.5 s on PGlite.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  const t = performance.now();
  const [result] = await lib.ingestTerraform(store, { input: file, settings, workspace: "bench" });
  const seconds = (performance.now() - t) / 1000;
  // The same state again: the common case of hooks and schedules.
  const t2 = performance.now();
  await lib.ingestTerraform(store, { input: file, settings, workspace: "bench", force: true });
  const again = (performance.now() - t2) / 1000;
  await store.close();
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ engine, n: Number(n), seen: result.counts.seen, seconds, again, peakMb: peak }));
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
        execFileSync(process.execPath, [cli, "--db", location, "stats"], { stdio: "ignore" });
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
      console.log(
        `ingest ${engine.padEnd(8)} N=${String(n).padStart(6)}: ${m.seconds.toFixed(2)} s, ${Math.round(m.seen / m.seconds)} CIs/s; unchanged re-ingest ${m.again.toFixed(2)} s; peak RSS ${Math.round(m.peakMb)} MB`,
      );
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

  const check = (label, value, target) => console.log(`${value <= target ? "PASS" : "MISS"} ${label}: ${value.toFixed(2)} s (target < ${target} s)`);
  const at10k = (engine) => rows.find((r) => r.engine === engine && r.n === 10000);
  if (at10k("postgres")) check("10k ingest, PostgreSQL server", at10k("postgres").seconds, 3);
  if (at10k("pglite")) check("10k ingest, PGlite", at10k("pglite").seconds, 5);
  for (const h of hook) check(`20-resource hook, ${h.engine}`, h.median, h.engine === "pglite" ? 1.5 : 0.6);
} finally {
  rmSync(work, { recursive: true, force: true });
}
