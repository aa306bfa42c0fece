// Diagrams and the health report over generated CMDBs, loaded through `importSnapshot`:
//  - the SVG of a 2,000-node dependency graph, from the store to the SVG text (target: under 3 s);
//  - the health report over 100,000 CIs on the PostgreSQL server (target: under 5 s), when one answers.
// Run: npm run build && node test/bench/report.bench.mjs   (REPORT_BENCH_CIS to change the 100,000)
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { collectHealth, drawDiagram, importSnapshot, openEngine, Store } from "../../dist/index.js";

const PG_URL = process.env.CMDB_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const BIG = Number(process.env.REPORT_BENCH_CIS ?? 100_000);

/** A snapshot of `n` CIs: VPCs of subnets and security groups, machines in them, a volume on every fourth. */
function snapshot(n) {
  const cis = [];
  const relationships = [];
  const ci = (id, type, name, env, attributes = {}) => {
    cis.push({
      id, type, name, status: "active", environment: env, provider: "aws", region: "eu-west-1", zone: null, owner: null, tags: {}, attributes,
      observations: [{ source: "ec2", scope: "bench/eu-west-1", ref: id, type, status: "present", keys: [`aws.bench:${id}`], strongKeys: [`aws.bench:${id}`], fields: {}, attributes }],
    });
  };
  const rel = (type, from, to) => relationships.push({ type, from, to, source: "ec2", scope: "bench/eu-west-1", status: "present" });
  const hex = (i) => `ci_${i.toString(16).padStart(16, "0")}`;
  let i = 0;
  const vpcs = Math.max(1, Math.round(n / 2000));
  for (let v = 0; v < vpcs && i < n; v++) {
    const env = v % 2 === 0 ? "production" : "staging";
    const vpc = hex(i++);
    ci(vpc, "vpc", `vpc-${v}`, env);
    const subnets = [];
    for (let s = 0; s < 4 && i < n; s++) {
      const subnet = hex(i++);
      ci(subnet, "subnet", `vpc-${v}-subnet-${s}`, env);
      rel("MEMBER_OF", subnet, vpc);
      subnets.push(subnet);
    }
    const groups = [];
    for (let g = 0; g < 20 && i < n; g++) {
      const sg = hex(i++);
      ci(sg, "security_group", `vpc-${v}-sg-${g}`, env);
      rel("MEMBER_OF", sg, vpc);
      groups.push(sg);
    }
    for (let m = 0; i < n && m < 1975; m++) {
      const vm = hex(i++);
      ci(vm, "virtual_machine", `vpc-${v}-vm-${m}`, env, { memory_mb: 2048 });
      rel("MEMBER_OF", vm, subnets[m % subnets.length]);
      rel("PROTECTED_BY", vm, groups[m % groups.length]);
      if (m % 4 === 0 && i < n) {
        const vol = hex(i++);
        ci(vol, "block_storage", `vpc-${v}-vol-${m}`, env);
        rel("ATTACHED_TO", vol, vm);
      }
    }
  }
  return JSON.stringify({ format: "gitops-cmdb-snapshot", version: 1, cis, relationships, pending: [] });
}

async function timed(label, fn, targetS) {
  const start = performance.now();
  const result = await fn();
  const s = (performance.now() - start) / 1000;
  console.log(`${label}: ${s.toFixed(2)} s (target ${targetS} s: ${(s / targetS).toFixed(2)} of it)`);
  return result;
}

{
  const store = await Store.open(await openEngine(":memory:"));
  await importSnapshot(store, snapshot(2000), "bench");
  const drawn = await timed("SVG of a 2,000-node dependency graph (PGlite)", () => drawDiagram(store.engine, "svg"), 3);
  console.log(`  ${drawn.nodes} nodes, ${drawn.edges} edges, ${(drawn.text.length / 1e6).toFixed(1)} MB of SVG`);
  await store.close();
}

let admin;
try {
  admin = await openEngine(PG_URL);
} catch (error) {
  console.log(`health report over ${BIG} CIs skipped: no PostgreSQL server at ${PG_URL} (${error.message})`);
  process.exit(0);
}
const schema = `cmdb_bench_${randomBytes(4).toString("hex")}`;
try {
  const store = await Store.open(await openEngine(PG_URL, { schema }));
  const start = performance.now();
  await importSnapshot(store, snapshot(BIG), "bench");
  console.log(`  (loading ${BIG} CIs took ${((performance.now() - start) / 1000).toFixed(1)} s, not counted)`);
  const report = await timed(`health report over ${BIG.toLocaleString("en")} CIs (PostgreSQL server)`, () => collectHealth(store.engine), 5);
  console.log(`  ${report.inventory.total} CIs, ${report.inventory.relationships} relationships, top single point of failure reaches ${report.singlePointsOfFailure[0]?.productionDependents} production CIs`);
  await store.close();
} finally {
  await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
}
