// `cmdb ingest proxmox`, the real command in its own process, against a replayed cluster of 1,000
// guests on 10 nodes, every request answered over TLS after 20 ms (a LAN round trip plus PVE's own
// work), with the default concurrency, into an existing (empty) PGlite store — creating a store is a
// one-time cost, measured apart — : wall time from spawn to exit, first run and an unchanged re-run.
// Run: npm run build && node test/bench/proxmox.bench.mjs   (target: under 10 s)
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const GUESTS = Number(process.env.PROXMOX_BENCH_GUESTS ?? 1000);
const NODES = Number(process.env.PROXMOX_BENCH_NODES ?? 10);
const LATENCY_MS = Number(process.env.PROXMOX_BENCH_LATENCY_MS ?? 20);
const TARGET_S = 10;

try {
  execFileSync("openssl", ["version"], { stdio: "ignore" });
} catch {
  console.log("proxmox bench skipped: the openssl CLI is needed for the test certificate");
  process.exit(0);
}

// The replay server and the generated cluster are the tests' own TypeScript helpers.
const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = join(repo, "node_modules/.cache/cmdb-bench");
mkdirSync(outDir, { recursive: true });
const helpers = join(outDir, "proxmox-helpers.mjs");
await build({
  stdin: {
    contents: 'export { startReplayServer } from "./test/helpers/replay-server.ts"; export * from "./test/proxmox/pve-replay.ts";',
    resolveDir: repo,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "esm",
  packages: "external",
  outfile: helpers,
  logLevel: "warning",
});
const { startReplayServer, syntheticClusterRoutes, checkPveRequest, makeTestPki, TOKEN_ID, TOKEN_SECRET } = await import(pathToFileURL(helpers).href);

const pki = makeTestPki();
const server = await startReplayServer({
  routes: syntheticClusterRoutes(NODES, GUESTS),
  tls: { key: pki.key, cert: pki.cert },
  check: checkPveRequest,
  latencyMs: LATENCY_MS,
});
const storeDir = mkdtempSync(join(tmpdir(), "cmdb-bench-proxmox-"));
try {
  const env = {
    ...process.env,
    PROXMOX_URL: server.url,
    PROXMOX_TOKEN_ID: TOKEN_ID,
    PROXMOX_TOKEN_SECRET: TOKEN_SECRET,
    PROXMOX_CA_FILE: pki.caFile,
  };
  delete env.CMDB_DATABASE_URL;
  delete env.CMDB_CONFIG;
  const createStarted = performance.now();
  execFileSync(process.execPath, [join(repo, "dist/cli.js"), "--db", join(storeDir, "store"), "stats"], { cwd: storeDir, env, stdio: "ignore" });
  const createSeconds = (performance.now() - createStarted) / 1000;
  const ingest = () => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repo, "dist/cli.js"), "--db", join(storeDir, "store"), "ingest", "proxmox", "--json"], { cwd: storeDir, env });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", reject);
    child.on("close", (exit) => resolve({ code: exit, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
  const started = performance.now();
  const { code, stdout, stderr } = await ingest();
  const seconds = (performance.now() - started) / 1000;
  const firstRequests = server.requests.length;
  const firstInFlight = server.maxInFlight();
  const againStarted = performance.now();
  const again = await ingest();
  const againSeconds = (performance.now() - againStarted) / 1000;
  const report = code === 0 || code === 1 ? JSON.parse(stdout) : undefined;
  const source = report?.sources?.[0];
  if (code !== 0 || !source || source.new < GUESTS || server.violations.length > 0) {
    console.log("proxmox bench: the ingest did not succeed", { code, stderr: stderr.slice(-2000), errors: source?.errors?.slice(0, 3), violations: server.violations.slice(0, 3) });
    process.exitCode = 1;
  }
  console.log(
    `cmdb ingest proxmox: ${GUESTS} guests on ${NODES} nodes, ${firstRequests} requests at ${LATENCY_MS} ms each, at most ${firstInFlight} at once, ${source?.scopes ?? 0} scopes and ${source?.new ?? 0} CIs into an empty PGlite store: ${seconds.toFixed(2)} s wall, of which ${((source?.durationMs ?? 0) / 1000).toFixed(2)} s collecting and ingesting (target < ${TARGET_S} s)`,
  );
  console.log(`cmdb ingest proxmox again, nothing changed: ${againSeconds.toFixed(2)} s wall (exit ${again.code}); creating the empty store beforehand took ${createSeconds.toFixed(2)} s`);
  if (seconds >= TARGET_S) process.exitCode = 1;
} finally {
  await server.close();
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
}
