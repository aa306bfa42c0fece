import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("a store that cannot be opened", () => {
  it("fails with one line naming it: a file, a path no file system allows, a server that is not there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmdb-loc-"));
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "x");
    // An ingest (it may create the store) of a host list: no input file is involved.
    for (const [db, message, code] of [
      [file, /not-a-dir: is a file, not a store directory/, 2],
      ["/proc/cmdb-cannot-be-here/store", /cmdb-cannot-be-here\/store: cannot open the embedded store/, 1],
      ["postgres://nobody@127.0.0.1:1/none", /127\.0\.0\.1:1\/none: cannot connect to PostgreSQL/, 1],
    ] as const) {
      const r = await runCli(["--db", db, "ingest", "ansible", "-i", "web1,"]);
      expect(r.code, db).toBe(code);
      expect(r.stderr, db).toMatch(message);
      expect(r.stderr.trim().split("\n"), db).toHaveLength(1);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
