import type { Command } from "commander";
import { print } from "./context.js";

/** Identification, explained and corrected: ci why, ci merge, ci split, keys --shared. */
export function registerIdentity(program: Command): void {
  const ci = program.commands.find((c) => c.name() === "ci") ?? program.command("ci").description("list and show configuration items");

  ci.command("why")
    .description("why these observations are one CI: the keys that joined them with their rank, the keys refused and why, merges and splits")
    .argument("<id|key>", "a CI id (an id merged away still resolves) or an identity key")
    .option("--json", "print JSON")
    .action(async (idOrKey: string, opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { identityOf, resolveCi } = await import("../store/queries.js");
      const { explainIdentity } = await import("../reconcile/explain.js");
      const out = await withStore(command, async ({ store, settings }) => {
        const ci = await resolveCi(store.engine, idOrKey);
        const record = await identityOf(store.engine, ci.id);
        const explanation = explainIdentity(record.observations, record.sharedKeys, record.overrides, settings);
        return { ci: { id: ci.id, name: ci.name, type: ci.type, status: ci.status }, ...explanation, mergedIds: record.aliases, history: record.events };
      }, { existing: true });
      print(out, opts.json, () => renderWhy(out));
    });

  ci.command("merge")
    .description("declare two CIs one thing: the older id survives, the other resolves to it, and every later ingest keeps them one")
    .argument("<id>", "a CI id")
    .argument("<other>", "the other CI id")
    .option("--json", "print JSON")
    .action(async (a: string, b: string, opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { mergeCis } = await import("../reconcile/corrections.js");
      const result = await withStore(command, ({ store, settings }) => mergeCis(store, a, b, settings), { existing: true });
      for (const w of result.warnings) process.stderr.write(`cmdb: warning: ${w}\n`);
      print(result, opts.json, () => `merged: ${result.placed.map((p) => p.ci)[0]} (run ${result.runId})\n`);
    });

  ci.command("split")
    .description("take one observation out of a CI for good: it becomes its own CI, and no later ingest joins it back")
    .argument("<id>", "the CI id")
    .requiredOption("--observation <source:scope:ref>", "the observation to split off, as `cmdb ci why` lists it")
    .option("--json", "print JSON")
    .action(async (id: string, opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { splitObservation } = await import("../reconcile/corrections.js");
      const result = await withStore(command, ({ store, settings }) => splitObservation(store, id, opts.observation, settings), { existing: true });
      for (const w of result.warnings) process.stderr.write(`cmdb: warning: ${w}\n`);
      print(result, opts.json, () => `split: ${opts.observation} is now ${result.placed[0]!.ci} (run ${result.runId})\n`);
    });

  program
    .command("keys")
    .description("identity keys that identify nothing: learned as shared, placeholders, or ignored by the config")
    .option("--shared", "list the demoted keys and why (the default)")
    .option("--json", "print JSON")
    .action(async (opts, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { sharedKeyReport } = await import("../store/queries.js");
      const { refusedKeys } = await import("../reconcile/explain.js");
      const { table } = await import("../util/table.js");
      const out = await withStore(command, async ({ store, settings }) => {
        const report = await sharedKeyReport(store.engine);
        const learned = new Set(report.learned.map((l) => l.key));
        return {
          shared: report.learned,
          refused: refusedKeys(
            report.keys.filter((k) => !learned.has(k)),
            settings,
          ),
        };
      }, { existing: true });
      print(out, opts.json, () => {
        const rows = [
          ...out.shared.map((s) => [s.key, "shared", `${s.reason}: ${s.evidence.slice(0, 3).join(", ")}${s.evidence.length > 3 ? ", …" : ""}`]),
          ...out.refused.map((r) => [r.key, r.reason, r.detail]),
        ];
        return rows.length === 0 ? "no key is demoted: every key in the store may identify\n" : table(["KEY", "WHY", "DETAIL"], rows);
      });
    });
}

interface WhyOutput {
  ci: { id: string; name: string; type: string; status: string };
  observations: { source: string; scope: string; ref: string; status: string; keys: string[] }[];
  joinedBy: { key: string; rank: number; strength: string; observations: string[]; decided: boolean }[];
  refused: { key: string; reason: string; detail: string; observations: string[] }[];
  corrections: { kind: string; a: string; b: string }[];
  mergedIds: { id: string; keys: string[] }[];
  history: { field: string; old: unknown; new: unknown; run: string | null; at: string }[];
}

function renderWhy(w: WhyOutput): string {
  const lines = [`${w.ci.id}  ${w.ci.name}  (${w.ci.type}, ${w.ci.status})`, "", "observations:"];
  for (const o of w.observations) lines.push(`  ${o.source}:${o.scope}:${o.ref}  [${o.status}]`);
  lines.push("", "joined by (highest rank first):");
  if (w.joinedBy.length === 0) lines.push("  nothing: one observation, or kept together by a correction");
  for (const j of w.joinedBy) lines.push(`  #${j.rank} ${j.key} (${j.strength}${j.decided ? "" : ", agrees"})  ${j.observations.join(", ")}`);
  if (w.refused.length > 0) {
    lines.push("", "refused:");
    for (const r of w.refused) lines.push(`  ${r.key}: ${r.reason}, ${r.detail}  (${r.observations.join(", ")})`);
  }
  if (w.corrections.length > 0) {
    lines.push("", "corrections (cmdb ci merge / split):");
    for (const c of w.corrections) lines.push(`  ${c.kind}: ${c.a} ${c.kind === "merge" ? "with" : "from"} ${c.b}`);
  }
  if (w.mergedIds.length > 0) {
    lines.push("", "merged into it:");
    for (const m of w.mergedIds) lines.push(`  ${m.id}${m.keys.length > 0 ? ` by ${m.keys.join(", ")}` : ""}`);
  }
  if (w.history.length > 0) {
    lines.push("", "merges and splits:");
    for (const h of w.history) lines.push(`  ${h.at}  ${h.field}  ${JSON.stringify(h.new ?? h.old)}  (${h.run ?? "-"})`);
  }
  return `${lines.join("\n")}\n`;
}
