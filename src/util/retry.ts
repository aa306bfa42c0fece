/**
 * Retries with exponential backoff and full jitter (a random delay between 0 and the exponential
 * cap), so that many clients throttled at the same moment do not come back at the same moment.
 * The caller says what is worth retrying; a server's Retry-After wins over the computed delay.
 */
export interface RetryOptions {
  /** Total attempts including the first; default 5. */
  attempts?: number;
  /** Cap of the first retry's delay; doubles per retry. Default 250 ms. */
  baseDelayMs?: number;
  /** Largest delay, Retry-After included. Default 20 s. */
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Injected for deterministic tests; Math.random otherwise. */
  random?: () => number;
  /** Told before each wait, to say what is being waited on. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** The attempt that just failed, from 1. */
  attempt: number;
  attempts: number;
  delayMs: number;
  reason: string;
}

/** Why an outcome is worth another attempt, or undefined when it is final. */
export type RetryVerdict = { reason: string; retryAfterMs?: number } | undefined;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * cap);
}

/**
 * Runs `operation` until `classify` finds its outcome final or the attempts run out; the last
 * outcome is returned or thrown as it was, so callers see the real answer, not a wrapper.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  classify: (outcome: Outcome<T>) => RetryVerdict,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  for (let attempt = 1; ; attempt++) {
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await operation(attempt) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const verdict = attempt < attempts && !options.signal?.aborted ? classify(outcome) : undefined;
    if (!verdict) {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    const jittered = backoffDelay(attempt, baseDelayMs, maxDelayMs, options.random);
    const delayMs = Math.min(maxDelayMs, Math.max(jittered, verdict.retryAfterMs ?? 0));
    options.onRetry?.({ attempt, attempts, delayMs, reason: verdict.reason });
    await sleep(delayMs, options.signal);
  }
}

/** Retry-After as milliseconds (seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
