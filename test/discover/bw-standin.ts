import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { TEST_FIXTURES } from "../helpers/corpus.js";

export const BW_DIR = join(TEST_FIXTURES, "bitwarden");
export const BW_SESSION = "standin-session-9f1c2e";

/** An environment whose PATH finds the stand-in `bw` first; `state` says how the vault answers. */
export function bwEnv(state: "unlocked" | "locked" | "unauthenticated", items: string[] = ["homelab-items.json"]): NodeJS.ProcessEnv & { BW_STANDIN_LOG: string } {
  const log = join(mkdtempSync(join(tmpdir(), "cmdb-bw-")), "calls.log");
  return {
    PATH: [BW_DIR, dirname(process.execPath), process.env.PATH ?? ""].join(delimiter),
    BW_STANDIN_SESSION: BW_SESSION,
    BW_STANDIN_ITEMS: items.map((f) => join(BW_DIR, f)).join(":"),
    BW_STANDIN_LOG: log,
    ...(state === "unlocked" ? { BW_SESSION } : state === "locked" ? { BW_SESSION: "expired-session" } : { BW_STANDIN_STATE: "unauthenticated" }),
  };
}

/** The argument lists the stand-in was called with. */
export function bwCalls(env: { BW_STANDIN_LOG: string }): string[][] {
  try {
    return readFileSync(env.BW_STANDIN_LOG, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);
  } catch {
    return [];
  }
}
