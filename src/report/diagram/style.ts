import type { Diagram, NodeClass } from "./model.js";
import { markText } from "./model.js";

/** Colours and strokes shared by the Mermaid and DOT renderers, so both read the same. */
export const CLASS_STYLE: Record<NodeClass, { fill: string; stroke: string; label: string }> = {
  compute: { fill: "#dbeafe", stroke: "#1d4ed8", label: "compute (server, VM, container, node)" },
  network: { fill: "#dcfce7", stroke: "#15803d", label: "network (VPC, subnet, firewall, DNS, LB)" },
  storage: { fill: "#fef3c7", stroke: "#b45309", label: "storage (volume, pool, bucket)" },
  service: { fill: "#ede9fe", stroke: "#6d28d9", label: "service (database, service, software)" },
  security: { fill: "#fee2e2", stroke: "#b91c1c", label: "security (credential, certificate, IAM)" },
  management: { fill: "#e5e7eb", stroke: "#374151", label: "management (workspace, Ansible group)" },
  group: { fill: "#f3f4f6", stroke: "#4b5563", label: "cluster" },
  other: { fill: "#f5f5f5", stroke: "#6b7280", label: "other" },
};

/** Flags in the order their styles apply (a later one wins a conflict), with what the legend says. */
export const FLAG_STYLE: Record<string, { stroke: string; width: number; dashed: boolean; fill?: string; legend: string }> = {
  missing: { stroke: "#6b7280", width: 1, dashed: true, legend: "missing: no source reports it now" },
  retired: { stroke: "#9ca3af", width: 1, dashed: true, fill: "#f9fafb", legend: "retired" },
  stale: { stroke: "#6b7280", width: 2, dashed: true, legend: `${markText("stale")} missing, retired or not seen lately` },
  credential: { stroke: "#9333ea", width: 3, dashed: false, legend: `${markText("credential")} a credential is due for rotation (its severity: high overdue, medium due soon)` },
  drift: { stroke: "#ea580c", width: 3, dashed: false, legend: `${markText("drift")} an open drift finding (cmdb drift), with its highest severity` },
  changed: { stroke: "#ca8a04", width: 3, dashed: false, fill: "#fef9c3", legend: "changed since the point compared" },
  added: { stroke: "#16a34a", width: 3, dashed: false, fill: "#bbf7d0", legend: "added since the point compared" },
  removed: { stroke: "#dc2626", width: 3, dashed: true, fill: "#fecaca", legend: "removed since the point compared" },
  collapsed: { stroke: "#374151", width: 2, dashed: false, legend: "N × type: N leaf CIs with the same neighbour, collapsed into one node" },
  ref: { stroke: "#2563eb", width: 1, dashed: true, legend: "→ part N: the CI is drawn in part N" },
};

export const EDGE_STYLE = {
  added: { stroke: "#16a34a", width: 3, legend: "relationship added" },
  removed: { stroke: "#dc2626", width: 2, legend: "relationship removed" },
};

/** What a diagram's legend lists: only the classes, flags and edge changes it uses. */
export function legendOf(diagram: Diagram): { classes: NodeClass[]; flags: string[]; edges: ("added" | "removed")[] } {
  const classes = new Set<NodeClass>();
  const flags = new Set<string>();
  const edges = new Set<"added" | "removed">();
  for (const n of diagram.nodes) {
    classes.add(n.cls);
    for (const f of n.flags) flags.add(f);
  }
  for (const e of diagram.edges) if (e.change) edges.add(e.change);
  return {
    classes: (Object.keys(CLASS_STYLE) as NodeClass[]).filter((c) => classes.has(c)),
    flags: Object.keys(FLAG_STYLE).filter((f) => flags.has(f)),
    edges: (["added", "removed"] as const).filter((e) => edges.has(e)),
  };
}
