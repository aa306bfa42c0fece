import type { Severity } from "./inputs.js";
import type { Kind } from "./plan.js";
import type { AnnotationLevel } from "./workflow-commands.js";

/** One finding as the `findings` output carries it: the same fields for drift and rotation. */
export interface ActionFinding {
  kind: string;
  severity: Severity;
  ci: string;
  key: string;
  attribute?: string;
  message: string;
  fingerprint: string;
}

export interface Results {
  counts: Record<string, number>;
  findings: ActionFinding[];
  /** Problems the command reported without failing (discover's sources that failed). */
  problems: string[];
  /** Markdown for the job summary, when the command has no Markdown output of its own. */
  summary?: string;
}

interface DriftJson {
  findings: { kind: string; severity: Severity; ci: { name: string }; key: string; attribute?: string; message: string; fingerprint: string }[];
  resolved: unknown[];
  ignored: unknown[];
}

interface RotationJson {
  credentials: { status: "overdue" | "due-soon"; name: string; id: string; due: string; owner: string | null; fingerprint: string }[];
  undated: unknown[];
}

interface DiscoverJson {
  ok: boolean;
  sources: { source: string; label: string; scopes: number; seen: number; new: number; changed: number; gone: number; ok: boolean; errors: { message?: string }[] }[];
}

interface IngestJson {
  source?: string;
  scope?: string;
  outcome?: string;
  counts?: Record<string, number>;
}

const byField = <T>(items: T[], field: (item: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const item of items) out[field(item)] = (out[field(item)] ?? 0) + 1;
  return out;
};

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");

/** What the command's JSON output becomes: counts, findings and problems. */
export function readResults(kind: Kind, stdout: string, title = `cmdb ${kind}`): Results {
  if (kind !== "drift" && kind !== "rotation" && kind !== "discover" && kind !== "ingest") return { counts: {}, findings: [], problems: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error(`cmdb ${kind} did not print JSON (${stdout.trim().slice(0, 120) || "no output"})`);
  }
  switch (kind) {
    case "drift": {
      const d = doc as DriftJson;
      const findings = d.findings.map((f) => ({ kind: f.kind, severity: f.severity, ci: f.ci.name, key: f.key, ...(f.attribute ? { attribute: f.attribute } : {}), message: f.message, fingerprint: f.fingerprint }));
      return { counts: { findings: findings.length, resolved: d.resolved.length, ignored: d.ignored.length, ...prefixed("kind", byField(findings, (f) => f.kind)), ...prefixed("severity", byField(findings, (f) => f.severity)) }, findings, problems: [] };
    }
    case "rotation": {
      const r = doc as RotationJson;
      // The same severities the health report gives them: overdue is high, due soon is medium.
      const findings = r.credentials.map((c) => ({
        kind: c.status,
        severity: (c.status === "overdue" ? "high" : "medium") as Severity,
        ci: c.name,
        key: c.id,
        message: `${c.name} is ${c.status === "overdue" ? "overdue" : "due"} for rotation (due ${c.due.slice(0, 10)}${c.owner ? `, owner ${c.owner}` : ""})`,
        fingerprint: c.fingerprint,
      }));
      return { counts: { findings: findings.length, overdue: findings.filter((f) => f.kind === "overdue").length, "due-soon": findings.filter((f) => f.kind === "due-soon").length, undated: r.undated.length }, findings, problems: [] };
    }
    case "discover": {
      const d = doc as DiscoverJson;
      const counts: Record<string, number> = { sources: d.sources.length, failed: d.sources.filter((s) => !s.ok).length, seen: 0, new: 0, changed: 0, gone: 0 };
      for (const s of d.sources) for (const k of ["seen", "new", "changed", "gone"] as const) counts[k]! += s[k];
      const problems = d.sources.flatMap((s) => s.errors.map((e) => `${s.label}: ${e.message ?? "failed"}`));
      const rows = d.sources.map((s) => `| ${cell(s.label)} | ${s.ok ? "ok" : "failed"} | ${s.scopes} | ${s.seen} | ${s.new} | ${s.changed} | ${s.gone} |`);
      const summary = [`### ${title}`, "", "| source | result | scopes | seen | new | changed | gone |", "| --- | --- | --- | --- | --- | --- | --- |", ...rows, ""].join("\n");
      return { counts, findings: [], problems, summary };
    }
    case "ingest": {
      const runs = (Array.isArray(doc) ? doc : [doc]) as IngestJson[];
      const counts: Record<string, number> = { runs: runs.length };
      for (const r of runs) for (const [k, v] of Object.entries(r.counts ?? {})) if (typeof v === "number") counts[k] = (counts[k] ?? 0) + v;
      const rows = runs.map((r) => `| ${cell(r.source ?? "")} | ${cell(r.scope ?? "")} | ${cell(r.outcome ?? "")} | ${r.counts?.seen ?? ""} | ${r.counts?.new ?? ""} | ${r.counts?.changed ?? ""} | ${r.counts?.gone ?? ""} |`);
      const summary = [`### ${title}`, "", "| source | scope | outcome | seen | new | changed | gone |", "| --- | --- | --- | --- | --- | --- | --- |", ...rows, ""].join("\n");
      return { counts, findings: [], problems: [], summary };
    }
  }
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix}:${k}`, v]));
}

export function levelOf(severity: Severity): AnnotationLevel {
  return severity === "critical" || severity === "high" ? "error" : severity === "info" ? "notice" : "warning";
}

export const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The findings that make the step fail under the fail-on input. */
export function failing(findings: ActionFinding[], failOn: string): ActionFinding[] {
  if (failOn === "none") return [];
  if (failOn === "any") return findings;
  return findings.filter((f) => RANK[f.severity] >= RANK[failOn as Severity]);
}
