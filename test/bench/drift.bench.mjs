/**
 * `cmdb drift` over 10,000 Terraform-managed VMs that Proxmox also reports, 5% of them resized by
 * hand (target: under 2 s on PGlite), and the API calls of an unchanged second `--github` run over
 * 500 open issues (target: reads only, one list page per 100 issues).
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
// Two levels under the repository, as test/helpers/corpus.ts (bundled in) finds the fixtures from its own path.
const outDir = join(repo, "dist/bench");
mkdirSync(outDir, { recursive: true });
const bundle = join(outDir, "drift-bench.mjs");
await build({
  stdin: {
    contents: `export { startStandIn, TOKEN } from "./test/github/stand-in.ts";
      export { evaluateDrift } from "./src/findings/evaluate.ts";
      export { fingerprint } from "./src/findings/fingerprint.ts";
      export { ingestBatch } from "./src/reconcile/ingest.ts";
      export { reconcileSettings } from "./src/config/schema.ts";
      export { openEngine } from "./src/store/engine.ts";
      export { Store } from "./src/store/store.ts";
      export { createGitHubClient } from "./src/github/client.ts";
      export { driftSyncSpec } from "./src/github/drift-issues.ts";
      export { syncIssues } from "./src/github/sync.ts";
      export { writeBudget } from "./src/github/budget.ts";`,
    resolveDir: repo,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "esm",
  packages: "external",
  outfile: bundle,
  logLevel: "warning",
});
const m = await import(pathToFileURL(bundle).href);

const N = 10_000;
const settings = m.reconcileSettings({});
const store = await m.Store.open(await m.openEngine(":memory:"));
const mac = (i) => `bc:24:11:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
const declared = [];
const live = [];
for (let i = 0; i < N; i++) {
  const vmid = 1000 + i;
  const name = `vm${i}`;
  const keys = [{ scheme: "proxmox.vm", value: `lab/${vmid}`, strength: "strong" }, { scheme: "hostname", value: name, strength: "weak" }];
  const nic = [{ name: "net0", mac: mac(i), bridge: "vmbr0" }];
  declared.push({
    ref: `proxmox_vm_qemu.vm[${i}]`,
    type: "virtual_machine",
    name,
    keys: [...keys, { scheme: "terraform", value: `proxmox_vm_qemu.vm[${i}]`, strength: "weak" }],
    attributes: { hostname: name, cpu_cores: 2, cpu_sockets: 1, memory_mb: 2048, interfaces: nic, kind: "proxmox_vm_qemu", values: { name, memory: 2048, tags: "prod", network: [{ bridge: "vmbr0", macaddr: mac(i), firewall: true }] } },
    tags: { prod: "" },
  });
  live.push({
    ref: `qemu/${vmid}`,
    type: "virtual_machine",
    name,
    keys,
    tags: { prod: "" },
    attributes: { vmid, hostname: name, cpu_cores: 2, cpu_sockets: 1, memory_mb: i % 20 === 0 ? 4096 : 2048, interfaces: nic.map((n) => ({ ...n, firewall: true })), tags: ["prod"] },
  });
}
await m.ingestBatch(store, { source: "terraform", scope: "bench/default", complete: true, observations: declared, relationships: [] }, { settings });
await m.ingestBatch(store, { source: "proxmox", scope: "proxmox:lab", complete: true, observations: [], relationships: [] }, { settings });
await m.ingestBatch(store, { source: "proxmox", scope: "proxmox:lab/pve1", complete: true, observations: live, relationships: [] }, { settings });

let t = performance.now();
const first = await m.evaluateDrift(store, {}, settings);
const firstMs = performance.now() - t;
t = performance.now();
const second = await m.evaluateDrift(store, {}, settings);
const secondMs = performance.now() - t;
const drifted = first.findings.filter((f) => f.kind === "changed").length;
console.log(`drift over ${N} managed VMs (PGlite): ${drifted} changed findings; first run ${(firstMs / 1000).toFixed(2)} s (${(firstMs / 2000).toFixed(2)}× the 2 s target), second run ${(secondMs / 1000).toFixed(2)} s (${(secondMs / 2000).toFixed(2)}×)`);
if (drifted !== N / 20 || second.findings.length !== first.findings.length) throw new Error(`expected ${N / 20} changed findings, got ${drifted}`);
await store.close();

// 500 drifted CIs become 500 issues (and the dashboard); then an unchanged second run.
const gh = await m.startStandIn();
const findings = Array.from({ length: 500 }, (_, i) => {
  const key = `proxmox.vm:lab/${1000 + i}`;
  return {
    fingerprint: m.fingerprint("changed", key, "memory_mb"),
    kind: "changed",
    severity: "medium",
    ci: { id: `ci_${i}`, name: `vm${i}`, type: "virtual_machine", keys: [key] },
    key,
    attribute: "memory_mb",
    diffs: [{ attribute: "memory_mb", declared: 2048, live: 4096, source: "proxmox" }],
    message: "",
    sources: [],
  };
});
const report = { generatedAt: "", findings, lifecycle: {}, resolved: [], ignored: [], expiredIgnores: [], coverage: { machines: null, cis: null, scopes: [] }, held: [], heldKeys: [] };
const octokit = await m.createGitHubClient({ env: { GITHUB_TOKEN: m.TOKEN, GITHUB_API_URL: gh.url }, writeIntervalMs: 0 });
const target = { octokit, owner: "lab-org", repo: "infra", dryRun: false };
await m.syncIssues(m.driftSyncSpec(report), { ...target, budget: m.writeBudget([], { perMinute: 10_000, perHour: 10_000 }) });
const open = [...gh.issues.values()].filter((i) => i.state === "open").length;
gh.reset();
t = performance.now();
await m.syncIssues(m.driftSyncSpec(report), { ...target, budget: m.writeBudget([]) });
const syncMs = performance.now() - t;
const pages = Math.ceil(open / 100);
console.log(
  `unchanged second --github run over ${open} open issues: ${gh.reads()} reads (${(gh.reads() / pages).toFixed(2)}× the bound of ${pages} list pages), ${gh.writes()} writes; ${(syncMs / 1000).toFixed(2)} s`,
);
if (gh.violations.length > 0) throw new Error(gh.violations.join("; "));
await gh.close();
if (gh.writes() !== 0) process.exit(1);
