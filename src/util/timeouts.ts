import { CmdbError } from "./errors.js";

/**
 * Every wait on another machine is bounded, and each bound can be changed from the environment:
 * a server that accepts a connection and never answers ends in an error naming what was waited
 * on, never in a hang.
 */
export const TIMEOUTS = {
  /** Connecting to the PostgreSQL server, handshake and authentication included. */
  db: { env: "CMDB_DB_TIMEOUT_MS", fallback: 30_000 },
  /** One HTTP request (Proxmox API, Terraform HTTP backend): no byte for this long ends it. */
  http: { env: "CMDB_HTTP_TIMEOUT_MS", fallback: 60_000 },
} as const;

export function timeoutMs(kind: keyof typeof TIMEOUTS, env: NodeJS.ProcessEnv = process.env): number {
  const { env: name, fallback } = TIMEOUTS[kind];
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new CmdbError(`${name} must be a positive number of milliseconds, not ${JSON.stringify(raw)}`, { exitCode: 2 });
  return value;
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * An AbortSignal that fires after `ms` without activity: call `touch()` on every chunk received,
 * so a large answer arriving slowly is not cut, while a stalled one is.
 */
export function idleSignal(ms: number): { signal: AbortSignal; touch: () => void; done: () => void; fired: () => boolean } {
  const controller = new AbortController();
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      fired = true;
      controller.abort(new DOMException(`no answer within ${seconds(ms)}`, "TimeoutError"));
    }, ms);
    timer.unref?.();
  };
  arm();
  return { signal: controller.signal, touch: arm, done: () => clearTimeout(timer), fired: () => fired };
}
