import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import { drawDiagram } from "../../src/report/diagram/draw.js";
import { fitMermaid } from "../../src/report/diagram/fit.js";
import { toMermaid } from "../../src/report/diagram/mermaid.js";
import { buildDiagram } from "../../src/report/diagram/model.js";
import { collectHealth, renderHealth } from "../../src/report/health/index.js";
import { SAMPLE_INGEST_AT, SAMPLE_REPORT_AT } from "../../src/report/samples.js";
import { listCis } from "../../src/store/queries.js";
import type { Store } from "../../src/store/store.js";
import { chromium, launch, TEST_OUTPUT, watchedPage } from "../helpers/browser.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { ENGINES } from "../helpers/engines.js";
import { exampleStore, WARM_UP_TIMEOUT_MS } from "./example-store.js";
import { meshedVpcs } from "./synthetic.js";

const MERMAID = join(REPO_ROOT, "node_modules/mermaid/dist/mermaid.min.js");
const OUT = join(TEST_OUTPUT, "report");

/** Parses with mermaid's own parser, then renders with its defaults (GitHub's limits among them), in the page. */
async function mermaidInPage(page: Page, text: string, id: string): Promise<{ nodes: string[]; visible: number }> {
  return page.evaluate(
    async ([source, name]) => {
      const m = (globalThis as unknown as { mermaid: { initialize(c: object): void; parse(t: string): Promise<unknown>; render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
      m.initialize({ startOnLoad: false, securityLevel: "strict" });
      await m.parse(source!);
      const { svg } = await m.render(name!, source!);
      const holder = document.createElement("div");
      holder.id = `holder-${name}`;
      holder.innerHTML = svg;
      document.body.appendChild(holder);
      const nodes = [...holder.querySelectorAll("g.node")];
      return {
        nodes: nodes.map((n) => n.id),
        visible: nodes.filter((n) => {
          const r = n.getBoundingClientRect();
          return r.width > 0 && r.height > 0;
        }).length,
      };
    },
    [text, id],
  );
}

describe.skipIf(!chromium.ok)("what a person looks at, in headless Chromium", () => {
  let browser: Browser;
  let store: Store;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    browser = await launch();
    store = await exampleStore(ENGINES[0]!);
  }, WARM_UP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await store?.close();
  });

  it("mermaid's own parser accepts the diagrams, and they render with every CI visible", async () => {
    const { page, errors, requests } = await watchedPage(browser);
    await page.setContent("<!DOCTYPE html><html><body></body></html>");
    await page.addScriptTag({ path: MERMAID });
    const cis = (await listCis(store.engine)).filter((c) => c.type !== "terraform_workspace");
    const grouped = (await drawDiagram(store.engine, "mermaid", { groupBy: "aws-vpc", now: SAMPLE_REPORT_AT })).text;
    const drawn = await mermaidInPage(page, grouped, "grouped");
    for (const ci of cis) expect(drawn.nodes.some((id) => id.includes(`-${ci.id}-`))).toBe(true);
    expect(drawn.visible).toBe(drawn.nodes.length);

    // A --since diagram (removed edges dotted, added thick, link styles) and the report's pie chart.
    const later = new Date(SAMPLE_INGEST_AT.getTime() + 3_600_000);
    const state = JSON.parse(await (await import("node:fs/promises")).readFile(join(REPO_ROOT, "examples/terraform/aws-shop-vpc.tfstate"), "utf8"));
    state.serial += 1;
    state.resources = state.resources.filter((r: { type: string }) => r.type !== "aws_lb" && r.type !== "aws_route53_record");
    const file = join(OUT, "changed.tfstate");
    writeFileSync(file, JSON.stringify(state));
    await ingestTerraform(store, { input: file, workspace: "aws-shop-vpc", settings: reconcileSettings({}), now: later });
    const since = (await drawDiagram(store.engine, "mermaid", { since: { time: new Date(later.getTime() - 1000) }, now: later })).text;
    expect(since).toContain("-.->");
    await mermaidInPage(page, since, "since");
    const md = renderHealth(await collectHealth(store.engine, { now: later }), "md");
    const pie = md.match(/```mermaid\n([\s\S]*?)```/)![1]!;
    await mermaidInPage(page, pie, "pie");
    await page.screenshot({ path: join(OUT, "mermaid.png"), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it("every part of a split diagram parses and renders within the limits mermaid itself enforces", async () => {
    const { page, errors } = await watchedPage(browser);
    await page.setContent("<!DOCTYPE html><html><body></body></html>");
    await page.addScriptTag({ path: MERMAID });
    // GitHub's limits scaled down, so that the browser lays out small parts: mermaid is told the same limits.
    const limits = { maxTextSize: 9000, maxEdges: 60 };
    const diagram = buildDiagram(meshedVpcs(2, 40), { groupBy: "aws-vpc" });
    const parts = fitMermaid(diagram, limits).parts;
    expect(parts.length).toBeGreaterThan(1);
    const render = (text: string, id: string) =>
      page.evaluate(
        async ([source, name, max]) => {
          const m = (globalThis as unknown as { mermaid: { initialize(c: object): void; render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
          m.initialize({ startOnLoad: false, maxTextSize: max!.maxTextSize, maxEdges: max!.maxEdges });
          try {
            // Over maxTextSize mermaid draws an error box instead of the diagram; over maxEdges it throws.
            const { svg } = await m.render(name as string, source as string);
            const refused = /exceeded/i.test(svg);
            return { ok: !refused, nodes: (svg.match(/class="node /g) ?? []).length, error: refused ? "limit exceeded" : "" };
          } catch (error) {
            return { ok: false, nodes: 0, error: String(error) };
          }
        },
        [text, id, limits] as const,
      );
    // Whole, it is refused...
    const whole = await render(toMermaid(diagram), "whole");
    expect(whole.ok).toBe(false);
    // ...and every part is drawn.
    for (const [i, part] of parts.entries()) {
      const drawn = await render(part, `part${i}`);
      expect(drawn.error).toBe("");
      expect(drawn.nodes).toBeGreaterThan(0);
    }
    expect(errors.filter((e) => !e.includes("Maximum"))).toEqual([]);
    await page.close();
  });

  it("the HTML report opens with no error and no request, its sections and charts visible, and prints", async () => {
    const report = await collectHealth(store.engine, { now: SAMPLE_REPORT_AT });
    const file = join(OUT, "health.html");
    writeFileSync(file, renderHealth(report, "html"));
    const { page, errors, requests } = await watchedPage(browser);
    const url = pathToFileURL(file).href;
    await page.goto(url);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    const headings = await page.locator("h2").allTextContents();
    for (const section of ["Inventory", "Coverage", "Freshness", "Conflicts", "Findings", "Most depended-upon CIs", "Single points of failure", "Recent changes", "Discovery runs"]) {
      expect(headings.some((h) => h.startsWith(section))).toBe(true);
    }
    const bars = page.locator("svg.bars rect.bar");
    expect(await bars.count()).toBeGreaterThan(10);
    for (const box of await bars.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width))) expect(box).toBeGreaterThan(0);
    const total = await page.locator(".figure b").first().textContent();
    expect(Number(total)).toBe(report.inventory.total);
    await page.screenshot({ path: join(OUT, "health.png"), fullPage: true });
    await page.emulateMedia({ media: "print" });
    expect(await page.evaluate(() => getComputedStyle(document.querySelector("main")!).maxWidth)).toBe("none");
    await page.pdf({ path: join(OUT, "health.pdf"), format: "A4" });
    await page.close();
  });

  it("the SVG diagram opens with no error and shows every CI's node", async () => {
    const svg = (await drawDiagram(store.engine, "svg", { groupBy: "aws-vpc", now: SAMPLE_REPORT_AT })).text;
    const file = join(OUT, "diagram.svg");
    writeFileSync(file, svg);
    const { page, errors, requests } = await watchedPage(browser);
    const url = pathToFileURL(file).href;
    await page.goto(url);
    const cis = (await listCis(store.engine)).filter((c) => c.status !== "retired" && c.type !== "terraform_workspace");
    const boxes = await page.locator("g.node.ci").evaluateAll((els) => els.map((e) => ({ id: e.id, ...e.getBoundingClientRect().toJSON() })));
    expect(boxes.map((b) => b.id).sort()).toEqual(cis.map((c) => c.id).sort());
    for (const b of boxes) {
      expect(b.width).toBeGreaterThan(10);
      expect(b.height).toBeGreaterThan(10);
    }
    expect(await page.locator("g.edge.rel").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(OUT, "diagram.png") });
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });
});
