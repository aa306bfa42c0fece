/**
 * `npm run bench`: runs every test/bench/*.bench.mjs in turn (each in its own process, so that
 * peak memory figures are its own) and prints their figures. Pass names to run only some:
 * `npm run bench -- terraform`.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const r = spawnSync(process.execPath, ["--expose-gc", join(here, file)], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    console.log(`${file} failed (exit ${r.status})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
