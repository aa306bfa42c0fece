import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CmdbError, describeError, fileError, UsageError } from "../../src/util/errors.js";

const dir = mkdtempSync(join(tmpdir(), "cmdb-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error Node really throws for `fn`. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("file errors read as sentences", () => {
  const missing = join(dir, "nosuch.json");

  it("names the file and says what is wrong, for reads and writes", () => {
    const cases: [unknown, "read" | "write", string][] = [
      [thrown(() => readFileSync(missing)), "read", `${missing}: does not exist`],
      [thrown(() => readFileSync(dir)), "read", `${dir}: is a directory`],
      [thrown(() => writeFileSync(join(dir, "no", "x.json"), "")), "write", `${join(dir, "no", "x.json")}: cannot be written (its directory does not exist)`],
      [thrown(() => writeFileSync(dir, "")), "write", `${dir}: is a directory`],
    ];
    // sysfs refuses even root: a real EACCES wherever /sys is mounted.
    if (existsSync("/sys/kernel/notes")) {
      cases.push([thrown(() => writeFileSync("/sys/kernel/notes", "x")), "write", "/sys/kernel/notes: cannot be written (permission denied)"]);
    }
    for (const [error, action, sentence] of cases) {
      const path = sentence.slice(0, sentence.indexOf(": "));
      const e = fileError(error, path, action);
      expect(e).toBeInstanceOf(CmdbError);
      expect(describeError(e)).toBe(sentence);
      expect(describeError(e)).not.toMatch(/E[A-Z]+:|open '|syscall/);
    }
  });

  it("a usage error exits 2; an error that is not about a file passes through unchanged", () => {
    const e = fileError(thrown(() => readFileSync(missing)), "nosuch.json", "read", { usage: true });
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    const other = new Error("something else");
    expect(fileError(other, "x", "read")).toBe(other);
  });

  it("a raw Node error nobody translated still reaches the user as a sentence", () => {
    expect(describeError(thrown(() => readFileSync(missing)))).toBe(`${missing}: does not exist`);
  });

  it("an error caused by the file system says why after what failed", () => {
    const e = new CmdbError("cannot read the facts", { where: missing, cause: thrown(() => readFileSync(missing)) });
    expect(e.describe()).toBe(`${missing}: cannot read the facts: does not exist`);
  });
});
