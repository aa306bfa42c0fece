import { describe, expect, it } from "vitest";
import { fitMermaid, GITHUB_MERMAID_LIMITS, mermaidMarkdown } from "../../src/report/diagram/fit.js";
import { toMermaid } from "../../src/report/diagram/mermaid.js";
import { buildDiagram } from "../../src/report/diagram/model.js";
import { flatSubnet, meshedVpcs } from "./synthetic.js";

const edgesOf = (mermaid: string) => mermaid.match(/ (-->|==>|-\.->)\|/g)?.length ?? 0;

describe("Mermaid within GitHub's limits (50,000 characters, 500 edges)", () => {
  it("leaves a diagram that fits as it is", () => {
    const diagram = buildDiagram(flatSubnet(40));
    const fitted = fitMermaid(diagram);
    expect(fitted.parts).toEqual([toMermaid(diagram)]);
    expect(fitted.collapsedCis).toBe(0);
  });

  it("collapses leaves into a counted node, said in the legend, and keeps marked CIs visible", () => {
    const graph = flatSubnet(800);
    const marked = graph.nodes[17]!.id;
    const diagram = buildDiagram(graph, { marks: [{ ciId: marked, kind: "drift", title: "instance type differs" }] });
    expect(toMermaid(diagram).length > GITHUB_MERMAID_LIMITS.maxTextSize || diagram.edges.length > GITHUB_MERMAID_LIMITS.maxEdges).toBe(true);
    const fitted = fitMermaid(diagram);
    expect(fitted.parts).toHaveLength(1);
    const text = fitted.parts[0]!;
    expect(text.length).toBeLessThanOrEqual(GITHUB_MERMAID_LIMITS.maxTextSize);
    expect(edgesOf(text)).toBeLessThanOrEqual(GITHUB_MERMAID_LIMITS.maxEdges);
    expect(fitted.collapsedCis).toBe(799);
    expect(text).toContain('"799 × Virtual machine<br/>collapsed"');
    expect(text).toContain("legend_f_collapsed");
    expect(text).toContain(marked);
    expect(text).toContain("[drift]");
  });

  it("splits what collapsing cannot shrink into linked parts that each fit, every CI in exactly one", () => {
    const graph = meshedVpcs(4, 300);
    const diagram = buildDiagram(graph, { groupBy: "aws-vpc" });
    expect(diagram.edges.length).toBeGreaterThan(4 * GITHUB_MERMAID_LIMITS.maxEdges);
    const fitted = fitMermaid(diagram);
    expect(fitted.parts.length).toBeGreaterThan(1);
    const home = new Map<string, number>();
    fitted.parts.forEach((part, i) => {
      expect(part.length).toBeLessThanOrEqual(GITHUB_MERMAID_LIMITS.maxTextSize);
      expect(edgesOf(part)).toBeLessThanOrEqual(GITHUB_MERMAID_LIMITS.maxEdges);
      expect(part).toContain(`(part ${i + 1} of ${fitted.parts.length})`);
      for (const m of part.matchAll(/^ {2,4}(ci_[0-9a-f]{16})\[/gm)) {
        expect(home.has(m[1]!), `${m[1]} drawn in two parts`).toBe(false);
        home.set(m[1]!, i + 1);
      }
    });
    expect([...home.keys()].sort()).toEqual(graph.nodes.filter((n) => n.type === "virtual_machine").map((n) => n.id).sort());
    // Every reference names a part that draws the CI it stands for.
    const byName = new Map(graph.nodes.map((n) => [n.name, n.id]));
    let refs = 0;
    fitted.parts.forEach((part) => {
      for (const m of part.matchAll(/>"([^"<]+) → part (\d+)<br\/>/g)) {
        refs++;
        const target = fitted.parts[Number(m[2]) - 1];
        expect(target).toBeDefined();
        // A single CI is named; several CIs of one part behind one edge are counted.
        if (/^\d+ CIs$/.test(m[1]!)) continue;
        expect(target).toMatch(new RegExp(`${byName.get(m[1]!)}[\\[{(]`));
      }
    });
    expect(refs).toBeGreaterThan(0);
    const markdown = mermaidMarkdown(diagram.title, fitted.parts);
    expect(markdown.match(/^```mermaid$/gm)).toHaveLength(fitted.parts.length);
    expect(markdown).toMatch(/Continues in \[part \d+\]\(#part-\d+-of-\d+\)/);
  });

  it("splits the same graph the same way every time", () => {
    const a = fitMermaid(buildDiagram(meshedVpcs(3, 250), { groupBy: "aws-vpc" })).parts;
    const b = fitMermaid(buildDiagram(meshedVpcs(3, 250), { groupBy: "aws-vpc" })).parts;
    expect(b).toEqual(a);
  });
});
