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
    for (const [db, message] of [
      [file, /not-a-dir: cannot open the embedded store/],
      ["/proc/cmdb-cannot-be-here/store", /cmdb-cannot-be-here\/store: cannot open the embedded store/],
      ["postgres://nobody@127.0.0.1:1/none", /127\.0\.0\.1:1\/none: cannot connect to PostgreSQL/],
    ] as const) {
      const r = await runCli(["--db", db, "ci", "list"]);
      expect(r.code, db).toBe(1);
      expect(r.stderr, db).toMatch(message);
      expect(r.stderr.trim().split("\n"), db).toHaveLength(1);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
