import { describe, expect, it } from "vitest";
import { CASE_BOUND_MS, fuzz } from "./harness.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const CASES = Number(process.env.FUZZ_CASES ?? 300);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 0);

describe("every parser of outside input, fed mutated real inputs", () => {
  it(`ends each of ${CASES} seeded cases (seed ${SEED}) with a result or one clear error, never a crash`, async () => {
    const outcome = await fuzz(SEED, CASES, SECONDS > 0 ? Date.now() + SECONDS * 1000 : Number.POSITIVE_INFINITY);
    console.log(
      `fuzz: seed ${SEED}: ${outcome.cases} cases, ${outcome.ok} accepted, ${outcome.clearErrors} clear errors, ${outcome.crashes.length} crashes, ${outcome.hangs.length} over the ${CASE_BOUND_MS} ms bound`,
    );
    for (const c of outcome.slowest) console.log(`fuzz: slow: ${c.ms} ms: seed ${c.seed} ${c.target} ${c.input} ${c.mutation}`);
    expect(outcome.crashes).toEqual([]);
    expect(outcome.hangs).toEqual([]);
    expect(outcome.cases).toBeGreaterThan(0);
  });
});
