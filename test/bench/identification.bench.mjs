/**
 * More seeds of the identification property (test/reconcile/fleet-property.test.ts): fleets with
 * planted traps must give exactly one live CI per machine. `CMDB_FLEET_SEEDS` seeds per engine.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const seeds = process.env.CMDB_FLEET_SEEDS ?? "40";
const started = Date.now();
const r = spawnSync(process.execPath, [join(root, "node_modules/vitest/vitest.mjs"), "run", "test/reconcile/fleet-property.test.ts"], {
  cwd: root,
  env: { ...process.env, CMDB_FLEET_SEEDS: seeds },
  encoding: "utf8",
});
const summary = (r.stdout ?? "").split("\n").filter((l) => /^vitest: /.test(l));
console.log(`identification property: ${seeds} extra seeds per engine in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(summary.join("\n") || r.stdout.slice(-2000));
process.exit(r.status ?? 1);
