import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store.js";
import { walk } from "../../src/graph/walk.js";
import { collectHealth, renderHealth } from "../../src/report/health/index.js";
import { SAMPLE_INGEST_AT, SAMPLE_REPORT_AT } from "../../src/report/samples.js";
import { findCis, listCis } from "../../src/store/queries.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { exampleStore } from "./example-store.js";

const HOUR = 3_600_000;
const json: Record<string, string> = {};
const facts = (host: string) => JSON.parse(readFileSync(join(REPO_ROOT, "examples/ansible/facts", host), "utf8")); // the fact cache format: the facts themselves

afterAll(async () => {
  await dropTestSchemas();
});

for (const engine of ENGINES) {
  describe.skipIf(!engine.available)(`health report of the example CMDB (${engine.name})`, () => {
    // One store per engine: the report only reads it. Building the first PGlite store includes initdb.
    let shared: Store;
    beforeAll(async () => {
      shared = await exampleStore(engine);
    }, 600_000);
    afterAll(async () => {
      await shared?.close();
    });
    it("counts what the store holds, by type, provider, environment, status and source", async () => {
      const store = shared;
      const report = await collectHealth(store.engine, { now: SAMPLE_REPORT_AT });
      const cis = await listCis(store.engine);
      expect(report.inventory.total).toBe(cis.length);
      const tally = (key: (c: (typeof cis)[number]) => string) => {
        const out: Record<string, number> = {};
        for (const c of cis) out[key(c)] = (out[key(c)] ?? 0) + 1;
        return out;
      };
      expect(report.inventory.byType).toEqual(tally((c) => c.type));
      expect(report.inventory.byProvider).toEqual(tally((c) => c.provider ?? "(none)"));
      expect(report.inventory.byEnvironment).toEqual(tally((c) => c.environment ?? "(none)"));
      expect(report.inventory.byStatus).toEqual({ active: cis.length });
      for (const source of ["terraform", "ansible", "ansible-facts"]) {
        expect(report.inventory.bySource[source]).toBe(cis.filter((c) => c.sources.includes(source)).length);
      }
      // Six machines: four Proxmox guests with facts, two EC2 instances known only to Terraform.
      const machines = cis.filter((c) => ["server", "virtual_machine", "container", "hypervisor_node"].includes(c.type));
      expect(report.coverage.machines).toBe(machines.length);
      expect(report.coverage.discovery.count).toBe(machines.filter((c) => c.sources.includes("ansible-facts")).length);
      expect(report.coverage.discovery.met).toBe(report.coverage.discovery.count / machines.length > 0.8);
      expect(report.coverage.terraform.count).toBe(machines.filter((c) => c.sources.includes("terraform")).length);
      expect(report.coverage.inventory.count).toBe(machines.filter((c) => c.sources.includes("ansible")).length);
      expect(report.coverage.owner.count).toBe(machines.filter((c) => c.owner).length);
      expect(report.coverage.fresh).toMatchObject({ count: machines.length, met: true });
      // Ingested exactly an hour before the report.
      expect(report.freshness.ages).toEqual({ "under 1 h": cis.length });
      expect(report.freshness.scopes.map((s) => s.fresh)).toEqual([true, true, true, true]);
    });

    it("lists the attributes sources disagree on: memory from facts against Terraform's", async () => {
      const store = shared;
      const report = await collectHealth(store.engine, { now: SAMPLE_REPORT_AT });
      const tf = JSON.parse(readFileSync(join(REPO_ROOT, "examples/terraform/homelab-proxmox.tfstate"), "utf8"));
      const declared = new Map<string, number>();
      for (const r of tf.resources) for (const i of r.instances) if (i.attributes.memory) declared.set(i.attributes.name ?? i.attributes.hostname, Number(i.attributes.memory));
      const memory = report.conflicts.filter((c) => c.attribute === "memory_mb");
      expect(memory.length).toBeGreaterThan(0);
      for (const c of memory) {
        expect(c.values).toEqual([
          { source: "ansible-facts", value: facts(c.name).ansible_memtotal_mb },
          { source: "terraform", value: declared.get(c.name) },
        ]);
      }
      expect(report.conflictsTotal).toBe(report.conflicts.length);
    });

    it("ranks the most depended-upon CIs and the single points of failure of production", async () => {
      const store = shared;
      const report = await collectHealth(store.engine, { now: SAMPLE_REPORT_AT });
      const [top] = report.singlePointsOfFailure;
      expect(top!.name).toBe("shop-vpc");
      const impact = (await walk(store.engine, top!.id, "impact", 50)).filter((n) => n.id !== top!.id);
      expect(top!.dependents).toBe(impact.length);
      const production = (await listCis(store.engine, { environment: "production" })).map((c) => c.id);
      expect(top!.productionDependents).toBe(impact.filter((n) => production.includes(n.id)).length);
      for (const d of report.dependedUpon.slice(0, 5)) {
        expect(d.dependents).toBe((await walk(store.engine, d.id, "impact", 50)).length - 1);
      }
      expect(report.singlePointsOfFailure.every((s) => s.productionDependents > 0)).toBe(true);
      expect(report.singlePointsOfFailure.map((s) => s.name)).not.toContain("k3s_cluster");
    });

    it("shows the findings it is given, and staleness as time passes", async () => {
      const store = shared;
      const [db] = await findCis(store.engine, "terraform:aws_db_instance.shop");
      const [pihole] = await findCis(store.engine, "hostname:pihole");
      const later = new Date(SAMPLE_INGEST_AT.getTime() + 10 * 24 * HOUR);
      const report = await collectHealth(store.engine, {
        now: later,
        marks: [
          { ciId: db!.id, kind: "drift", severity: "high", title: "allocated_storage 20 → 50" },
          { ciId: pihole!.id, kind: "credential", severity: "medium", title: "root password due" },
        ],
      });
      expect(report.findings.map((f) => [f.kind, f.total, f.bySeverity])).toEqual([
        ["credential", 1, { medium: 1 }],
        ["drift", 1, { high: 1 }],
      ]);
      expect(report.coverage.credentials.count).toBe(1);
      expect(report.coverage.fresh).toMatchObject({ count: 0, met: false });
      expect(report.freshness.staleTotal).toBe(report.inventory.total);
      expect(report.freshness.scopes.every((s) => !s.fresh)).toBe(true);
      const md = renderHealth(report, "md");
      expect(md).toContain("### drift (1)");
      expect(md).toContain(`| shop-db | \`${db!.id}\` | high | allocated_storage 20 → 50 |`);
      expect(md).toContain("❌ some older than the target");
    });

    it("gives byte-identical JSON, Markdown and HTML for the same CMDB", async () => {
      const store = shared;
      for (const format of ["json", "md", "html"] as const) {
        const a = renderHealth(await collectHealth(store.engine, { now: SAMPLE_REPORT_AT }), format);
        const b = renderHealth(await collectHealth(store.engine, { now: SAMPLE_REPORT_AT }), format);
        expect(b).toBe(a);
        json[`${engine.name}.${format}`] = a;
      }
      const html = json[`${engine.name}.html`]!;
      expect(html).not.toMatch(/<script|<link|src="http|href="http|@import|url\(/i);
    });
  });
}

describe("health report across engines", () => {
  it("is byte-identical on PGlite and the PostgreSQL server", () => {
    if (!json["postgres.json"] || !json["pglite.json"]) {
      console.warn("SKIPPED: the report was not made on both engines");
      return;
    }
    for (const format of ["json", "md", "html"]) expect(json[`postgres.${format}`]).toBe(json[`pglite.${format}`]);
  });
});
