/**
 * A bound on how many operations run at once, shared by everything one collection starts, so that
 * nested fan-outs (nodes → guests → agent calls) never exceed it and never deadlock: only leaf
 * operations (one request each) go through the limiter, never a task that waits on other limited ones.
 */
export interface Limiter {
  <T>(operation: () => Promise<T>): Promise<T>;
  /** Operations running now. */
  readonly active: number;
  /** Operations waiting for a slot. */
  readonly pending: number;
}

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  let active = 0;
  const waiting: (() => void)[] = [];

  const release = (): void => {
    active--;
    const next = waiting.shift();
    if (next) next();
  };

  const limit = <T>(operation: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = (): void => {
        active++;
        let result: Promise<T>;
        try {
          result = operation();
        } catch (error) {
          result = Promise.reject(error);
        }
        result.then(resolve, reject).finally(release);
      };
      if (active < concurrency) start();
      else waiting.push(start);
    });

  return Object.defineProperties(limit, {
    active: { get: () => active },
    pending: { get: () => waiting.length },
  }) as Limiter;
}

/** `fn` over `items` with at most `concurrency` at once; results in input order. */
export async function mapLimited<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const limit = createLimiter(concurrency);
  return Promise.all(items.map((item, index) => limit(() => fn(item, index))));
}
