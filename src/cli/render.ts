import { formatDuration, parseDuration } from "../config/duration.js";
import type { GraphNode } from "../graph/walk.js";
import type { ChangeEntry, CiDetail, RunEntry, Stats } from "../store/queries.js";
import { UsageError } from "../util/errors.js";
import { terminalLines } from "../util/terminal.js";
import { table } from "../util/table.js";

const short = (value: unknown, max = 60): string => {
  const text = value === null || value === undefined ? "∅" : typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

export function renderCi(ci: CiDetail): string {
  const lines = [
    `${ci.name}  (${ci.type}, ${ci.status})`,
    `  id           ${ci.id}`,
    ...(["environment", "provider", "region", "zone", "owner"] as const).filter((f) => ci[f]).map((f) => `  ${f.padEnd(12)} ${ci[f]}`),
  ];
  if (Object.keys(ci.tags).length > 0) lines.push(`  tags         ${Object.entries(ci.tags).map(([k, v]) => (v ? `${k}=${v}` : k)).join(", ")}`);
  if (ci.missingSince) lines.push(`  missing since ${ci.missingSince}`);
  if (ci.retiredAt) lines.push(`  retired at   ${ci.retiredAt}`);
  lines.push("  keys", ...ci.keys.map((k) => `    ${k}`));
  const attrs = Object.entries(ci.attributes);
  if (attrs.length > 0) lines.push("  attributes", ...attrs.map(([k, v]) => `    ${k.padEnd(24)} ${short(v, 80)}`));
  lines.push("  observed by");
  for (const o of ci.observations) lines.push(`    ${o.source} ${o.scope} ${o.ref}  ${o.status}, last seen ${o.lastSeen}`);
  if (ci.relationships.length > 0) {
    lines.push("  relationships");
    for (const r of ci.relationships) {
      lines.push(r.direction === "out" ? `    ${r.type} → ${r.name} (${r.ciType}, ${r.ci})` : `    ← ${r.type} ${r.name} (${r.ciType}, ${r.ci})`);
    }
  }
  return `${terminalLines(lines)}\n`;
}

/**
 * The walk as a tree: every CI on a line under the CI it was reached through, with the edge that
 * led there. A CI reachable along several paths appears once, under the first (shortest) one.
 */
export function renderTree(nodes: GraphNode[]): string {
  const root = nodes.find((n) => n.via === null);
  if (!root) return "";
  const children = new Map<string, GraphNode[]>();
  for (const n of nodes) {
    if (!n.via) continue;
    const list = children.get(n.via.from) ?? [];
    list.push(n);
    children.set(n.via.from, list);
  }
  const label = (n: GraphNode) => `${n.via ? `${n.via.type} ` : ""}${n.name} (${n.type}, ${n.status}) ${n.id}`;
  const lines = [label(root)];
  const visit = (id: string, prefix: string) => {
    const list = children.get(id) ?? [];
    list.forEach((child, i) => {
      const last = i === list.length - 1;
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${label(child)}`);
      visit(child.id, `${prefix}${last ? "   " : "│  "}`);
    });
  };
  visit(root.id, "");
  return `${terminalLines(lines)}\n`;
}

export function parseSince(since: string | undefined, now = new Date()): { time?: Date; runId?: string } {
  if (!since) return {};
  if (since.startsWith("run_")) return { runId: since };
  const ago = parseDuration(since);
  if (ago !== undefined && !/^\d+$/.test(since)) return { time: new Date(now.getTime() - ago) };
  const time = new Date(since);
  if (Number.isNaN(time.getTime())) throw new UsageError(`--since: ${JSON.stringify(since)} is neither a time, an age (24h, 7d) nor a run id`);
  return { time };
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** One change as a sentence: "created vpc shop-vpc", "memory_mb 2048 → 4096", "+ DEPENDS_ON ci_…". */
export function describeChange(c: Pick<ChangeEntry, "field" | "old" | "new">): string {
  const o = record(c.old);
  const n = record(c.new);
  switch (c.field) {
    case "created":
      return n ? `created ${String(n.type ?? "")} ${String(n.name ?? "")}`.replace(/\s+/g, " ").trim() : "created";
    case "observed":
      if (n && !o) return `observed as ${String(n.ref)} in ${String(n.scope)}`;
      if (o && !n) return `no longer observed as ${String(o.ref)} in ${String(o.scope)}`;
      break;
    case "relationship":
      if (n && !o) return `relationship added: ${String(n.type)} → ${String(n.to)}`;
      if (o && !n) return `relationship removed: ${String(o.type)} → ${String(o.to)}`;
      break;
  }
  return `${c.field} ${short(c.old, 80)} → ${short(c.new, 80)}`;
}

export function renderChanges(rows: ChangeEntry[]): string {
  if (rows.length === 0) return "no changes\n";
  return table(
    ["AT", "CI", "NAME", "SOURCE", "CHANGE"],
    rows.map((r) => [r.at.replace("T", " ").replace(/\.\d+Z$/, "Z"), r.ci, r.ciName, r.source ?? "-", describeChange(r)]),
  );
}

export function renderRuns(rows: RunEntry[]): string {
  if (rows.length === 0) return "no runs yet\n";
  const note = (r: RunEntry) => {
    if (r.errors.length > 0) return `error: ${short(r.errors[0], 100)}`;
    if (r.warnings.length === 0) return "";
    return `${r.warnings.length} warning${r.warnings.length === 1 ? "" : "s"}: ${short(r.warnings[0], 80)}`;
  };
  return table(
    ["RUN", "SOURCE", "SCOPE", "STARTED", "OUTCOME", "SEEN", "NEW", "CHANGED", "GONE", "ERRORS / WARNINGS"],
    rows.map((r) => [r.id, r.source, r.scope, r.startedAt, r.outcome, r.counts.seen, r.counts.new, r.counts.changed, r.counts.gone, note(r)]),
  );
}

export function renderStats(s: Stats): string {
  const lines = [
    `CIs: ${s.cis.total} (${Object.entries(s.cis.byStatus)
      .sort()
      .map(([k, v]) => `${v} ${k}`)
      .join(", ") || "none"})`,
    `relationships: ${s.relationships}    changes recorded: ${s.changes}`,
  ];
  const types = Object.entries(s.cis.byType).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (types.length > 0) lines.push(`by type: ${types.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  let out = `${terminalLines(lines)}\n`;
  if (s.scopes.length > 0) {
    out += `\n${table(
      ["SOURCE", "SCOPE", "LAST RUN", "LAST COMPLETE", "AGE", "PRESENT", "GONE"],
      s.scopes.map((x) => [
        x.source,
        x.scope,
        x.lastOutcome ?? "-",
        x.lastCompleteAt ?? "never",
        x.ageSeconds === null ? "-" : formatDuration(x.ageSeconds * 1000),
        x.present,
        x.gone,
      ]),
    )}`;
  }
  return out;
}
