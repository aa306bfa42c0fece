import type { Store } from "../../src/store/store.js";
import { ingestExamples } from "../../src/report/samples.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import type { EngineCase } from "../helpers/engines.js";

/** A store holding the example infrastructure, ingested at the samples' fixed time. */
export async function exampleStore(engine: EngineCase): Promise<Store> {
  const store = await engine.open();
  await ingestExamples(store, REPO_ROOT);
  return store;
}

/**
 * Opens (and closes) one store of each engine, so that the first PGlite store's initdb happens in a
 * hook with room for a loaded machine rather than inside the first test.
 */
export async function warmUp(engines: EngineCase[]): Promise<void> {
  for (const engine of engines.filter((e) => e.available)) await (await engine.open()).close();
}

export const WARM_UP_TIMEOUT_MS = 600_000;
