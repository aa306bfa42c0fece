import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateDrift } from "../../src/findings/evaluate.js";
import { readCredentials } from "../../src/findings/rotation/read.js";
import { rotationFindings } from "../../src/findings/rotation/findings.js";
import { rotationPolicy } from "../../src/findings/rotation/policy.js";
import { ingestSource } from "../../src/ingest/source.js";
import type { ObservationBatch } from "../../src/model/observation.js";
import { drawDiagram } from "../../src/report/diagram/draw.js";
import { collectHealth, renderHealth } from "../../src/report/health/index.js";
import { storedMarks } from "../../src/report/stored-marks.js";
import { bitwardenSource } from "../../src/sources/bitwarden/index.js";
import { openEngine } from "../../src/store/engine.js";
import { listFindingRecords } from "../../src/store/findings.js";
import { Store } from "../../src/store/store.js";
import { findCis } from "../../src/store/queries.js";
import { ROTATION_FILES } from "../bitwarden/vault.js";
import { collectLive, ingestLive, LabFiles, labState, settings } from "../findings/lab.js";
import { runCli } from "../helpers/cli.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";

/** Each test ingests the lab and runs drift on PGlite too: generous on a loaded machine, never a speed test. */
const SLOW = 300_000;

let live: ObservationBatch[];
beforeAll(async () => {
  live = await collectLive();
}, SLOW);
afterAll(dropTestSchemas);

describe.each(ENGINES.filter((e) => e.available))("diagram and report read drift and rotation from the store on $name", (engine) => {
  it("marks the drifted VM with its highest severity, counts the open findings and lists the due credential, the same bytes twice", async () => {
    const store = await engine.open();
    try {
      const files = new LabFiles();
      const t0 = new Date();
      // The lab as declared (web01 at 2048 MB) against Proxmox, where web01 was resized to 4096 MB.
      await files.ingestDeclared(store, labState(), "", t0);
      await ingestLive(store, live, t0);
      await ingestSource(store, bitwardenSource, { fromExport: ROTATION_FILES.export }, { settings, env: {} });
      const before = await storedMarks(store.engine, { now: t0 });
      expect(before.filter((m) => m.kind === "drift")).toEqual([]); // no drift run yet: nothing in the finding table
      await evaluateDrift(store, {}, settings, { now: t0 }); // what `cmdb drift` runs

      const open = await listFindingRecords(store.engine, "open");
      const [web01] = await findCis(store.engine, "proxmox.vm:lab/100");
      const web01Open = open.filter((r) => r.ciId === web01!.id);
      expect(web01Open.map((r) => `${r.kind} ${r.attribute}`)).toContain("changed memory_mb");
      const order = ["critical", "high", "medium", "low", "info"];
      const worst = web01Open.map((r) => r.severity).sort((a, b) => order.indexOf(a) - order.indexOf(b))[0]!;
      const due = rotationFindings(await readCredentials(store.engine), rotationPolicy(undefined), t0).credentials;
      expect(due.length).toBeGreaterThan(0);

      const marks = await storedMarks(store.engine, { now: t0 });
      expect(marks.filter((m) => m.kind === "drift")).toHaveLength(open.length);
      expect(marks.filter((m) => m.kind === "credential").map((m) => m.ciId).sort()).toEqual(due.map((c) => c.id).sort());

      const draw = async () => (await drawDiagram(store.engine, "mermaid", { marks, now: t0 })).text;
      const mermaid = await draw();
      const web01Line = mermaid.split("\n").find((l) => l.includes('"web01'))!;
      expect(web01Line).toContain(`[drift: ${worst}]`);
      expect(mermaid).toMatch(/:::.*f_drift|class .*f_drift/);
      expect(mermaid).toContain("an open drift finding (cmdb drift), with its highest severity");
      const dot = (await drawDiagram(store.engine, "dot", { marks, now: t0 })).text;
      expect(dot).toContain(`[drift: ${worst}]`);

      const report = await collectHealth(store.engine, { now: t0, marks });
      const drift = report.findings.find((f) => f.kind === "drift")!;
      expect(drift.total).toBe(open.length);
      const byKind: Record<string, number> = {};
      for (const r of open) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
      expect(drift.byCategory).toEqual(byKind);
      expect(drift.items.some((i) => i.id === web01!.id && i.title.startsWith("changed memory_mb:"))).toBe(true);
      const credential = report.findings.find((f) => f.kind === "credential")!;
      expect(credential.total).toBe(due.length);
      expect(credential.items.map((i) => i.name).sort()).toEqual(due.map((c) => c.name).sort());
      const markdown = renderHealth(report, "md");
      expect(markdown).toContain(`### drift (${open.length})`);
      expect(markdown).toContain(`| web01 | \`${web01!.id}\` |`);
      expect(markdown).toContain(`### credential (${due.length})`);
      for (const c of due) expect(markdown).toContain(c.name);

      // A second drift run over the same data and the same marks give the same bytes.
      await evaluateDrift(store, {}, settings, { now: t0 });
      const again = await storedMarks(store.engine, { now: t0 });
      expect(again).toEqual(marks);
      expect(await draw()).toBe(mermaid);
      const html = renderHealth(report, "html");
      const report2 = await collectHealth(store.engine, { now: t0, marks: again });
      expect(renderHealth(report2, "md")).toBe(markdown);
      expect(renderHealth(report2, "html")).toBe(html);
    } finally {
      await store.close();
    }
  }, SLOW);
});

describe("cmdb diagram and cmdb report after cmdb drift", () => {
  it("mark the drifted VM and list the due credential with no --marks, the same diagram twice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmdb-marks-cli-"));
    const db = join(dir, "store");
    const store = await Store.open(await openEngine(db));
    try {
      const files = new LabFiles();
      await files.ingestDeclared(store, labState());
      await ingestLive(store, live);
      await ingestSource(store, bitwardenSource, { fromExport: ROTATION_FILES.export }, { settings, env: {} });
    } finally {
      await store.close();
    }
    const before = await runCli(["--db", db, "report", "--format", "json"], { cwd: dir });
    expect(before.code, before.stderr).toBe(0);
    expect((JSON.parse(before.stdout) as { findings: { kind: string }[] }).findings.map((f) => f.kind)).toEqual(["credential"]);
    expect((await runCli(["--db", db, "drift"], { cwd: dir })).code).toBe(1);
    const diagram = await runCli(["--db", db, "diagram"], { cwd: dir });
    expect(diagram.code, diagram.stderr).toBe(0);
    expect(diagram.stdout.split("\n").find((l) => l.includes('"web01'))).toContain("[drift: medium]");
    expect(diagram.stdout).toContain("legend_f_drift");
    expect(diagram.stdout).toContain("legend_f_credential");
    expect((await runCli(["--db", db, "diagram"], { cwd: dir })).stdout).toBe(diagram.stdout);
    const report = await runCli(["--db", db, "report", "--format", "json"], { cwd: dir });
    expect(report.code, report.stderr).toBe(0);
    const findings = (JSON.parse(report.stdout) as { findings: { kind: string; total: number; byCategory: Record<string, number>; items: { name: string; title: string }[] }[] }).findings;
    const drift = findings.find((f) => f.kind === "drift")!;
    expect(drift.byCategory.changed).toBeGreaterThan(0);
    expect(drift.items.some((i) => i.name === "web01" && i.title.startsWith("changed memory_mb:"))).toBe(true);
    const credential = findings.find((f) => f.kind === "credential")!;
    expect(credential.total).toBeGreaterThan(0);
    const md = await runCli(["--db", db, "report"], { cwd: dir });
    expect(md.stdout).toContain(`### drift (${drift.total})`);
    expect(md.stdout).toContain(`### credential (${credential.total})`);
  }, SLOW);
});
