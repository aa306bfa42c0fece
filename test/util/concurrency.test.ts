import { describe, expect, it } from "vitest";
import { createLimiter, mapLimited } from "../../src/util/concurrency.js";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("createLimiter", () => {
  it("never runs more operations at once than its bound, and runs them all", async () => {
    const limit = createLimiter(3);
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          running++;
          most = Math.max(most, running);
          await tick(2);
          running--;
          return i;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect([limit.active, limit.pending]).toEqual([0, 0]);
  });

  it("frees the slot of an operation that fails or throws synchronously", async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error("async")))).rejects.toThrow("async");
    await expect(
      limit(() => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    expect(await limit(async () => "still works")).toBe("still works");
  });

  it("reports waiting operations", async () => {
    const limit = createLimiter(1);
    const first = limit(() => tick(10));
    const second = limit(() => tick(1));
    expect([limit.active, limit.pending]).toEqual([1, 1]);
    await Promise.all([first, second]);
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => createLimiter(0)).toThrow(RangeError);
    expect(() => createLimiter(1.5)).toThrow(RangeError);
  });

  it("maps in input order with mapLimited", async () => {
    const finished: number[] = [];
    const results = await mapLimited([30, 1, 10], 2, async (ms, i) => {
      await tick(ms);
      finished.push(i);
      return i;
    });
    expect(results).toEqual([0, 1, 2]);
    expect(finished).toEqual([1, 2, 0]);
  });
});
