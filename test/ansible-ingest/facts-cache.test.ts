import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestAnsibleFacts } from "../../src/sources/ansible/ingest.js";
import { listCis, listRuns } from "../../src/store/queries.js";
import type { Store } from "../../src/store/store.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";

const settings = reconcileSettings({});
const HOSTS = ["k3s-agent-1", "k3s-agent-2", "k3s-server", "pihole"];
const EXAMPLE_FACTS = join(REPO_ROOT, "examples/ansible/facts");

afterAll(dropTestSchemas);

describe.each(ENGINES)("a fact cache with entries that cannot be read, on $name", (engine) => {
  let store: Store;
  let dir: string;
  let cache: string;
  beforeEach(async (ctx) => {
    if (!engine.available) ctx.skip();
    store = await engine.open();
    dir = mkdtempSync(join(tmpdir(), "cmdb-facts-"));
    cache = join(dir, "cache");
    mkdirSync(cache);
    for (const host of HOSTS) copyFileSync(join(EXAMPLE_FACTS, host), join(cache, host));
    const first = await ingestAnsibleFacts(store, cache, { settings, cwd: dir });
    expect(first.counts.new).toBe(HOSTS.length);
  });
  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const statusOf = async () => Object.fromEntries((await listCis(store.engine)).map((c) => [c.name, c.status]));

  it.each([
    ["a dangling symlink", (file: string) => symlinkSync(join(dir, "gone"), file), "a link to nothing"],
    ["a FIFO (never opened, so never waited on)", (file: string) => execFileSync("mkfifo", [file]), "not a regular file"],
    ["a symlink loop", (file: string) => symlinkSync(file, file), "a symlink loop"],
  ])("%s makes the run partial, is named, and retires no host", async (_what, make, reason) => {
    const entry = join(cache, "pihole");
    unlinkSync(entry);
    make(entry);
    const result = await ingestAnsibleFacts(store, cache, { settings, cwd: dir });
    expect(result.warnings).toContain(`${entry}: cannot read these facts (${reason}): the run is partial and retires no host`);
    expect(await statusOf()).toEqual(Object.fromEntries(HOSTS.map((h) => [h, "active"])));
    const runs = await listRuns(store.engine, { source: "ansible-facts" });
    expect(runs.map((r) => r.outcome)).toEqual(["partial", "success"]);
  });

  it("a symlink to a readable file is followed, and a host whose entry is really gone is retired", async () => {
    const elsewhere = join(dir, "kept-elsewhere");
    copyFileSync(join(EXAMPLE_FACTS, "pihole"), elsewhere);
    unlinkSync(join(cache, "pihole"));
    symlinkSync(elsewhere, join(cache, "pihole"));
    unlinkSync(join(cache, "k3s-agent-2"));
    const result = await ingestAnsibleFacts(store, cache, { settings, cwd: dir });
    expect(result.warnings).toEqual([]);
    expect(await statusOf()).toMatchObject({ pihole: "active", "k3s-agent-2": "missing", "k3s-server": "active" });
  });

  it("the scope is the cache's absolute path: ingested from another directory it is the same scope, and retires", async () => {
    unlinkSync(join(cache, "k3s-agent-1"));
    // The same directory spelled another way, from another working directory.
    const elsewhere = await ingestAnsibleFacts(store, `${dir}/./cache/../cache//`, { settings, cwd: REPO_ROOT });
    expect(elsewhere.scope).toBe(`ansible-facts:${cache}`);
    const runs = await listRuns(store.engine, { source: "ansible-facts" });
    expect(new Set(runs.map((r) => r.scope))).toEqual(new Set([`ansible-facts:${cache}`]));
    expect(await statusOf()).toMatchObject({ "k3s-agent-1": "missing", pihole: "active" });
  });
});
