import type { Octokit } from "octokit";
import { UsageError } from "../util/errors.js";

export interface ClientOptions {
  env?: NodeJS.ProcessEnv;
  /** Attempts after a failed request (5xx, network); 3 by default. */
  retries?: number;
  /** Milliseconds per unit of the retry plugin's backoff (1000 by default: 1 s, 4 s, 9 s). */
  retryBaseMs?: number;
  /**
   * Milliseconds between two writes, and between two writes that notify people (the plugin's defaults
   * follow GitHub's advice: 1 s and 3 s; env CMDB_GITHUB_WRITE_INTERVAL_MS sets both).
   */
  writeIntervalMs?: number;
  log?: (line: string) => void;
}

/**
 * Octokit with its throttling and retry plugins: a 403/429 secondary limit is waited out for the
 * `retry-after` it names, a primary limit up to a quarter hour; 5xx answers are retried with backoff.
 * Token from GITHUB_TOKEN or GH_TOKEN, API from GITHUB_API_URL (GitHub Enterprise).
 */
export async function createGitHubClient(options: ClientOptions = {}): Promise<Octokit> {
  const env = options.env ?? process.env;
  const token = env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!token) throw new UsageError("no GitHub token", { where: "--github", hint: "set GITHUB_TOKEN or GH_TOKEN" });
  const baseUrl = (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, "");
  const log = options.log ?? (() => {});
  const interval = options.writeIntervalMs ?? (env.CMDB_GITHUB_WRITE_INTERVAL_MS ? Number(env.CMDB_GITHUB_WRITE_INTERVAL_MS) : undefined);
  const { Octokit: OctokitClass } = await import("octokit");
  return new OctokitClass({
    auth: token,
    baseUrl,
    userAgent: "gitops-cmdb",
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log(`github: ${m}`), error: (m: string) => log(`github: ${m}`) },
    retry: { retries: options.retries ?? 3, ...(options.retryBaseMs !== undefined ? { retryAfterBaseValue: options.retryBaseMs } : {}) },
    throttle: {
      onRateLimit: (retryAfter: number, o: { method: string; url: string; request: { retryCount: number } }) => {
        if (o.request.retryCount >= 2 || retryAfter > 900) return false;
        log(`github: rate limit reached on ${o.method} ${o.url}; waiting ${retryAfter}s`);
        return true;
      },
      onSecondaryRateLimit: (retryAfter: number, o: { method: string; url: string; request: { retryCount: number } }) => {
        if (o.request.retryCount >= 3) return false;
        log(`github: secondary rate limit on ${o.method} ${o.url}; waiting ${retryAfter}s`);
        return true;
      },
      ...(interval !== undefined && Number.isFinite(interval) ? { write: spacedWrites(interval), notifications: spacedWrites(interval) } : {}),
    },
  } as ConstructorParameters<typeof OctokitClass>[0]);
}

/** The throttling plugin's write limiter interface (a Bottleneck group), spacing writes `ms` apart. */
function spacedWrites(ms: number) {
  let next = 0;
  const limiter = {
    schedule: async <T>(_options: unknown, fn: () => Promise<T>): Promise<T> => {
      const now = Date.now();
      const wait = Math.max(0, next - now);
      next = Math.max(now, next) + ms;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return fn();
    },
  };
  return { key: () => limiter };
}
