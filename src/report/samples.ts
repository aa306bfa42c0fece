import { readdirSync } from "node:fs";
import { join } from "node:path";
import { reconcileSettings } from "../config/schema.js";
import { ingestAnsibleFacts, ingestAnsibleInventory } from "../sources/ansible/ingest.js";
import { ingestTerraform } from "../sources/terraform/ingest.js";
import type { Store } from "../store/store.js";
import { byCodePoint } from "../util/order.js";
import { drawDiagram } from "./diagram/draw.js";
import { collectHealth, renderHealth } from "./health/index.js";

/** The instant the sample CMDB is ingested at, and the report an hour later: samples do not depend on when they are made. */
export const SAMPLE_INGEST_AT = new Date("2026-01-05T09:00:00Z");
export const SAMPLE_REPORT_AT = new Date("2026-01-05T10:00:00Z");

/** Ingests `examples/` (as `cmdb demo` does) at a fixed time, with scopes named relative to `root`. */
export async function ingestExamples(store: Store, root: string, now = SAMPLE_INGEST_AT): Promise<void> {
  const settings = reconcileSettings({});
  const tfDir = join(root, "examples", "terraform");
  for (const file of readdirSync(tfDir).filter((f) => f.endsWith(".tfstate")).sort(byCodePoint)) {
    await ingestTerraform(store, { input: join(tfDir, file), workspace: file.replace(/\.tfstate$/, ""), settings, proxmoxCluster: "homelab", now });
  }
  await ingestAnsibleInventory(store, [join(root, "examples", "ansible", "inventory.yml")], { settings, cwd: root, now });
  await ingestAnsibleFacts(store, join(root, "examples", "ansible", "facts"), { settings, cwd: root, now, scope: "examples/ansible/facts" });
}

/** The sample reports kept in reports/samples, by file name. */
export async function sampleReports(store: Store, now = SAMPLE_REPORT_AT): Promise<Record<string, string>> {
  const report = await collectHealth(store.engine, { now });
  const out: Record<string, string> = {
    "health.md": renderHealth(report, "md"),
    "health.html": renderHealth(report, "html"),
    "health.json": renderHealth(report, "json"),
  };
  const request = { now, groupBy: "aws-vpc" as const };
  out["diagram.mmd"] = (await drawDiagram(store.engine, "mermaid", request)).text;
  out["diagram.dot"] = (await drawDiagram(store.engine, "dot", request)).text;
  out["diagram.svg"] = (await drawDiagram(store.engine, "svg", request)).text;
  return out;
}
