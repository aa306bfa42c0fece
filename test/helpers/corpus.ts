import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "../..");
export const TEST_FIXTURES = join(REPO_ROOT, "test/fixtures");

/**
 * The shared corpus of real data (../shared/fixtures beside the clone, or CMDB_CORPUS). CI always
 * has it; a user's clone does not, and the sweeps say they were skipped.
 */
export function corpusDir(kind: string): string | undefined {
  const base = process.env.CMDB_CORPUS ?? resolve(REPO_ROOT, "../shared/fixtures");
  const dir = join(base, kind);
  if (existsSync(dir)) return dir;
  if (process.env.CMDB_TEST_REQUIRE_ALL === "1") throw new Error(`the fixture corpus ${dir} is missing, and CMDB_TEST_REQUIRE_ALL=1 forbids skipping`);
  console.warn(`SKIPPED: the corpus sweep over ${dir} (not present on this clone)`);
  return undefined;
}
