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
