import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, type RetryInfo, withRetry } from "../../src/util/retry.js";

const busy = (outcome: { ok: boolean; value?: unknown }) => (outcome.ok && outcome.value === "busy" ? { reason: "busy" } : undefined);

describe("withRetry", () => {
  it("retries what the classifier calls retryable and returns the first final answer", async () => {
    const answers = ["busy", "busy", "done"];
    const waits: RetryInfo[] = [];
    const result = await withRetry(async (attempt) => answers[attempt - 1]!, busy, { baseDelayMs: 4, random: () => 1, onRetry: (i) => waits.push(i) });
    expect(result).toBe("done");
    expect(waits.map((w) => [w.attempt, w.delayMs, w.reason])).toEqual([
      [1, 4, "busy"],
      [2, 8, "busy"],
    ]);
  });

  it("gives back the last answer unchanged when the attempts run out", async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        return "busy";
      },
      busy,
      { attempts: 3, baseDelayMs: 1 },
    );
    expect([result, calls]).toEqual(["busy", 3]);
  });

  it("rethrows an error the classifier does not retry, at once", async () => {
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw new Error("permanent");
      },
      () => undefined,
    );
    await expect(failing).rejects.toThrow("permanent");
    expect(calls).toBe(1);
  });

  it("waits at least what Retry-After asks, capped by the largest delay", async () => {
    const waits: number[] = [];
    await withRetry(async (attempt) => (attempt === 1 ? "busy" : "ok"), (o) => (o.ok && o.value === "busy" ? { reason: "429", retryAfterMs: 30 } : undefined), {
      random: () => 0,
      maxDelayMs: 20,
      onRetry: (i) => waits.push(i.delayMs),
    });
    expect(waits).toEqual([20]);
  });

  it("stops waiting when the signal aborts", async () => {
    const controller = new AbortController();
    const pending = withRetry(async () => "busy", busy, { baseDelayMs: 60_000, random: () => 1, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stopped")), 10);
    await expect(pending).rejects.toThrow("stopped");
  });
});

describe("backoff", () => {
  it("draws full jitter below a cap that doubles per attempt", () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 100, 500, () => 1))).toEqual([100, 200, 400, 500]);
    expect(backoffDelay(3, 100, 500, () => 0.5)).toBe(200);
    expect(backoffDelay(3, 100, 500, () => 0)).toBe(0);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(5000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
