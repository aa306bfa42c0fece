import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { terminalSafe } from "../../src/util/terminal.js";
import { cliJson, runCli } from "../helpers/cli.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";

/** Clears the screen, retitles the window, rings the bell, and forges a table row of its own. */
const HOSTILE = "web\u001b[2J\u001b]0;pwned\u0007\r\nci_fake0000  server  spoofed  active\u009b31m\u202e";
// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach a terminal raw
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

let dir: string;
let store: string;
let instance: string;
let vpc: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cmdb-hostile-"));
  store = join(dir, "store");
  const doc = JSON.parse(readFileSync(join(TEST_FIXTURES, "terraform", "aws-vpc-instance-eip.tfstate"), "utf8"));
  for (const r of doc.resources) {
    for (const i of r.instances) if (i.attributes.tags) i.attributes.tags = { Name: `${HOSTILE}-${r.type}`, [`owner${HOSTILE}`]: HOSTILE };
  }
  writeFileSync(join(dir, "hostile.tfstate"), JSON.stringify(doc));
  expect((await runCli(["--db", store, "ingest", "terraform", join(dir, "hostile.tfstate")])).code).toBe(0);
  const cis = await cliJson<{ id: string; type: string; name: string }[]>(["--db", store, "ci", "list", "--json"]);
  instance = cis.find((c) => c.type === "server" || c.type === "virtual_machine")!.id;
  vpc = cis.find((c) => c.type === "vpc")!.id;
  // --json is exact: the name is the state's, byte for byte.
  expect(cis.find((c) => c.id === instance)!.name).toBe(`${HOSTILE}-aws_instance`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("infrastructure names with terminal escapes", () => {
  it("escapes C0, C1, DEL and bidi controls visibly", () => {
    expect(terminalSafe("a\u001b[2Jb\u0007\r\n\t\u009b\u202e\u007f")).toBe("a\\e[2Jb\\x07\\r\\n\\t\\x9b\\u202e\\x7f");
    expect(terminalSafe("plain ünïcödé 名前")).toBe("plain ünïcödé 名前");
  });

  it.each([
    ["ci list", () => ["ci", "list"]],
    ["ci show", () => ["ci", "show", instance]],
    ["deps", () => ["deps", instance, "--depth", "3"]],
    ["impact", () => ["impact", vpc, "--depth", "3"]],
    ["changes", () => ["changes"]],
    ["runs", () => ["runs"]],
    ["stats", () => ["stats"]],
  ])("%s prints them escaped, one line per row", async (_name, args) => {
    const r = await runCli(["--db", store, ...args()]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).not.toMatch(/^ci_fake0000/m);
    if (_name !== "runs" && _name !== "stats") expect(r.stdout).toContain("web\\e[2J\\e]0;pwned\\x07\\r\\nci_fake0000");
  });

  it("ci list keeps its columns: every row has the ID, TYPE and NAME columns where the header has them", async () => {
    const r = await runCli(["--db", store, "ci", "list"]);
    const [header, ...rows] = r.stdout.trimEnd().split("\n");
    const nameAt = header!.indexOf("NAME");
    const statusAt = header!.indexOf("STATUS");
    for (const row of rows) {
      expect(row.slice(0, 3)).toBe("ci_");
      expect(row.slice(statusAt, statusAt + 6)).toMatch(/^(active|missin|retire)/);
      expect(row[nameAt - 1]).toBe(" ");
    }
  });

  it("an error naming a hostile file path is one escaped line", async () => {
    const r = await runCli(["--db", store, "ingest", "terraform", join(dir, `state${HOSTILE}.tfstate`)]);
    // A state that does not exist is a usage error, before any run is recorded.
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stderr).toContain("state web\\e[2J".replace(" ", ""));
  });
});
