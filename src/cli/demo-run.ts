import { existsSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { evaluateDrift } from "../findings/evaluate.js";
import { show } from "../findings/drift.js";
import { readCredentials } from "../findings/rotation/read.js";
import { rotationFindings } from "../findings/rotation/findings.js";
import { rotationPolicy } from "../findings/rotation/policy.js";
import { ingestSource } from "../ingest/source.js";
import { ingestAnsibleFacts, ingestAnsibleInventory } from "../sources/ansible/ingest.js";
import { ingestProxmoxBatches } from "../sources/proxmox/task.js";
import { ingestTerraform } from "../sources/terraform/ingest.js";
import { walk } from "../graph/walk.js";
import { drawDiagram } from "../report/diagram/draw.js";
import { collectHealth, renderHealth } from "../report/health/index.js";
import { storedMarks } from "../report/stored-marks.js";
import { bitwardenSource } from "../sources/bitwarden/index.js";
import { collectProxmox } from "../sources/proxmox/source.js";
import { listCis, stats } from "../store/queries.js";
import { CmdbError, UsageError } from "../util/errors.js";
import { DEMO_TOKEN_ID, DEMO_TOKEN_SECRET, startProxmoxReplay } from "./demo-replay.js";
import { summarizeIngest } from "./ingest.js";
import { writeOutput } from "./output.js";
import { renderStats, renderTree } from "./render.js";
import { globals } from "./context.js";
import { withStore } from "./store-context.js";
import { table } from "../util/table.js";

/**
 * The day the Proxmox answers were recorded and the vault exported. Rotation in the demo is shown
 * as of this day, so the demo prints the same due list whenever it runs: the overdue credentials
 * are overdue for good, the one due soon is due soon only as of this day (as of today it is due
 * or overdue). `cmdb rotation` without --as-of, the report and the diagram count from today.
 */
export const DEMO_AS_OF = "2026-12-01";

export interface DemoOptions {
  /** The examples directory (default: the package's own). */
  examples?: string;
  /** Where the report and the diagram go (default ./cmdb-demo). */
  out: string;
}

function examplesDir(flag: string | undefined): string {
  if (flag) {
    if (!existsSync(join(flag, "terraform"))) throw new UsageError("is not an examples directory (it has no terraform/ folder)", { where: flag, hint: "pass the examples/ folder of a gitops-cmdb clone" });
    return resolve(flag);
  }
  // dist/cli.js and src/cli/demo-run.ts both sit two levels below the package root
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "examples"))) return join(dir, "examples");
    dir = dirname(dir);
  }
  throw new CmdbError("cannot find the examples directory", { hint: "pass --examples DIR" });
}

/** A path as a person types it from here: relative when below the working directory. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** A shell word: bare when it is safe, else quoted. */
const word = (text: string): string => (/^[\w./:@=+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

export async function runDemo(command: Command, options: DemoOptions): Promise<void> {
  const dir = examplesDir(options.examples);
  const outDir = resolve(options.out);
  const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  await withStore(command, async ({ store, config, settings }) => {
    out(`gitops-cmdb demo: ingesting the example infrastructure in ${dir} into ${store.engine.label}\n`);

    // Live answers first, as a scheduled discovery has them before a post-apply hook ingests the state:
    // the Terraform guests then find the Proxmox nodes they run on.
    const proxmoxDir = join(dir, "proxmox");
    const clusters = existsSync(proxmoxDir) ? readdirSync(proxmoxDir).filter((d) => existsSync(join(proxmoxDir, d, "routes.json"))).sort() : [];
    for (const cluster of clusters) {
      // The real client against the recorded answers, over loopback: no Proxmox, no network.
      const replay = await startProxmoxReplay(join(proxmoxDir, cluster));
      try {
        out(`Proxmox VE cluster ${cluster} (live answers recorded on ${DEMO_AS_OF}, replayed on ${replay.url}):`);
        const collected = await collectProxmox({ url: replay.url, tokenId: DEMO_TOKEN_ID, tokenSecret: DEMO_TOKEN_SECRET });
        // What the replay could not answer says most (the request line); else what the client made of an answer.
        const problems = replay.problems.length > 0 ? replay.problems : collected.errors.map((e) => `${e.where.replace(/^\S+ /, "")}: ${e.message}`);
        if (problems.length > 0) {
          throw new CmdbError(`the recorded Proxmox answers do not make a cluster: ${problems.join("; ")}`, {
            where: join(proxmoxDir, cluster),
            hint: "every request the collection makes needs a line in routes.json and its file",
          });
        }
        const ingested = await ingestProxmoxBatches(collected.batches, { store, settings });
        if (ingested.errors.length > 0) throw new CmdbError(ingested.errors[0]!.message, { where: ingested.errors[0]!.where });
        for (const r of ingested.results) out(`  ${summarizeIngest(r)}`);
      } finally {
        await replay.close();
      }
    }

    out("Terraform state (declared):");
    const tfDir = join(dir, "terraform");
    for (const file of readdirSync(tfDir).filter((f) => f.endsWith(".tfstate")).sort()) {
      const workspace = file.replace(/\.tfstate$/, "");
      for (const r of await ingestTerraform(store, { input: join(tfDir, file), workspace, settings, proxmoxCluster: "homelab", acceptOlderSerial: true })) {
        out(`  ${summarizeIngest(r)}`);
      }
    }
    // The package root, so that scopes read `ansible:examples/ansible/…` wherever the demo runs from.
    const root = dirname(dir);
    const ansibleDir = join(dir, "ansible");
    if (existsSync(ansibleDir)) {
      out("Ansible inventory and facts:");
      out(`  ${summarizeIngest(await ingestAnsibleInventory(store, [join(ansibleDir, "inventory.yml")], { settings, cwd: root }))}`);
      out(`  ${summarizeIngest(await ingestAnsibleFacts(store, join(ansibleDir, "facts"), { settings, cwd: root, scope: relative(root, join(ansibleDir, "facts")) }))}`);
    }

    const vault = join(dir, "bitwarden", "export.json");
    if (existsSync(vault)) {
      out("Bitwarden export (credentials' metadata, never their secrets):");
      for (const r of await ingestSource(store, bitwardenSource, { fromExport: vault }, { settings })) out(`  ${summarizeIngest(r)}`);
    }

    const cis = await listCis(store.engine);
    out(`\nWhat the CMDB knows (${cis.length} CIs):\n`);
    out(table(["ID", "TYPE", "NAME", "STATUS", "PROVIDER", "ENV", "SOURCES"], cis.map((c) => [c.id, c.type, c.name, c.status, c.provider, c.environment, c.sources.join(",")])));
    const machines = cis.filter((c) => c.sources.length > 1 && c.type !== "credential");
    if (machines.length > 0) {
      out(`\n${machines.length} machines are described by several sources and joined into one CI each (strong keys: SMBIOS UUID, MAC, machine-id, Proxmox vmid):\n`);
      out(table(["ID", "NAME", "SOURCES"], machines.map((c) => [c.id, c.name, c.sources.join(", ")])));
    }

    const drift = await evaluateDrift(store, config, settings);
    out(`\nDrift: what is live differs from what is declared (cmdb drift), ${drift.findings.length} finding(s):\n`);
    if (drift.findings.length > 0) {
      out(
        table(
          ["SEVERITY", "KIND", "CI", "ATTRIBUTE", "DETAIL"],
          drift.findings.map((f) => [
            f.severity,
            f.kind,
            f.ci.name,
            f.attribute ?? "",
            f.diffs?.length ? f.diffs.map((d) => `${show(d.declared)} declared, ${show(d.live)} live (${d.source})`).join("; ") : f.message,
          ]),
        ),
      );
    }

    const policy = rotationPolicy(config.rotation);
    const rotation = rotationFindings(await readCredentials(store.engine), policy, new Date(`${DEMO_AS_OF}T00:00:00Z`), policy.withinMs);
    out(`\nCredentials due for rotation as of ${DEMO_AS_OF} (cmdb rotation --as-of ${DEMO_AS_OF}), ${rotation.credentials.length} of them:\n`);
    if (rotation.credentials.length > 0) {
      const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "-");
      out(
        table(
          ["STATUS", "DUE", "NAME", "LAST ROTATED", "POLICY", "SYSTEMS"],
          rotation.credentials.map((c) => [c.status, day(c.due), c.name, day(c.lastRotated), c.policy, c.systems.map((s) => s.name).join(", ") || "-"]),
        ),
      );
    }

    const vm = cis.find((c) => c.type === "virtual_machine" && c.sources.includes("proxmox") && c.sources.includes("terraform")) ?? cis.find((c) => c.type === "virtual_machine");
    if (vm) {
      out(`\nWhat ${vm.name} depends on (cmdb deps ${vm.id}):\n`);
      out(renderTree(await walk(store.engine, vm.id, "deps", 3)));
    }
    out(`\n${renderStats(await stats(store.engine))}`);

    // The report and the diagram as `cmdb report` and `cmdb diagram` write them: findings and due credentials as of now.
    const now = new Date();
    const marks = await storedMarks(store.engine, { now, ...(config.rotation ? { rotation: config.rotation } : {}) });
    const health = await collectHealth(store.engine, { now, marks });
    const files = {
      report: join(outDir, "health.html"),
      reportMd: join(outDir, "health.md"),
      diagram: join(outDir, "diagram.svg"),
      diagramMd: join(outDir, "diagram.mmd"),
    };
    writeOutput(files.report, renderHealth(health, "html"));
    writeOutput(files.reportMd, renderHealth(health, "md"));
    const request = { now, marks, groupBy: "provider" as const };
    writeOutput(files.diagram, (await drawDiagram(store.engine, "svg", request)).text);
    writeOutput(files.diagramMd, (await drawDiagram(store.engine, "mermaid", request)).text);
    out(
      [
        `\nWrote into ${shown(outDir)}/:`,
        `  ${shown(files.report)}    the health report (open it in a browser; ${shown(files.reportMd)} is the same in Markdown)`,
        `  ${shown(files.diagram)}    the CMDB as a diagram, drift and due credentials marked (${shown(files.diagramMd)}: Mermaid, as GitHub renders it)`,
      ].join("\n"),
    );

    // Lines that work as printed, from the clone: `npx cmdb` runs the package's own CLI (or `npm link` once for `cmdb`).
    const db = globals(command).db;
    const cmdb = `npx cmdb${db ? ` --db ${word(db)}` : ""}`;
    const drifted = drift.findings.find((f) => f.kind === "changed");
    const credential = rotation.credentials[0];
    out(
      [
        "\nTry (`npx cmdb` from this clone, or `cmdb` after `npm link`):",
        `  ${cmdb} ci list --type virtual_machine`,
        ...(drifted ? [`  ${cmdb} ci show ${drifted.ci.id}`, `  ${cmdb} changes --ci ${drifted.ci.id}`] : []),
        `  ${cmdb} drift --fail-on none`,
        `  ${cmdb} rotation --as-of ${DEMO_AS_OF}`,
        ...(credential ? [`  ${cmdb} impact ${credential.id}`] : []),
        ...(vm ? [`  ${cmdb} diagram --root ${vm.id} --direction up`] : []),
        `  ${cmdb} report --format md -o ${word(shown(join(outDir, "report.md")))}`,
        `  ${cmdb} snapshot export -o cmdb-snapshot.json`,
      ].join("\n"),
    );
  });
}
