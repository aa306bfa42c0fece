import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, runCli } from "../helpers/cli.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";

const STATE = join(TEST_FIXTURES, "terraform", "aws-vpc-instance-eip.tfstate");
const mode = (path: string) => statSync(path).mode & 0o777;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cmdb-perm-"));
  chmodSync(dir, 0o755);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI under a given umask, through a shell as a user's login would set it. */
function underUmask(umask: string, args: string[]) {
  return spawnSync("sh", ["-c", `umask ${umask} && exec "$0" "$@"`, process.execPath, CLI, ...args], { encoding: "utf8", env: { ...process.env, CMDB_DATABASE_URL: "" } });
}

describe("the embedded store's permissions", { timeout: 300_000 }, () => {
  it.each(["022", "077"])("a new store is 0700 under umask %s, and what PGlite writes inside is out of other users' reach", (umask) => {
    const store = join(dir, "nested", "store");
    const r = underUmask(umask, ["--db", store, "ingest", "terraform", STATE]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(mode(store)).toBe(0o700);
    if (process.getuid?.() === 0) {
      // As another user: nothing under the store can be listed, let alone written.
      const other = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", `ls ${join(store, "pgdata")} || touch ${join(store, "pgdata", "base", "x")}`], { encoding: "utf8" });
      expect(other.status).not.toBe(0);
      expect(other.stderr).toMatch(/Permission denied/);
    }
  });

  it("an existing store open to other users is used, with a warning that says how to close it", async () => {
    const store = join(dir, "store");
    expect((await runCli(["--db", store, "ingest", "terraform", STATE])).code).toBe(0);
    chmodSync(store, 0o755);
    const r = await runCli(["--db", store, "ci", "list", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).length).toBeGreaterThan(0);
    expect(r.stderr).toBe(`cmdb: warning: ${store}: the store is open to other users of this machine (mode 0755) (chmod 700 ${store})\n`);
  });

  it("a snapshot written with -o is readable by its owner only, whatever the umask", () => {
    const store = join(dir, "store");
    expect(underUmask("022", ["--db", store, "ingest", "terraform", STATE]).status).toBe(0);
    const out = join(dir, "snapshot.json");
    const r = underUmask("000", ["--db", store, "snapshot", "export", "-o", out]);
    expect(r.stderr).toBe("");
    expect(mode(out)).toBe(0o600);
    expect(execFileSync("head", ["-c", "1", out], { encoding: "utf8" })).toBe("{");
  });
});
