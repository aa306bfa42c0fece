import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireDirLock } from "../../src/store/lock.js";
import { CLI, cliJson, runCli } from "../helpers/cli.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { requireService } from "../helpers/services.js";

const STATE = join(TEST_FIXTURES, "terraform", "aws-vpc-instance-eip.tfstate");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(dropTestSchemas);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cmdb-lock-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Waits (without a deadline of its own: the test's timeout bounds it) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(20);
}

describe("the PGlite store lock", () => {
  it("is never held by two at once, even when the first holder is delayed between writing and publishing it", async () => {
    const path = join(dir, "cmdb.lock");
    let holders = 0;
    let most = 0;
    const order: string[] = [];
    let letFirstGo!: () => void;
    const firstMayPublish = new Promise<void>((r) => {
      letFirstGo = r;
    });
    const work = async (name: string, beforePublish?: () => Promise<void>) => {
      const lock = await acquireDirLock(path, { beforePublish });
      holders++;
      most = Math.max(most, holders);
      order.push(name);
      await sleep(50);
      holders--;
      expect(lock.release()).toBe(true);
    };
    const first = work("delayed", () => firstMayPublish);
    // The second arrives while the first has written its record and not yet published it.
    await sleep(100);
    const second = work("prompt");
    await until(() => order.length === 1);
    letFirstGo();
    await Promise.all([first, second]);
    expect(order).toEqual(["prompt", "delayed"]);
    expect(most).toBe(1);
    expect(existsSync(path)).toBe(false);
  });

  it("takes an empty lock file (an older cmdb between creating and writing it) for a live holder, not a dead one", async () => {
    const path = join(dir, "cmdb.lock");
    writeFileSync(path, "");
    const error = await acquireDirLock(path, { timeoutMs: 300 }).catch((e: Error) => e);
    expect(String(error)).toMatch(/the store is busy: a process of an older cmdb has held its lock since /);
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it("is released only by its owner: a release after a takeover leaves the new owner's lock alone", async () => {
    const path = join(dir, "cmdb.lock");
    const first = await acquireDirLock(path);
    // Someone removes the lock by hand and another process takes it.
    rmSync(path);
    const second = await acquireDirLock(path);
    expect(first.release()).toBe(false);
    expect(existsSync(path)).toBe(true);
    expect(second.release()).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it("names who holds it and since when, and takes over a dead owner's lock at once", async () => {
    const path = join(dir, "cmdb.lock");
    const held = await acquireDirLock(path);
    const record = JSON.parse(readFileSync(path, "utf8"));
    const error = await acquireDirLock(path, { timeoutMs: 200 }).catch((e: Error) => e);
    expect(String(error)).toContain(`cmdb pid ${process.pid} on host ${record.host} in ${record.pidNs} has held its lock since ${record.since}`);
    held.release();
    // A lock of this namespace whose process has exited (a pid no process has) is stale.
    writeFileSync(path, JSON.stringify({ ...record, token: "dead", pid: 2 ** 22 + 17 }));
    const taken = await acquireDirLock(path, { timeoutMs: 200 });
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid);
    taken.release();
  });

  it("takes a pid reused by another process (same pid, another start time) for a dead owner", async () => {
    const path = join(dir, "cmdb.lock");
    const held = await acquireDirLock(path);
    const record = JSON.parse(readFileSync(path, "utf8"));
    held.release();
    writeFileSync(path, JSON.stringify({ ...record, token: "earlier-life", pid: 1, start: "1" }));
    const taken = await acquireDirLock(path, { timeoutMs: 200 });
    taken.release();
  });
});

describe("a lock left by a cmdb killed in a container", () => {
  const foreign = (mtimeAgoMs: number, content?: string) => {
    const path = join(dir, "store", "cmdb.lock");
    mkdirSync(join(dir, "store"), { mode: 0o700 });
    const since = new Date(Date.now() - mtimeAgoMs);
    writeFileSync(
      path,
      content ??
        JSON.stringify({ token: "c0ffee", pid: 1, host: "3f2a9c1d7e4b", bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), pidNs: "pid:[4026532999]", start: "52", since: since.toISOString() }),
    );
    utimesSync(path, since, since);
    return path;
  };

  it("does not block the next container's cmdb, also pid 1, once its heartbeat has stopped", async () => {
    const path = foreign(5 * 60_000);
    const r = await runCli(["--db", join(dir, "store"), "ingest", "terraform", STATE]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it("a bare pid 1 written by an older cmdb is taken over once it is older than the heartbeat bound", async () => {
    foreign(5 * 60_000, "1");
    const r = await runCli(["--db", join(dir, "store"), "ingest", "terraform", STATE]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("while the other container's cmdb is alive, the wait ends with who holds the lock and since when", async () => {
    const path = foreign(0);
    const r = await runCli(["--db", join(dir, "store"), "ingest", "terraform", STATE], { env: { CMDB_LOCK_TIMEOUT_MS: "500" } });
    expect(r.code).toBe(1);
    const since = JSON.parse(readFileSync(path, "utf8")).since;
    expect(r.stderr).toBe(
      `cmdb: ${path}: the store is busy: cmdb pid 1 on host 3f2a9c1d7e4b in pid:[4026532999] has held its lock since ${since} (last sign of life ${r.stderr.match(/life (\d+) s/)?.[1]} s ago) (wait for it to finish; if that process is gone, remove ${path}; CMDB_LOCK_TIMEOUT_MS sets how long to wait)\n`,
    );
    expect(r.stderr).not.toMatch(/PGlite version/);
  });

  const unshare = requireService("unshare --pid (root, for a real pid namespace)", () => {
    execFileSync("unshare", ["--pid", "--fork", "--mount-proc", "true"], { stdio: "pipe", timeout: 30_000 });
    return true;
  });

  it.runIf(unshare.ok)("a real pid-1 cmdb killed in its own pid namespace leaves a lock the next cmdb takes over", async () => {
    const store = join(dir, "store");
    const path = join(store, "cmdb.lock");
    const child = spawn("unshare", ["--pid", "--fork", "--kill-child", "--mount-proc", process.execPath, CLI, "--db", store, "ingest", "terraform", STATE], { stdio: "ignore" });
    const exited = new Promise((r) => child.on("exit", r));
    await until(() => existsSync(path) || child.exitCode !== null);
    child.kill("SIGKILL");
    await exited;
    if (!existsSync(path)) return expect.fail("the pid-1 cmdb finished before it could be killed holding the lock");
    const record = JSON.parse(readFileSync(path, "utf8"));
    expect(record.pid).toBe(1);
    // A minute later: the killed owner's heartbeat has stopped.
    const past = new Date(Date.now() - 5 * 60_000);
    utimesSync(path, past, past);
    const r = await runCli(["--db", store, "ingest", "terraform", STATE]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe.each(ENGINES)("concurrent ingests on $name", (engine) => {
  beforeEach((ctx) => {
    if (!engine.available) ctx.skip();
  });

  it("20 concurrent ingests of one state all succeed and store 20 runs", { timeout: 900_000 }, async () => {
    const location = await engine.location(dir);
    const env = { CMDB_LOCK_TIMEOUT_MS: "850000" };
    // The store exists before the crowd arrives, as it does for hooks firing on a set-up repository.
    expect((await runCli(["--db", location, "ingest", "terraform", STATE], { env })).code).toBe(0);
    const results = await Promise.all(Array.from({ length: 20 }, () => runCli(["--db", location, "ingest", "terraform", STATE, "--json"], { env })));
    expect(results.map((r) => r.stderr).filter((e) => e !== "")).toEqual([]);
    expect(results.map((r) => r.code)).toEqual(Array(20).fill(0));
    const runs = await cliJson<{ outcome: string }[]>(["--db", location, "runs", "--json", "--limit", "100"], { env });
    expect(runs.map((r) => r.outcome)).toEqual(Array(21).fill("success"));
  });

  it("an ingest that holds the store while stopped makes the next one wait, and both land", { timeout: 600_000 }, async () => {
    const location = await engine.location(dir);
    const env = { ...process.env, CMDB_DATABASE_URL: undefined, CMDB_LOCK_TIMEOUT_MS: "550000" };
    expect((await runCli(["--db", location, "ingest", "terraform", STATE], { env })).code).toBe(0);
    const lockFile = join(location, "cmdb.lock");
    const first: ChildProcess = spawn(process.execPath, [CLI, "--db", location, "ingest", "terraform", STATE], { env, stdio: "ignore" });
    const firstDone = new Promise<number | null>((r) => first.on("exit", (code) => r(code)));
    if (engine.name === "pglite") {
      await until(() => existsSync(lockFile) || first.exitCode !== null);
      first.kill("SIGSTOP");
    }
    const second = runCli(["--db", location, "ingest", "terraform", STATE], { env });
    await sleep(1500);
    first.kill("SIGCONT");
    const [a, b] = await Promise.all([firstDone, second]);
    expect(b.stderr).toBe("");
    expect([a, b.code]).toEqual([0, 0]);
    const runs = await cliJson<{ outcome: string }[]>(["--db", location, "runs", "--json"], { env });
    expect(runs.map((r) => r.outcome)).toEqual(["success", "success", "success"]);
  });
});

describe("the ingest lock on a PostgreSQL server", () => {
  const server = ENGINES.find((e) => e.name === "postgres")!;
  it.runIf(server.available)("an ingest waits a bounded time behind a stuck session and names it", async () => {
    const location = await server.location(dir);
    expect((await runCli(["--db", location, "ingest", "terraform", STATE])).code).toBe(0);
    const { default: pg } = await import("pg");
    const holder = new pg.Client({ connectionString: location, application_name: "stuck-ingest" });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(7142001)");
      const { rows } = await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      const r = await runCli(["--db", location, "ingest", "terraform", STATE], { env: { CMDB_LOCK_TIMEOUT_MS: "500" } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^cmdb: postgres://[^ ]+: the store is busy: PostgreSQL session ${rows[0]!.pid} \\(stuck-ingest, user \\w+, from [^,]+, since \\d{4}-[^)]+\\) holds its ingest lock \\(wait for it to finish`));
      const runs = await cliJson<{ outcome: string }[]>(["--db", location, "runs", "--json"]);
      expect(runs.map((run) => run.outcome).sort()).toEqual(["failed", "success"]);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
  });
});
