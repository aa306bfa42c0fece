import { createHash } from "node:crypto";
import { CI_TYPES, isCiType } from "../../model/ci-types.js";
import type { GraphChanges } from "../../graph/changes.js";
import type { Mark } from "../../graph/marks.js";
import type { Graph, GraphCi } from "../../graph/types.js";
import { byCodePoint } from "../../util/order.js";

/** How CIs are gathered into clusters. */
export const GROUP_BY = ["none", "environment", "provider", "type", "proxmox-cluster", "proxmox-node", "aws-account", "aws-vpc", "aws-subnet", "ansible-group"] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export type NodeClass = "compute" | "network" | "storage" | "service" | "security" | "management" | "group" | "other";
export type ChangeKind = "added" | "removed" | "changed";

export interface DiagramNode {
  /** Stable: the CI id, or a hash of what a collapsed or reference node stands for. */
  id: string;
  label: string;
  /** Extra lines under the label: type, status, marks. */
  detail: string[];
  kind: "ci" | "collapsed" | "ref";
  cls: NodeClass;
  /** CSS-like class names for status, marks and change: missing, retired, drift, stale, credential, added, removed, changed. */
  flags: string[];
  group: string | null;
  /** A collapsed node: how many CIs it stands for. */
  count?: number;
  /** A reference node: the part that holds the CI. */
  part?: number;
  ciId?: string;
}

export interface DiagramEdge {
  from: string;
  to: string;
  label: string;
  change?: "added" | "removed";
}

export interface DiagramGroup {
  id: string;
  label: string;
}

export interface Diagram {
  title: string;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
  groups: DiagramGroup[];
  /** CIs drawn inside collapsed nodes. */
  collapsedCis: number;
  /** Set when the diagram is one of several parts. */
  part?: { index: number; total: number };
}

export interface DiagramOptions {
  title?: string;
  groupBy?: GroupBy;
  marks?: readonly Mark[];
  /** With `since`: the changes to highlight, and the removed CIs to draw (they are no longer in the graph). */
  changes?: GraphChanges;
  removedCis?: readonly GraphCi[];
  /** CIs that are never collapsed (a diagram's root). */
  keep?: readonly string[];
}

export const classOf = (type: string): NodeClass => (isCiType(type) ? (CI_TYPES[type].class as NodeClass) : "other");
export const typeLabel = (type: string): string => (isCiType(type) ? CI_TYPES[type].label : type);

const MARK_ORDER = ["drift", "credential", "stale"];
const short = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/**
 * Turns a graph into what any renderer draws: nodes with classes for type, status, marks and change,
 * merged edges with their labels, and clusters. Pure and sorted by code point, so the same graph gives
 * the same diagram on any engine and machine.
 */
export function buildDiagram(graph: Graph, options: DiagramOptions = {}): Diagram {
  const changes = options.changes;
  const removed = new Set(changes?.removed ?? []);
  const cis = new Map<string, GraphCi>();
  for (const ci of graph.nodes) cis.set(ci.id, ci);
  for (const ci of options.removedCis ?? []) if (!cis.has(ci.id)) cis.set(ci.id, ci);
  const added = new Set(changes?.added ?? []);
  const changed = new Map((changes?.changed ?? []).map((c) => [c.id, c.fields]));
  const marksOf = new Map<string, Mark[]>();
  for (const m of options.marks ?? []) {
    if (!cis.has(m.ciId)) continue;
    const list = marksOf.get(m.ciId) ?? [];
    list.push(m);
    marksOf.set(m.ciId, list);
  }

  const edgeTypes = new Map<string, Set<string>>();
  const edgeChange = new Map<string, "added" | "removed">();
  const pair = (from: string, to: string) => `${from}\u0000${to}`;
  for (const e of graph.edges) edgeTypes.set(pair(e.from, e.to), new Set(e.types));
  const addedEdges = new Set((changes?.addedEdges ?? []).map((e) => `${pair(e.from, e.to)}\u0000${e.type}`));
  for (const e of changes?.removedEdges ?? []) {
    if (!cis.has(e.from) || !cis.has(e.to)) continue;
    const key = pair(e.from, e.to);
    const types = edgeTypes.get(key) ?? new Set<string>();
    if (!edgeTypes.has(key)) edgeChange.set(key, "removed");
    types.add(e.type);
    edgeTypes.set(key, types);
  }
  for (const [key, types] of edgeTypes) {
    if (edgeChange.has(key)) continue;
    if ([...types].every((t) => addedEdges.has(`${key}\u0000${t}`))) edgeChange.set(key, "added");
  }

  const groupOf = grouper(options.groupBy ?? "none", cis, graph);
  const groupLabels = new Set<string>();
  const nodes: DiagramNode[] = [];
  for (const ci of [...cis.values()].sort((a, b) => byCodePoint(a.id, b.id))) {
    const flags: string[] = [];
    if (ci.status === "missing" || ci.status === "retired") flags.push(ci.status);
    const marks = (marksOf.get(ci.id) ?? []).sort((a, b) => MARK_ORDER.indexOf(a.kind) - MARK_ORDER.indexOf(b.kind) || byCodePoint(a.kind, b.kind));
    for (const kind of new Set(marks.map((m) => m.kind))) flags.push(kind);
    const change: ChangeKind | undefined = removed.has(ci.id) ? "removed" : added.has(ci.id) ? "added" : changed.has(ci.id) ? "changed" : undefined;
    if (change) flags.push(change);
    const detail = [typeLabel(ci.type) + (ci.status === "active" ? "" : ` (${ci.status})`)];
    for (const kind of new Set(marks.map((m) => m.kind))) detail.push(markText(kind, worstSeverity(marks.filter((m) => m.kind === kind))));
    if (change === "changed") detail.push(`changed: ${changed.get(ci.id)!.join(", ")}`);
    else if (change) detail.push(change);
    const group = groupOf(ci);
    if (group) groupLabels.add(group);
    nodes.push({ id: ci.id, ciId: ci.id, label: ci.name, detail, kind: "ci", cls: classOf(ci.type), flags, group });
  }
  const groups = [...groupLabels].sort(byCodePoint).map((label) => ({ id: `g_${short(label)}`, label }));
  const groupId = new Map(groups.map((g) => [g.label, g.id]));
  for (const n of nodes) n.group = n.group === null ? null : groupId.get(n.group)!;
  const edges: DiagramEdge[] = [...edgeTypes.entries()]
    .map(([key, types]) => {
      const [from, to] = key.split("\u0000") as [string, string];
      const change = edgeChange.get(key);
      return { from, to, label: [...types].sort(byCodePoint).join(" / "), ...(change ? { change } : {}) };
    })
    .sort((a, b) => byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to));
  return { title: options.title ?? "CMDB", nodes: sortNodes(nodes), edges, groups, collapsedCis: 0 };
}

export function markText(kind: string, severity?: string): string {
  const base = kind === "credential" ? "credential due" : kind;
  return severity && kind !== "stale" ? `[${base}: ${severity}]` : `[${base}]`;
}

const SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"];

/** The highest severity among marks that carry one. */
function worstSeverity(marks: readonly Mark[]): string | undefined {
  let worst: string | undefined;
  for (const m of marks) if (m.severity && (worst === undefined || SEVERITY_ORDER.indexOf(m.severity) < SEVERITY_ORDER.indexOf(worst))) worst = m.severity;
  return worst;
}

function sortNodes(nodes: DiagramNode[]): DiagramNode[] {
  return nodes.sort((a, b) => byCodePoint(a.group ?? "", b.group ?? "") || byCodePoint(a.id, b.id));
}

/**
 * Collapses leaves (CIs with one edge, no mark and no change) that hang off the same neighbour by the
 * same edge and are of the same type into one counted node. What stays visible is what matters: a
 * marked or changed CI is never folded away.
 */
export function collapseLeaves(diagram: Diagram, keep: readonly string[] = []): Diagram {
  const degree = new Map<string, number>();
  for (const e of diagram.edges) {
    degree.set(e.from, (degree.get(e.from) ?? 0) + 1);
    degree.set(e.to, (degree.get(e.to) ?? 0) + 1);
  }
  const keepSet = new Set(keep);
  const byId = new Map(diagram.nodes.map((n) => [n.id, n]));
  const buckets = new Map<string, { members: DiagramNode[]; edge: DiagramEdge; leafIsFrom: boolean; neighbour: string }>();
  for (const e of diagram.edges) {
    for (const [leafId, neighbour, leafIsFrom] of [
      [e.from, e.to, true],
      [e.to, e.from, false],
    ] as const) {
      const leaf = byId.get(leafId)!;
      if (degree.get(leafId) !== 1 || leaf.kind !== "ci" || keepSet.has(leafId) || leaf.flags.some((f) => f !== "missing")) continue;
      if (degree.get(neighbour) === 1 && leafIsFrom) continue; // a lone pair: keep both
      const key = [neighbour, leafIsFrom ? "in" : "out", e.label, leaf.cls, leaf.detail[0], leaf.group ?? ""].join("\u0000");
      const bucket = buckets.get(key) ?? { members: [], edge: e, leafIsFrom, neighbour };
      bucket.members.push(leaf);
      buckets.set(key, bucket);
    }
  }
  const gone = new Set<string>();
  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  let collapsedCis = diagram.collapsedCis;
  for (const [key, bucket] of [...buckets.entries()].sort((a, b) => byCodePoint(a[0], b[0]))) {
    if (bucket.members.length < 2) continue;
    const first = bucket.members[0]!;
    const id = `c_${short(key)}`;
    for (const m of bucket.members) gone.add(m.id);
    collapsedCis += bucket.members.length;
    nodes.push({
      id,
      label: `${bucket.members.length} × ${first.detail[0]}`,
      detail: ["collapsed"],
      kind: "collapsed",
      cls: first.cls,
      flags: ["collapsed"],
      group: first.group,
      count: bucket.members.length,
    });
    edges.push(bucket.leafIsFrom ? { from: id, to: bucket.neighbour, label: bucket.edge.label } : { from: bucket.neighbour, to: id, label: bucket.edge.label });
  }
  if (gone.size === 0) return diagram;
  return {
    ...diagram,
    nodes: sortNodes([...diagram.nodes.filter((n) => !gone.has(n.id)), ...nodes]),
    edges: [...diagram.edges.filter((e) => !gone.has(e.from) && !gone.has(e.to)), ...edges].sort((a, b) => byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to)),
    collapsedCis,
  };
}

/**
 * Splits a diagram into parts that each fit `fits`, keeping clusters (or else connected pieces)
 * together where they can. An edge to a CI in another part ends at a reference node that names it
 * and its part.
 */
export function splitDiagram(diagram: Diagram, fits: (part: Diagram) => boolean, estimate: (d: Diagram) => number = () => 2): Diagram[] {
  const order = unitOrder(diagram);
  // Start from the number of parts the whole would need by its size, then shrink parts until each fits.
  let budget = Math.max(1, Math.floor(diagram.nodes.length / Math.max(1, estimate(diagram))));
  for (;;) {
    const parts = materialise(diagram, pack(order, budget));
    if (parts.every(fits) || budget === 1) return parts;
    budget = Math.max(1, Math.floor(budget * 0.8));
  }
}

/** Nodes in an order that keeps units (clusters, else connected pieces) contiguous, each unit a list. */
function unitOrder(diagram: Diagram): DiagramNode[][] {
  const units = new Map<string, DiagramNode[]>();
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (const n of diagram.nodes) parent.set(n.id, n.id);
  for (const e of diagram.edges) {
    const [a, b] = [find(e.from), find(e.to)];
    if (a === b) continue;
    const [low, high] = [a, b].sort(byCodePoint) as [string, string];
    parent.set(high, low);
  }
  for (const n of diagram.nodes) {
    const key = n.group ?? `~${find(n.id)}`;
    const list = units.get(key) ?? [];
    list.push(n);
    units.set(key, list);
  }
  return [...units.entries()].sort((a, b) => byCodePoint(a[0], b[0])).map(([, list]) => list);
}

function pack(units: DiagramNode[][], budget: number): Map<string, number> {
  const assignment = new Map<string, number>();
  let part = 0;
  let size = 0;
  for (const unit of units) {
    if (size > 0 && size + unit.length > budget) {
      part++;
      size = 0;
    }
    for (const n of unit) {
      if (size >= budget) {
        part++;
        size = 0;
      }
      assignment.set(n.id, part);
      size++;
    }
  }
  return assignment;
}

function materialise(diagram: Diagram, assignment: Map<string, number>): Diagram[] {
  const total = Math.max(...assignment.values()) + 1;
  const byId = new Map(diagram.nodes.map((n) => [n.id, n]));
  const parts: Diagram[] = [];
  for (let p = 0; p < total; p++) {
    const nodes = diagram.nodes.filter((n) => assignment.get(n.id) === p);
    const refs = new Map<string, DiagramNode>();
    const edges: DiagramEdge[] = [];
    const crossing: { e: DiagramEdge; local: string; other: string; otherPart: number; outgoing: boolean }[] = [];
    for (const e of diagram.edges) {
      const [pf, pt] = [assignment.get(e.from)!, assignment.get(e.to)!];
      if (pf !== p && pt !== p) continue;
      if (pf === p && pt === p) edges.push(e);
      else crossing.push(pf === p ? { e, local: e.from, other: e.to, otherPart: pt, outgoing: true } : { e, local: e.to, other: e.from, otherPart: pf, outgoing: false });
    }
    // Edges from one CI here to several CIs of one other part end at one counted reference, so a hub
    // (a subnet of hundreds of machines) does not carry an edge per machine elsewhere.
    const bundles = new Map<string, typeof crossing>();
    for (const c of crossing) {
      const key = [c.local, c.otherPart, c.e.label, c.outgoing ? "out" : "in"].join("\u0000");
      bundles.set(key, [...(bundles.get(key) ?? []), c]);
    }
    for (const [key, list] of [...bundles.entries()].sort((a, b) => byCodePoint(a[0], b[0]))) {
      const c = list[0]!;
      const target = byId.get(c.other)!;
      const refId = list.length === 1 ? `r_${short(c.other)}` : `r_${short(key)}`;
      if (!refs.has(refId)) {
        refs.set(refId, {
          id: refId,
          label: list.length === 1 ? `${target.label} → part ${c.otherPart + 1}` : `${list.length} CIs → part ${c.otherPart + 1}`,
          detail: [list.length === 1 ? (target.detail[0] ?? "") : "in another part"],
          kind: "ref",
          cls: target.cls,
          flags: ["ref"],
          group: null,
          part: c.otherPart + 1,
          ...(list.length === 1 && target.ciId ? { ciId: target.ciId } : {}),
        });
      }
      edges.push(c.outgoing ? { ...c.e, to: refId } : { ...c.e, from: refId });
    }
    const groupIds = new Set(nodes.map((n) => n.group).filter((g): g is string => g !== null));
    parts.push({
      ...diagram,
      nodes: sortNodes([...nodes, ...refs.values()]),
      edges: edges.sort((a, b) => byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to)),
      groups: diagram.groups.filter((g) => groupIds.has(g.id)),
      collapsedCis: nodes.reduce((sum, n) => sum + (n.count ?? 0), 0),
      part: { index: p + 1, total },
    });
  }
  return parts;
}

/** Where a CI goes for a grouping: a cluster label, or null to leave it outside every cluster. */
function grouper(groupBy: GroupBy, cis: Map<string, GraphCi>, graph: Graph): (ci: GraphCi) => string | null {
  const out = new Map<string, string[]>();
  for (const e of graph.edges) {
    const list = out.get(e.from) ?? [];
    list.push(e.to);
    out.set(e.from, list);
  }
  /** The nearest CI of `type` reached along outgoing edges (the CI itself first). */
  const nearest = (ci: GraphCi, type: string, hops: number): GraphCi | undefined => {
    let frontier = [ci.id];
    const seen = new Set(frontier);
    for (let h = 0; h <= hops && frontier.length > 0; h++) {
      const found = frontier
        .map((id) => cis.get(id))
        .filter((c): c is GraphCi => c?.type === type)
        .sort((a, b) => byCodePoint(a.id, b.id))[0];
      if (found) return found;
      const next: string[] = [];
      for (const id of frontier) {
        for (const to of out.get(id) ?? []) {
          if (seen.has(to)) continue;
          seen.add(to);
          next.push(to);
        }
      }
      frontier = next.sort(byCodePoint);
    }
    return undefined;
  };
  const keyValue = (ci: GraphCi, schemes: string[]) => {
    for (const k of ci.keys) {
      const colon = k.indexOf(":");
      if (schemes.includes(k.slice(0, colon))) return k.slice(colon + 1);
    }
    return undefined;
  };
  switch (groupBy) {
    case "none":
      return () => null;
    case "environment":
      return (ci) => (ci.environment ? `environment ${ci.environment}` : null);
    case "provider":
      return (ci) => (ci.provider ? `provider ${ci.provider}` : null);
    case "type":
      return (ci) => typeLabel(ci.type);
    case "proxmox-cluster":
      return (ci) => {
        const v = keyValue(ci, ["proxmox.vm", "proxmox.node", "proxmox.storage", "proxmox.cluster"]);
        return v ? `Proxmox cluster ${v.split("/")[0]}` : null;
      };
    case "proxmox-node":
      return (ci) => {
        if (ci.type === "hypervisor_node") return `Proxmox node ${ci.name}`;
        const host = nearest(ci, "hypervisor_node", 1);
        if (host) return `Proxmox node ${host.name}`;
        return ci.provider === "proxmox" && ci.hints.node ? `Proxmox node ${ci.hints.node}` : null;
      };
    case "aws-account":
      return (ci) => {
        const account = ci.hints.account ?? ci.hints.arn?.split(":")[4];
        return account ? `AWS account ${account}` : null;
      };
    case "aws-vpc":
      return (ci) => {
        const vpc = nearest(ci, "vpc", 3);
        return vpc ? `VPC ${vpc.name}` : null;
      };
    case "aws-subnet":
      return (ci) => {
        const subnet = nearest(ci, "subnet", 2);
        return subnet ? `subnet ${subnet.name}` : null;
      };
    case "ansible-group":
      return (ci) => {
        if (ci.type === "ansible_group") return `Ansible group ${ci.name}`;
        const group = ci.hints.groups?.[0] ?? nearest(ci, "ansible_group", 1)?.name;
        return group ? `Ansible group ${group}` : null;
      };
  }
}
