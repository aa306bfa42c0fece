/**
 * The Neo4j projection at scale: 100k CIs and 300k relationships (synthetic, the shape the store
 * hands over), projected and exported as Cypher, GraphML and JSON: generation time, file size and
 * peak memory, each format in its own process. Against a real server when CMDB_BENCH_NEO4J_URL is
 * set (credentials from NEO4J_USERNAME / NEO4J_PASSWORD): a full sync's transactions, halvings and
 * wall time, from an in-memory store loaded with the same graph by snapshot import.
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const CIS = Number(process.env.CMDB_BENCH_CIS ?? 100_000);
const RELS = Number(process.env.CMDB_BENCH_RELS ?? 300_000);
const TYPES = ["virtual_machine", "server", "subnet", "security_group", "block_storage", "container"];
const REL_TYPES = ["RUNS_ON", "MEMBER_OF", "PROTECTED_BY", "ATTACHED_TO", "DEPENDS_ON"];

/** A deterministic graph: CIs with realistic attributes, relationships between random pairs. */
function graph() {
  // mulberry32: 32-bit arithmetic throughout, so the sequence does not collapse into a short cycle.
  let seed = 42;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const id = (i) => `ci_${i.toString(16).padStart(16, "0")}`;
  const cis = [];
  for (let i = 0; i < CIS; i++) {
    cis.push({
      id: id(i),
      type: TYPES[i % TYPES.length],
      name: `host-${i}.example.internal`,
      status: i % 50 === 0 ? "missing" : "active",
      environment: i % 3 === 0 ? "prod" : "staging",
      provider: i % 2 === 0 ? "aws" : "proxmox",
      region: "eu-west-1",
      zone: null,
      owner: "platform",
      tags: { Name: `host-${i}`, team: `team-${i % 17}` },
      attributes: {
        memory_mb: 2048 * (1 + (i % 4)),
        cpu_cores: 1 + (i % 8),
        os_name: "Debian",
        ip_addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
        disks: [{ name: "sda", size_gb: 32 }],
        load: rnd(),
      },
      keys: [`aws.instance:i-${i.toString(16)}`, `hostname:host-${i}`],
      sources: ["terraform", "ec2"],
    });
  }
  const seen = new Set();
  const relationships = [];
  while (relationships.length < RELS) {
    const from = Math.floor(rnd() * CIS);
    const to = Math.floor(rnd() * CIS);
    const type = REL_TYPES[relationships.length % REL_TYPES.length];
    const key = `${from}|${type}|${to}`;
    if (from === to || seen.has(key)) continue;
    seen.add(key);
    relationships.push({ type, from: id(from), to: id(to), sources: ["terraform"] });
  }
  return { cis, relationships };
}

if (process.argv[2] === "--format") {
  const format = process.argv[3];
  const file = process.argv[4];
  const { neo4j } = await import(join(root, "dist/index.js"));
  const g = graph();
  const t0 = performance.now();
  const projection = neo4j.project(g.cis, g.relationships);
  const projectMs = performance.now() - t0;
  const out = createWriteStream(file);
  const t1 = performance.now();
  for (const chunk of neo4j.exportProjection(projection, format)) if (!out.write(chunk)) await once(out, "drain");
  out.end();
  await once(out, "finish");
  const exportMs = performance.now() - t1;
  console.log(
    JSON.stringify({ format, nodes: projection.nodes.length, edges: projection.edges.length, projectS: projectMs / 1000, exportS: exportMs / 1000, mb: statSync(file).size / 2 ** 20, peakMb: process.resourceUsage().maxRSS / 1024 }),
  );
  process.exit(0);
}

if (process.argv[2] === "--sync") {
  const lib = await import(join(root, "dist/index.js"));
  const g = graph();
  const snapshot = {
    format: "gitops-cmdb-snapshot",
    version: 1,
    cis: g.cis.map((c) => ({ ...c, keys: undefined, sources: undefined, observations: [{ source: "terraform", scope: "bench", ref: c.id, type: c.type, status: "present", keys: c.keys, strongKeys: [], fields: {}, attributes: {} }] })),
    relationships: g.relationships.map((r) => ({ type: r.type, from: r.from, to: r.to, source: "terraform", scope: "bench", status: "present" })),
    pending: [],
  };
  const store = await lib.Store.open(await lib.openEngine(":memory:"));
  await lib.importSnapshot(store, JSON.stringify(snapshot), "bench");
  const t = performance.now();
  const report = await lib.neo4j.syncGraph(store, { url: process.env.CMDB_BENCH_NEO4J_URL }, { full: true });
  console.log(JSON.stringify({ sync: "full", wallS: (performance.now() - t) / 1000, transactions: report.transactions, halvings: report.halvings, counts: report.counts }));
  await store.close();
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), "cmdb-bench-neo4j-"));
try {
  console.log(`projection of ${CIS} CIs and ${RELS} relationships`);
  for (const format of ["cypher", "graphml", "json"]) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--format", format, join(work, `graph.${format}`)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    const x = JSON.parse(r.stdout);
    console.log(`${format.padEnd(8)} project ${x.projectS.toFixed(2)} s, export ${x.exportS.toFixed(2)} s, ${x.mb.toFixed(1)} MiB, peak ${x.peakMb.toFixed(0)} MiB`);
  }
  if (process.env.CMDB_BENCH_NEO4J_URL) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--sync"], { encoding: "utf8", env: process.env });
    if (r.status !== 0) throw new Error(r.stderr);
    const x = JSON.parse(r.stdout);
    console.log(`full sync to ${process.env.CMDB_BENCH_NEO4J_URL}: ${x.wallS.toFixed(1)} s, ${x.transactions} transactions, ${x.halvings} halvings`);
  } else {
    console.log("sync against a real server: SKIPPED (set CMDB_BENCH_NEO4J_URL; no Neo4j server runs on these machines)");
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
