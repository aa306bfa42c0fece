import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ingestExamples, sampleReports } from "../../src/report/samples.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { ENGINES } from "../helpers/engines.js";

describe("reports/samples", () => {
  // Building the first PGlite store includes initdb, and the SVG loads Graphviz: slow on a loaded machine, not a measure of anything.
  it("are what examples/ gives today (run `npm run reports` when this fails)", { timeout: 600_000 }, async () => {
    const store = await ENGINES[0]!.open();
    try {
      await ingestExamples(store, REPO_ROOT);
      const samples = await sampleReports(store);
      expect(Object.keys(samples).sort()).toEqual(["diagram.dot", "diagram.mmd", "diagram.svg", "health.html", "health.json", "health.md"]);
      for (const [name, text] of Object.entries(samples)) {
        expect(text, `reports/samples/${name} is out of date: run npm run reports`).toBe(readFileSync(join(REPO_ROOT, "reports/samples", name), "utf8"));
      }
    } finally {
      await store.close();
    }
  });
});
