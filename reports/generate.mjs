#!/usr/bin/env node
// Regenerates reports/samples from examples/ (run `npm run reports`; test/report/samples.test.ts fails when they are out of date).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ingestExamples, openEngine, sampleReports, Store } from "../dist/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const store = await Store.open(await openEngine(":memory:"));
try {
  await ingestExamples(store, root);
  const dir = join(root, "reports", "samples");
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(await sampleReports(store))) {
    writeFileSync(join(dir, name), text);
    console.log(`wrote reports/samples/${name}`);
  }
} finally {
  await store.close();
}
