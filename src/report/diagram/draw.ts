import { graphChanges, resolvePoint } from "../../graph/changes.js";
import { DEFAULT_STALE_AFTER_MS, type Mark, staleMarks } from "../../graph/marks.js";
import { edgesBetween, graphCis, subgraph } from "../../graph/subgraph.js";
import type { GraphCi, GraphScope } from "../../graph/types.js";
import type { Sql } from "../../store/engine.js";
import { byCodePoint } from "../../util/order.js";
import { toDot } from "./dot.js";
import { fitMermaid, GITHUB_MERMAID_LIMITS, type MermaidLimits, mermaidMarkdown } from "./fit.js";
import { buildDiagram, type Diagram, type GroupBy } from "./model.js";

export type DiagramFormat = "mermaid" | "dot" | "svg";

export interface DiagramRequest {
  scope?: GraphScope;
  groupBy?: GroupBy;
  /** Highlight what changed after this time or run. */
  since?: { time?: Date; runId?: string };
  /** Drift, credential or other marks from findings; stale marks are added here. */
  marks?: readonly Mark[];
  staleAfterMs?: number;
  now?: Date;
  title?: string;
  limits?: MermaidLimits;
}

export interface DrawnDiagram {
  format: DiagramFormat;
  text: string;
  /** Mermaid only: how many parts it was split into, and how many CIs were collapsed. */
  parts: number;
  collapsedCis: number;
  nodes: number;
  edges: number;
}

/** Reads the scope, its changes and marks from the store and builds the diagram model. */
export async function loadDiagram(sql: Sql, request: DiagramRequest): Promise<Diagram> {
  const scope = request.scope ?? {};
  const graph = await subgraph(sql, scope);
  const now = request.now ?? new Date();
  let changes: Awaited<ReturnType<typeof graphChanges>> | undefined;
  let removedCis: GraphCi[] = [];
  if (request.since) {
    changes = await graphChanges(sql, await resolvePoint(sql, request.since));
    const inGraph = new Set(graph.nodes.map((n) => n.id));
    const wanted = scope.root
      ? changes.removedEdges.flatMap((e) => (inGraph.has(e.from) ? [e.to] : inGraph.has(e.to) ? [e.from] : []))
      : changes.removed;
    const f = scope.filter ?? {};
    removedCis = (await graphCis(sql, [...new Set(wanted)].filter((id) => !inGraph.has(id)))).filter(
      (c) => (!f.type || c.type === f.type) && (!f.provider || c.provider === f.provider) && (!f.environment || c.environment === f.environment),
    );
  }
  const marks = [...staleMarks([...graph.nodes, ...removedCis], now, request.staleAfterMs ?? DEFAULT_STALE_AFTER_MS), ...(request.marks ?? [])];
  const title = request.title ?? titleOf(scope, graph.nodes, changes?.since);
  return buildDiagram(graph, {
    title,
    groupBy: request.groupBy ?? "none",
    marks,
    ...(changes ? { changes, removedCis } : {}),
    ...(scope.root ? { keep: [scope.root.id] } : {}),
  });
}

function titleOf(scope: GraphScope, nodes: GraphCi[], since: string | undefined): string {
  let title = "CMDB";
  if (scope.root) {
    const root = nodes.find((n) => n.id === scope.root!.id);
    const name = root ? root.name : scope.root.id;
    title = scope.root.direction === "deps" ? `What ${name} needs (depth ${scope.root.depth})` : `Who breaks if ${name} fails (depth ${scope.root.depth})`;
  }
  return since ? `${title}: changes since ${since}` : title;
}

/** A diagram in one format. Mermaid that would not fit GitHub's limits is collapsed, then split (as Markdown with one block per part). */
export async function drawDiagram(sql: Sql, format: DiagramFormat, request: DiagramRequest = {}): Promise<DrawnDiagram> {
  const diagram = await loadDiagram(sql, request);
  return renderDiagram(diagram, format, request.limits, request.scope?.root ? [request.scope.root.id] : []);
}

export async function renderDiagram(diagram: Diagram, format: DiagramFormat, limits: MermaidLimits = GITHUB_MERMAID_LIMITS, keep: readonly string[] = []): Promise<DrawnDiagram> {
  const counts = { nodes: diagram.nodes.length, edges: diagram.edges.length };
  if (format === "mermaid") {
    const fitted = fitMermaid(diagram, limits, keep);
    const text = fitted.parts.length === 1 ? fitted.parts[0]! : mermaidMarkdown(diagram.title, fitted.parts);
    return { format, text, parts: fitted.parts.length, collapsedCis: fitted.collapsedCis, ...counts };
  }
  const dot = toDot(diagram);
  if (format === "dot") return { format, text: dot, parts: 1, collapsedCis: 0, ...counts };
  const { dotToSvg } = await import("./svg.js");
  return { format, text: await dotToSvg(dot), parts: 1, collapsedCis: 0, ...counts };
}

/** A small Mermaid picture of a CI and its direct neighbours, both ways: what a drift issue embeds. */
export async function neighbourhoodMermaid(sql: Sql, ciId: string, options: { depth?: number; marks?: readonly Mark[]; now?: Date } = {}): Promise<string> {
  const depth = options.depth ?? 1;
  const down = await subgraph(sql, { root: { id: ciId, depth, direction: "deps" } });
  const up = await subgraph(sql, { root: { id: ciId, depth, direction: "impact" } });
  const byId = new Map<string, GraphCi>();
  for (const n of [...down.nodes, ...up.nodes]) byId.set(n.id, n);
  const nodes = [...byId.values()].sort((a, b) => byCodePoint(a.id, b.id));
  const edges = await edgesBetween(sql, nodes.map((n) => n.id), false);
  const marks = [...staleMarks(nodes, options.now ?? new Date()), ...(options.marks ?? [])];
  const root = byId.get(ciId);
  const diagram = buildDiagram({ nodes, edges }, { title: `Neighbourhood of ${root?.name ?? ciId}`, marks, keep: [ciId] });
  return fitMermaid(diagram, GITHUB_MERMAID_LIMITS, [ciId]).parts[0]!;
}
