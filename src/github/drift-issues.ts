import type { DriftReport } from "../findings/evaluate.js";
import { cell, findingsTableMarkdown } from "../findings/render.js";
import { SEVERITIES, type Finding, type Severity } from "../findings/types.js";
import type { Store } from "../store/store.js";
import { type StoreSyncOptions, syncWithStore } from "./run.js";
import type { IssueGroup, LabelSpec, SyncResult, SyncSpec } from "./types.js";

export const DASHBOARD_TITLE = "CMDB drift dashboard";

const SEVERITY_COLORS: Record<Severity, string> = { critical: "b60205", high: "d93f0b", medium: "fbca04", low: "0e8a16", info: "c5def5" };

export const severityLabel = (s: Severity) => `severity:${s}`;

export const DRIFT_LABELS: LabelSpec[] = [
  { name: "cmdb", color: "5319e7", description: "Kept by gitops-cmdb" },
  { name: "drift", color: "1d76db", description: "Reality differs from the code" },
  ...SEVERITIES.map((s) => ({ name: severityLabel(s), color: SEVERITY_COLORS[s], description: `Drift of ${s} severity` })),
];

const worst = (findings: readonly Finding[]): Severity => SEVERITIES.find((s) => findings.some((f) => f.severity === s)) ?? "info";

export const groupKey = (key: string) => `ci:${key}`;

function itemLine(f: Finding): string {
  const d = f.diffs?.[0];
  const what = d ? `\`${cell(f.attribute)}\`: ${cell(d.declared)} declared, ${cell(d.live)} live (${d.source})` : cell(f.message);
  return `**${f.kind}** (${f.severity}) ${f.ci.name}: ${what}`;
}

/** One issue per drifted CI, its findings in one table. Pure. */
export function driftGroups(findings: readonly Finding[], diagrams: ReadonlyMap<string, string> = new Map()): IssueGroup[] {
  const byKey = new Map<string, Finding[]>();
  for (const f of findings) byKey.set(f.key, [...(byKey.get(f.key) ?? []), f]);
  return [...byKey.entries()].map(([key, list]) => {
    const ci = list[0]!.ci;
    const body = [
      `**${cell(ci.name)}** (${ci.type}) drifted from what the code and inventories declare.`,
      "",
      `- CI: \`${ci.id}\` — \`cmdb ci show ${ci.id}\``,
      `- Keys: ${ci.keys.map((k) => `\`${cell(k)}\``).join(", ")}`,
      "",
      findingsTableMarkdown(list, false),
      ...neighbourhood(diagrams.get(ci.id)),
      "This issue is kept by `cmdb drift --github`: it is updated when the findings change and closed when they are resolved. Close it as *not planned* to acknowledge them.",
    ].join("\n");
    return {
      key: groupKey(key),
      title: `Drift: ${ci.name} (${ci.type})`,
      body,
      labels: ["drift", severityLabel(worst(list))],
      items: list.map((f) => ({ id: f.fingerprint, line: itemLine(f), summary: `**${f.kind}** (${f.severity})${f.attribute ? ` \`${cell(f.attribute)}\`` : ""}` })),
    };
  });
}

/** The CI's neighbourhood as a Mermaid block GitHub draws, when one was drawn. */
const neighbourhood = (mermaid: string | undefined): string[] =>
  mermaid ? ["## Neighbourhood", "", "What this CI depends on and what depends on it:", "", "```mermaid", mermaid.trimEnd(), "```", ""] : [];

export function driftSyncSpec(report: DriftReport, diagrams?: ReadonlyMap<string, string>): SyncSpec {
  return {
    namespace: "drift",
    baseLabels: ["cmdb"],
    labelSpecs: DRIFT_LABELS,
    groups: driftGroups(report.findings, diagrams),
    held: new Set(report.heldKeys.map(groupKey)),
    dashboard: {
      title: DASHBOARD_TITLE,
      intro: ({ groups, items, deferred }) => {
        const bySeverity = SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
        return [
          `${items} open finding(s) on ${groups} CI(s)${bySeverity.length ? `: ${bySeverity.map(([s, n]) => `${n} ${s}`).join(", ")}` : ""}.`,
          ...(deferred > 0 ? ["", `${deferred} write(s) were deferred to the next run by GitHub's secondary rate limits.`] : []),
          "",
          "Kept by `cmdb drift --github`.",
        ].join("\n");
      },
    },
    texts: {
      resolved: () => "All findings of this CI are resolved: closing.",
      reopened: () => "The drift came back: reopening.",
      added: (_g, items) => `New finding(s):\n\n${items.map((i) => `- ${i.line}`).join("\n")}`,
    },
  };
}

export interface DriftSyncOptions extends StoreSyncOptions {}

/**
 * The drift report's issues in `repo`, each body with the Mermaid neighbourhood of its CI drawn from
 * the store; writes counted in the store against the secondary limits.
 */
export async function syncDriftIssues(store: Store, report: DriftReport, options: DriftSyncOptions): Promise<SyncResult & { dryRunLog: string[] }> {
  const { neighbourhoodMermaid } = await import("../report/diagram/draw.js");
  const diagrams = new Map<string, string>();
  for (const f of report.findings) {
    if (diagrams.has(f.ci.id)) continue;
    const marks = report.findings.filter((g) => g.ci.id === f.ci.id).map((g) => ({ ciId: g.ci.id, kind: "drift", severity: g.severity, title: g.kind }));
    diagrams.set(f.ci.id, await neighbourhoodMermaid(store.engine, f.ci.id, { marks, now: options.now?.() }));
  }
  return syncWithStore(store, driftSyncSpec(report, diagrams), options);
}
