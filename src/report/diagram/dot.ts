import type { Diagram, DiagramNode, NodeClass } from "./model.js";
import { CLASS_STYLE, EDGE_STYLE, FLAG_STYLE, legendOf } from "./style.js";

const q = (value: string) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

const SHAPES: Record<NodeClass, string> = {
  compute: "box",
  network: "hexagon",
  storage: "cylinder",
  service: "ellipse",
  security: "trapezium",
  management: "component",
  group: "box",
  other: "box",
};

function attrs(list: [string, string | number][]): string {
  return `[${list.map(([k, v]) => `${k}=${typeof v === "number" ? v : q(v)}`).join(", ")}]`;
}

function nodeAttrs(n: DiagramNode): string {
  const cls = CLASS_STYLE[n.cls];
  let fill = cls.fill;
  let stroke = cls.stroke;
  let width = 1;
  let dashed = false;
  for (const f of Object.keys(FLAG_STYLE)) {
    if (!n.flags.includes(f)) continue;
    const s = FLAG_STYLE[f]!;
    stroke = s.stroke;
    width = Math.max(width, s.width);
    dashed = dashed || s.dashed;
    if (s.fill) fill = s.fill;
  }
  const shape = n.kind === "collapsed" ? "folder" : n.kind === "ref" ? "cds" : SHAPES[n.cls];
  return attrs([
    ["id", n.id],
    ["class", [n.kind, n.cls, ...n.flags].join(" ")],
    ["label", [n.label, ...n.detail.filter((d) => d.length > 0)].join("\n")],
    ["shape", shape],
    ["style", dashed ? "filled,dashed" : "filled"],
    ["fillcolor", fill],
    ["color", stroke],
    ["penwidth", width],
  ]);
}

/** Above this many nodes, layout trades some crossing reduction for time: a 2,000-node graph lays out in seconds, not minutes. */
export const LARGE_GRAPH_NODES = 300;

/** Graphviz DOT of the diagram: clusters, shapes and colours by type, status, marks and change, and a legend cluster. */
export function toDot(diagram: Diagram): string {
  const lines: string[] = [];
  const title = diagram.part ? `${diagram.title} (part ${diagram.part.index} of ${diagram.part.total})` : diagram.title;
  lines.push(
    "digraph cmdb {",
    `  graph ${attrs([
      ["label", title],
      ["labelloc", "t"],
      ["rankdir", "LR"],
      ["fontname", "Helvetica"],
      ["fontsize", 14],
      ...(diagram.nodes.length > LARGE_GRAPH_NODES ? ([["nslimit", 1], ["mclimit", 0.2], ["searchsize", 10]] as [string, number][]) : []),
    ])};`,
    `  node ${attrs([["fontname", "Helvetica"], ["fontsize", 10]])};`,
    `  edge ${attrs([["fontname", "Helvetica"], ["fontsize", 8], ["color", "#4b5563"]])};`,
  );
  const byGroup = new Map<string | null, DiagramNode[]>();
  for (const n of diagram.nodes) {
    const list = byGroup.get(n.group) ?? [];
    list.push(n);
    byGroup.set(n.group, list);
  }
  for (const g of diagram.groups) {
    lines.push(`  subgraph ${q(`cluster_${g.id}`)} {`, `    graph ${attrs([["label", g.label], ["style", "rounded,dashed"], ["color", "#6b7280"], ["id", g.id]])};`);
    for (const n of byGroup.get(g.id) ?? []) lines.push(`    ${q(n.id)} ${nodeAttrs(n)};`);
    lines.push("  }");
  }
  for (const n of byGroup.get(null) ?? []) lines.push(`  ${q(n.id)} ${nodeAttrs(n)};`);
  for (const e of diagram.edges) {
    const list: [string, string | number][] = [
      ["id", `${e.from}__${e.to}`],
      ["class", ["rel", ...(e.change ? [e.change] : [])].join(" ")],
      ["label", e.label],
    ];
    if (e.change) list.push(["color", EDGE_STYLE[e.change].stroke], ["penwidth", EDGE_STYLE[e.change].width], ["style", e.change === "removed" ? "dashed" : "bold"]);
    lines.push(`  ${q(e.from)} -> ${q(e.to)} ${attrs(list)};`);
  }
  const legend = legendOf(diagram);
  lines.push(`  subgraph "cluster_legend" {`, `    graph ${attrs([["label", "Legend"], ["style", "rounded"], ["color", "#9ca3af"], ["id", "legend"]])};`);
  for (const c of legend.classes) {
    lines.push(`    ${q(`legend_${c}`)} ${attrs([["class", "legend"], ["label", CLASS_STYLE[c].label], ["shape", SHAPES[c]], ["style", "filled"], ["fillcolor", CLASS_STYLE[c].fill], ["color", CLASS_STYLE[c].stroke]])};`);
  }
  for (const f of legend.flags) {
    const s = FLAG_STYLE[f]!;
    lines.push(
      `    ${q(`legend_f_${f}`)} ${attrs([["class", "legend"], ["label", s.legend], ["shape", "box"], ["style", s.dashed ? "filled,dashed" : "filled"], ["fillcolor", s.fill ?? "#ffffff"], ["color", s.stroke], ["penwidth", s.width]])};`,
    );
  }
  for (const e of legend.edges) {
    lines.push(`    ${q(`legend_e_${e}`)} ${attrs([["class", "legend"], ["label", EDGE_STYLE[e].legend], ["shape", "plaintext"], ["fontcolor", EDGE_STYLE[e].stroke]])};`);
  }
  lines.push("  }", "}");
  return `${lines.join("\n")}\n`;
}
