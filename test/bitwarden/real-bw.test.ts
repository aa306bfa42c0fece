import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findBw } from "../../src/sources/bitwarden/bw.js";
import { runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { commandWorks, requireService } from "../helpers/services.js";

const appData = mkdtempSync(join(tmpdir(), "cmdb-real-bw-"));
afterAll(() => rmSync(appData, { recursive: true, force: true }));
/** The real CLI from node_modules, with its own empty data directory: a bw that never logged in. */
const env = { PATH: [dirname(process.execPath), "/usr/bin", "/bin"].join(delimiter), BITWARDENCLI_APPDATA_DIR: appData, BW_SESSION: "" };
const realBw = join(REPO_ROOT, "node_modules", ".bin", "bw");
const bw = requireService("the Bitwarden CLI (@bitwarden/cli in node_modules)", () => commandWorks(realBw, ["--version"]));

describe.runIf(bw.ok)("the real bw CLI (@bitwarden/cli)", () => {
  it("is found in node_modules/.bin when no bw is on PATH", () => {
    expect(findBw(env, REPO_ROOT)).toBe(realBw);
  });

  it("never logged in: cmdb ingest bitwarden asks `bw status` first, says so in one line, exits 1 and ingests nothing", async () => {
    const db = join(appData, "store");
    const r = await runCli(["--db", db, "ingest", "bitwarden"], { env });
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      "",
      "cmdb: bw (bitwarden.com/unknown): the Bitwarden CLI is not logged in (run `bw login` (or `bw login --apikey`), then `export BW_SESSION=$(bw unlock --raw)`)\n",
    ]);
  }, 300_000);
});
