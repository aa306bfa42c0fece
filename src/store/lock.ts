import { randomUUID } from "node:crypto";
import { linkSync, readFileSync, readlinkSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { CmdbError } from "../util/errors.js";

/**
 * The lock that lets one process at a time open a PGlite store.
 *
 * Atomic: the owner's record is written to a private temporary file first and then hard-linked to
 * the lock's name, so a lock is never visible half-written (a waiter that took an empty lock for a
 * dead owner's is how two processes once opened one store). Owned: a random token in the record;
 * only the process holding that token releases it, and a stale lock is removed only by the one
 * waiter that wins `<lock>.break-<token>`, so two waiters never both "take over" one dead lock.
 * The owner is known by more than its pid: host, boot id, pid namespace and the process start
 * time. Where the owner's pid cannot be checked (another pid namespace or another host, such as a
 * container sharing the store's volume), a heartbeat decides: the owner touches the lock every few
 * seconds, and a lock untouched for `staleMs` belongs to a process that is gone.
 */
export interface LockOwner {
  token: string;
  pid: number;
  host: string;
  bootId?: string;
  pidNs?: string;
  /** The process start time in clock ticks since boot (/proc/<pid>/stat), against pid reuse. */
  start?: string;
  since: string;
}

export interface LockOptions {
  timeoutMs?: number;
  /** A lock whose owner cannot be checked and that was not touched for this long is stale. */
  staleMs?: number;
  /** Runs after the record is written and before the lock is published (tests delay the holder here). */
  beforePublish?: () => Promise<void> | void;
}

export interface LockHandle {
  /** Releases the lock if it is still this process's; false when another process took it over. */
  release(): boolean;
}

const LOCK_TIMEOUT_MS = () => Number(process.env.CMDB_LOCK_TIMEOUT_MS ?? 120_000);
const LOCK_STALE_MS = () => Number(process.env.CMDB_LOCK_STALE_MS ?? 60_000);

export async function acquireDirLock(path: string, options: LockOptions = {}): Promise<LockHandle> {
  const timeoutMs = options.timeoutMs ?? LOCK_TIMEOUT_MS();
  const staleMs = options.staleMs ?? LOCK_STALE_MS();
  const deadline = Date.now() + timeoutMs;
  const me = currentOwner();
  let wait = 20;
  for (;;) {
    if (await tryCreate(path, me, options.beforePublish)) return hold(path, me, staleMs);
    const seen = readLock(path);
    if (seen && ownerState(seen, staleMs) === "gone") {
      breakLock(path, seen, me, staleMs);
      continue;
    }
    if (Date.now() > deadline) throw busyError(path, seen);
    await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
    wait = Math.min(wait * 2, 250);
  }
}

/** Who holds a lock, in words: "cmdb pid 12 on host ci-3 has held its lock since 2026-… (last sign of life 2 s ago)". */
export function describeOwner(lock: SeenLock): string {
  const o = lock.owner;
  const age = `last sign of life ${Math.max(0, Math.round((Date.now() - lock.mtimeMs) / 1000))} s ago`;
  if (!o) return `a process of an older cmdb has held its lock since ${new Date(lock.mtimeMs).toISOString()} (pid ${JSON.stringify(lock.raw.trim().slice(0, 20))}, ${age})`;
  return `cmdb pid ${o.pid} on host ${o.host}${o.pidNs ? ` in ${o.pidNs}` : ""} has held its lock since ${o.since} (${age})`;
}

function busyError(path: string, seen: SeenLock | undefined): CmdbError {
  return new CmdbError(`the store is busy: ${seen ? describeOwner(seen) : "another cmdb process holds its lock"}`, {
    where: path,
    hint: `wait for it to finish; if that process is gone, remove ${path}; CMDB_LOCK_TIMEOUT_MS sets how long to wait`,
  });
}

function currentOwner(): LockOwner {
  return {
    token: randomUUID(),
    pid: process.pid,
    host: hostname(),
    bootId: readOptional("/proc/sys/kernel/random/boot_id")?.trim(),
    pidNs: linkOptional("/proc/self/ns/pid"),
    start: startTime("self"),
    since: new Date().toISOString(),
  };
}

/** Publishes the lock with the record already in it: link() fails with EEXIST when it is taken. */
async function tryCreate(path: string, me: LockOwner, beforePublish: LockOptions["beforePublish"]): Promise<boolean> {
  const temp = `${path}.${me.token}.tmp`;
  writeFileSync(temp, JSON.stringify(me), { mode: 0o600 });
  try {
    await beforePublish?.();
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmQuiet(temp);
  }
}

function hold(path: string, me: LockOwner, staleMs: number): LockHandle {
  let released = false;
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      if (readLock(path)?.owner?.token === me.token) {
        try {
          utimesSync(path, now, now);
        } catch {
          // gone: release() says so
        }
      }
    },
    Math.max(1000, Math.floor(staleMs / 6)),
  );
  heartbeat.unref();
  const release = (): boolean => {
    if (released) return true;
    released = true;
    clearInterval(heartbeat);
    process.off("exit", release);
    // Only the owner or the one breaker of this token removes a lock with this token, so what is read here stays ours until unlinked.
    if (readLock(path)?.owner?.token !== me.token) return false;
    rmQuiet(path);
    return true;
  };
  process.on("exit", release);
  return { release };
}

export interface SeenLock {
  owner: LockOwner | undefined;
  /** The lock's identity: its token, or for a lock of an older cmdb (a bare pid) its inode and content. */
  id: string;
  raw: string;
  mtimeMs: number;
}

function readLock(path: string): SeenLock | undefined {
  try {
    const st = statSync(path);
    const raw = readFileSync(path, "utf8");
    const owner = parseOwner(raw);
    return { owner, id: owner?.token ?? `legacy-${st.ino}-${Buffer.from(raw).toString("hex").slice(0, 40)}`, raw, mtimeMs: st.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const o = JSON.parse(raw) as Partial<LockOwner>;
    if (typeof o?.token === "string" && Number.isInteger(o.pid) && typeof o.host === "string" && typeof o.since === "string") return o as LockOwner;
  } catch {
    // a lock of an older cmdb: a bare pid, or empty
  }
  return undefined;
}

type State = "alive" | "gone";

/** Whether the lock's owner still runs: by pid and start time where it can be checked, else by heartbeat. */
export function ownerState(lock: SeenLock, staleMs: number): State {
  const byHeartbeat: State = Date.now() - lock.mtimeMs > staleMs ? "gone" : "alive";
  const o = lock.owner;
  const here = currentOwnerSansToken();
  if (!o) {
    // An older cmdb wrote its pid after creating the file: empty may be a holder between the two.
    const pid = Number(lock.raw.trim());
    if (lock.raw.trim() !== "" && Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidGone(pid)) return "gone";
    return byHeartbeat;
  }
  if (o.bootId && here.bootId && o.bootId !== here.bootId) return o.host === here.host ? "gone" : byHeartbeat;
  const sameKernel = (o.bootId ?? "") === (here.bootId ?? "") && (o.bootId !== undefined || o.host === here.host);
  if (!sameKernel || (o.pidNs ?? "") !== (here.pidNs ?? "")) return byHeartbeat;
  if (o.pid === process.pid) return o.start === here.start ? "alive" : "gone";
  if (pidGone(o.pid)) return "gone";
  if (o.start !== undefined) {
    const now = startTime(String(o.pid));
    if (now !== undefined && now !== o.start) return "gone";
  }
  return "alive";
}

let cachedHere: Omit<LockOwner, "token" | "since"> | undefined;
function currentOwnerSansToken(): Omit<LockOwner, "token" | "since"> {
  cachedHere ??= (() => {
    const { token: _t, since: _s, ...rest } = currentOwner();
    return rest;
  })();
  return cachedHere;
}

/**
 * Removes a stale lock. Only the waiter that creates `<lock>.break-<id>` may remove the lock with
 * that id, and it checks the lock still has it: a lock taken meanwhile by a live process is never
 * removed. A breaker left by a waiter that died is itself broken the same way.
 */
function breakLock(path: string, stale: SeenLock, me: LockOwner, staleMs: number, depth = 0): void {
  const breaker = `${path}.break-${stale.id}`;
  const temp = `${breaker}.${me.token}.tmp`;
  writeFileSync(temp, JSON.stringify(me), { mode: 0o600 });
  let won = false;
  try {
    linkSync(temp, breaker);
    won = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmQuiet(temp);
  }
  if (!won) {
    const other = readLock(breaker);
    if (other && depth < 8 && ownerState(other, staleMs) === "gone") breakLock(breaker, other, me, staleMs, depth + 1);
    return;
  }
  try {
    if (readLock(path)?.id === stale.id) rmQuiet(path);
  } finally {
    rmQuiet(breaker);
  }
}

function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function startTime(pid: string): string | undefined {
  const stat = readOptional(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Field 22, counted after the command name, which is in parentheses and may contain spaces.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function linkOptional(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
}

function rmQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
