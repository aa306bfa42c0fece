import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestAnsibleFacts } from "../../src/sources/ansible/ingest.js";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import { ciDetail, listCis, listRuns } from "../../src/store/queries.js";
import type { Store } from "../../src/store/store.js";
import { MAX_DEPTH } from "../../src/util/redact.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";

const settings = reconcileSettings({});
afterAll(dropTestSchemas);

const baseText = readFileSync(join(TEST_FIXTURES, "terraform", "aws-vpc-instance-eip.tfstate"), "utf8");
/** The state's text with `json` (raw JSON text) as the value of the instance's attribute `planted`. */
function plant(json: string): string {
  const doc = JSON.parse(baseText);
  const index = doc.resources.findIndex((r: { type: string }) => r.type === "aws_instance");
  doc.resources[index].instances[0].attributes.planted = "@@PLANT@@";
  doc.resources[index].instances[0].attributes.tags.Name = "@@NAME@@";
  return JSON.stringify(doc).replace('"@@PLANT@@"', json).replace('"@@NAME@@"', '"web\\u0000\\ud800"');
}

describe.each(ENGINES)("inputs PostgreSQL cannot store as they are, on $name", (engine) => {
  let store: Store;
  let dir: string;
  beforeEach(async (ctx) => {
    if (!engine.available) ctx.skip();
    store = await engine.open();
    dir = mkdtempSync(join(tmpdir(), "cmdb-hostile-in-"));
  });
  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("NUL, lone surrogates and 1e999 are replaced, said with their JSON path, and the state lands", async () => {
    const file = join(dir, "odd.tfstate");
    writeFileSync(file, plant('{"nul": "a\\u0000b", "lone": "x\\udc00y", "pair": "\\ud83d\\ude00", "huge": 1e999, "neg": -1e999}'));
    const [result] = await ingestTerraform(store, { input: file, settings });
    expect(result!.outcome).toBe("success");
    const at = `${file} at $.resources[3].instances[0].attributes`;
    expect(result!.warnings).toEqual(
      expect.arrayContaining([
        `${at}.planted.nul: NUL or a lone surrogate: replaced by U+FFFD`,
        `${at}.planted.lone: NUL or a lone surrogate: replaced by U+FFFD`,
        `${at}.planted.huge: a number too large for a double: kept as the string "Infinity"`,
        `${at}.planted.neg: a number too large for a double: kept as the string "-Infinity"`,
        `${at}.tags.Name: NUL or a lone surrogate: replaced by U+FFFD`,
      ]),
    );
    expect(result!.warnings.join("\n")).not.toContain("pair");
    const ci = (await listCis(store.engine)).find((c) => c.name.startsWith("web"))!;
    expect(ci.name).toBe("web\ufffd\ufffd");
    expect((await ciDetail(store.engine, ci.id)).tags.Name).toBe("web\ufffd\ufffd");
  });

  it(`a value nested deeper than ${MAX_DEPTH} levels is refused with the file and JSON path, and nothing lands`, async () => {
    const file = join(dir, "deep.tfstate");
    writeFileSync(file, plant(`${"[".repeat(5000)}1${"]".repeat(5000)}`));
    const error = await ingestTerraform(store, { input: file, settings }).catch((e: Error) => e);
    expect(error).toMatchObject({ message: `nested more than ${MAX_DEPTH} levels deep`, where: expect.stringMatching(new RegExp(`^${file} at \\$\\.resources\\[3\\]\\.instances\\[0\\]\\.attributes\\.planted(\\[0\\])+$`)) });
    expect(await listCis(store.engine)).toEqual([]);
  });

  it("deeply nested text that is not JSON either fails with one clear error, not a stack overflow", async () => {
    const file = join(dir, "deep-broken.tfstate");
    writeFileSync(file, `{"version": 4, "resources": ${"[".repeat(200_000)}`);
    const error = await ingestTerraform(store, { input: file, settings }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: "CmdbError", where: expect.stringContaining(file) });
    expect(String(error)).toMatch(/invalid JSON/);
  });

  it("a facts file larger than any facts file is refused by its size, before it is read", async () => {
    const file = join(dir, "huge-facts.json");
    execFileSync("truncate", ["-s", "600M", file]);
    await expect(ingestAnsibleFacts(store, file, { settings, cwd: dir })).rejects.toMatchObject({
      message: "600 MiB is larger than a facts file can be (256 MiB)",
      where: file,
    });
    const runs = await listRuns(store.engine, {});
    expect(runs.map((r) => r.outcome)).toEqual(["failed"]);
  });
});
