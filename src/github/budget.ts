/**
 * GitHub's secondary limits on content-creating requests: 80 a minute and 500 an hour. The budget
 * counts this run's writes with those earlier runs made (kept in the store), and says no before a
 * write would cross either limit: the write is deferred to the next run instead.
 */
export interface WriteBudget {
  /** Takes one write if the limits allow it now. */
  take(): boolean;
  /** Writes taken in this run. */
  readonly spent: Date[];
  remaining(): number;
}

export const PER_MINUTE = 80;
export const PER_HOUR = 500;

export function writeBudget(earlier: readonly Date[], options: { perMinute?: number; perHour?: number; now?: () => Date } = {}): WriteBudget {
  const perMinute = options.perMinute ?? PER_MINUTE;
  const perHour = options.perHour ?? PER_HOUR;
  const now = options.now ?? (() => new Date());
  const spent: Date[] = [];
  const counts = () => {
    const t = now().getTime();
    const all = [...earlier, ...spent];
    return {
      minute: all.filter((d) => t - d.getTime() < 60_000).length,
      hour: all.filter((d) => t - d.getTime() < 3_600_000).length,
    };
  };
  return {
    spent,
    remaining() {
      const c = counts();
      return Math.max(0, Math.min(perMinute - c.minute, perHour - c.hour));
    },
    take() {
      if (this.remaining() <= 0) return false;
      spent.push(now());
      return true;
    },
  };
}
