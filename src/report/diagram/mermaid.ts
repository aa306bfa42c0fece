import type { Diagram, DiagramNode, NodeClass } from "./model.js";
import { CLASS_STYLE, EDGE_STYLE, FLAG_STYLE, legendOf } from "./style.js";

/** Text Mermaid puts between quotes: its own entity codes for what would end or break the label. */
function text(value: string): string {
  return value.replace(/[#"<>&]/g, (c) => ({ "#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;" })[c]!);
}

const SHAPES: Record<NodeClass, [string, string]> = {
  compute: ["[", "]"],
  network: ["{{", "}}"],
  storage: ["[(", ")]"],
  service: ["([", "])"],
  security: ["[/", "\\]"],
  management: ["[[", "]]"],
  group: ["(", ")"],
  other: ["[", "]"],
};

function shape(node: DiagramNode, label: string): string {
  if (node.kind === "ref") return `>"${label}"]`;
  if (node.kind === "collapsed") return `[/"${label}"/]`;
  const [open, close] = SHAPES[node.cls];
  return `${open}"${label}"${close}`;
}

function nodeLine(node: DiagramNode): string {
  const label = [text(node.label), ...node.detail.filter((d) => d.length > 0).map(text)].join("<br/>");
  return `${node.id}${shape(node, label)}`;
}

const classDef = (name: string, s: { fill?: string; stroke: string; width?: number; dashed?: boolean }) =>
  `  classDef ${name} ${[s.fill ? `fill:${s.fill}` : "", `stroke:${s.stroke}`, s.width ? `stroke-width:${s.width}px` : "", s.dashed ? "stroke-dasharray:5 3" : ""].filter(Boolean).join(",")}`;

/**
 * A Mermaid flowchart of the diagram: clusters as subgraphs, node shapes by type class, classes for
 * status, marks and change, edge labels by relationship, and a legend subgraph of what is used.
 * GitHub renders it natively.
 */
export function toMermaid(diagram: Diagram): string {
  const lines: string[] = [];
  const title = diagram.part ? `${diagram.title} (part ${diagram.part.index} of ${diagram.part.total})` : diagram.title;
  lines.push("---", `title: "${title.replace(/["\\]/g, "'")}"`, "---", "flowchart LR");
  const legend = legendOf(diagram);
  for (const c of legend.classes) lines.push(classDef(c, CLASS_STYLE[c]));
  for (const f of legend.flags) lines.push(classDef(`f_${f}`, FLAG_STYLE[f]!));
  const byGroup = new Map<string | null, DiagramNode[]>();
  for (const n of diagram.nodes) {
    const list = byGroup.get(n.group) ?? [];
    list.push(n);
    byGroup.set(n.group, list);
  }
  for (const g of diagram.groups) {
    lines.push(`  subgraph ${g.id}["${text(g.label)}"]`);
    for (const n of byGroup.get(g.id) ?? []) lines.push(`    ${nodeLine(n)}`);
    lines.push("  end");
  }
  for (const n of byGroup.get(null) ?? []) lines.push(`  ${nodeLine(n)}`);
  const linkStyles: string[] = [];
  diagram.edges.forEach((e, i) => {
    const arrow = e.change === "removed" ? "-.->" : e.change === "added" ? "==>" : "-->";
    lines.push(`  ${e.from} ${arrow}|"${text(e.label)}"| ${e.to}`);
    if (e.change) linkStyles.push(`  linkStyle ${i} stroke:${EDGE_STYLE[e.change].stroke},stroke-width:${EDGE_STYLE[e.change].width}px`);
  });
  lines.push(...linkStyles);
  for (const c of legend.classes) {
    const ids = diagram.nodes.filter((n) => n.cls === c).map((n) => n.id);
    if (ids.length > 0) lines.push(`  class ${ids.join(",")} ${c}`);
  }
  for (const f of legend.flags) {
    const ids = diagram.nodes.filter((n) => n.flags.includes(f)).map((n) => n.id);
    if (ids.length > 0) lines.push(`  class ${ids.join(",")} f_${f}`);
  }
  lines.push('  subgraph legend["Legend"]');
  for (const c of legend.classes) lines.push(`    legend_${c}${SHAPES[c][0]}"${text(CLASS_STYLE[c].label)}"${SHAPES[c][1]}`);
  for (const f of legend.flags) lines.push(`    legend_f_${f}["${text(FLAG_STYLE[f]!.legend)}"]`);
  for (const e of legend.edges) lines.push(`    legend_e_${e}["${text(`${e === "added" ? "thick ==>" : "dotted -.->"} ${EDGE_STYLE[e].legend}`)}"]`);
  lines.push("  end");
  for (const c of legend.classes) lines.push(`  class legend_${c} ${c}`);
  for (const f of legend.flags) lines.push(`  class legend_f_${f} f_${f}`);
  return `${lines.join("\n")}\n`;
}
