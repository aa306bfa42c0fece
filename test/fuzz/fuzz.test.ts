import { describe, expect, it } from "vitest";
import { fuzz } from "./harness.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const CASES = Number(process.env.FUZZ_CASES ?? 300);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 0);

describe("every parser of outside input, fed mutated real inputs", () => {
  it(`ends each of ${CASES} seeded cases (seed ${SEED}) with a result or one clear error, never a crash`, async () => {
    const outcome = await fuzz(SEED, CASES, SECONDS > 0 ? Date.now() + SECONDS * 1000 : Number.POSITIVE_INFINITY);
    console.log(`fuzz: seed ${SEED}: ${outcome.cases} cases, ${outcome.ok} accepted, ${outcome.clearErrors} clear errors, ${outcome.crashes.length} crashes`);
    expect(outcome.crashes).toEqual([]);
    expect(outcome.cases).toBeGreaterThan(0);
  });
});
