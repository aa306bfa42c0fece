import { collapseLeaves, type Diagram, splitDiagram } from "./model.js";
import { toMermaid } from "./mermaid.js";

/** What GitHub's Mermaid accepts: its maxTextSize and maxEdges defaults. */
export const GITHUB_MERMAID_LIMITS = { maxTextSize: 50_000, maxEdges: 500 };

export interface MermaidLimits {
  maxTextSize: number;
  maxEdges: number;
}

export interface FittedMermaid {
  /** One Mermaid text per part (one when the whole diagram fits). */
  parts: string[];
  /** CIs folded into counted nodes to make it fit. */
  collapsedCis: number;
}

/** Mermaid counts every link, the legend's none; text is measured as Mermaid does, in characters. */
const fitsLimits = (limits: MermaidLimits) => (d: Diagram) => d.edges.length <= limits.maxEdges && toMermaid(d).length <= limits.maxTextSize;

/**
 * Makes a diagram renderable within Mermaid's limits: as it is when it fits; else with leaves collapsed
 * into counted nodes; else split into linked parts that each fit.
 */
export function fitMermaid(diagram: Diagram, limits: MermaidLimits = GITHUB_MERMAID_LIMITS, keep: readonly string[] = []): FittedMermaid {
  const fits = fitsLimits(limits);
  if (fits(diagram)) return { parts: [toMermaid(diagram)], collapsedCis: 0 };
  const collapsed = collapseLeaves(diagram, keep);
  if (fits(collapsed)) return { parts: [toMermaid(collapsed)], collapsedCis: collapsed.collapsedCis };
  // Aim a fifth under each limit: references to other parts add text and edges to every part.
  const estimate = (d: Diagram) => Math.ceil(Math.max(d.edges.length / (limits.maxEdges * 0.8), toMermaid(d).length / (limits.maxTextSize * 0.8)));
  const parts = splitDiagram(collapsed, fits, estimate);
  return { parts: parts.map(toMermaid), collapsedCis: collapsed.collapsedCis };
}

/** Several parts as one Markdown document: a heading per part, links to the parts each one points into. */
export function mermaidMarkdown(title: string, parts: string[]): string {
  if (parts.length === 1) return `\`\`\`mermaid\n${parts[0]}\`\`\`\n`;
  const out = [`# ${title}`, "", `Too large for one Mermaid diagram: drawn in ${parts.length} parts. A node marked \`→ part N\` continues in part N.`, ""];
  parts.forEach((text, i) => {
    const links = [...new Set([...text.matchAll(/→ part (\d+)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
    out.push(`## Part ${i + 1} of ${parts.length}`, "");
    if (links.length > 0) out.push(`Continues in ${links.map((n) => `[part ${n}](#part-${n}-of-${parts.length})`).join(", ")}.`, "");
    out.push("```mermaid", text.trimEnd(), "```", "");
  });
  return out.join("\n");
}
