// Proxmox collection of a replayed cluster of 1,000 guests on 10 nodes, every request answered
// over TLS after 20 ms (a LAN round trip plus PVE's own work), with the default concurrency.
// Run: npm run build && node test/bench/proxmox.bench.mjs   (target: under 10 s)
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { proxmox } from "../../dist/index.js";

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
try {
  const config = { url: server.url, tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, caFile: pki.caFile };
  const started = performance.now();
  const { batches, errors } = await proxmox.collectProxmox(config);
  const seconds = (performance.now() - started) / 1000;
  const guests = batches.flatMap((b) => b.observations).filter((o) => o.type === "virtual_machine" || o.type === "container").length;
  if (errors.length > 0 || server.violations.length > 0 || guests !== GUESTS || !batches.every((b) => b.complete)) {
    console.log("proxmox bench: the collection was not complete", { errors: errors.slice(0, 3), violations: server.violations.slice(0, 3), guests });
    process.exitCode = 1;
  }
  console.log(
    `proxmox collect: ${guests} guests on ${NODES} nodes, ${server.requests.length} requests at ${LATENCY_MS} ms each, at most ${server.maxInFlight()} at once: ${seconds.toFixed(2)} s (target < ${TARGET_S} s)`,
  );
  if (seconds >= TARGET_S) process.exitCode = 1;
} finally {
  await server.close();
  rmSync(pki.dir, { recursive: true, force: true });
}
