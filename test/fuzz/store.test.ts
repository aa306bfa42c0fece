import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestAnsibleInventory } from "../../src/sources/ansible/ingest.js";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import type { Store } from "../../src/store/store.js";
import { CmdbError } from "../../src/util/errors.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import { ENGINES } from "../helpers/engines.js";
import { mutateSeeded } from "./harness.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const CASES = Number(process.env.FUZZ_STORE_CASES ?? 40);
const settings = reconcileSettings({});

interface Snapshot {
  /** Every table but `run` and `scope_state`, row by row. */
  tables: string[];
  /** scope_state without last_run_id, which a failed run moves. */
  scopes: string[];
  runs: { id: string; outcome: string; text: string }[];
  lastRun: Map<string, string | null>;
}

async function snapshot(store: Store): Promise<Snapshot> {
  const names = await store.engine.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const tables: string[] = [];
  for (const { name } of names) {
    if (name === "run" || name === "scope_state") continue;
    const rows = await store.engine.query<{ t: string }>(`SELECT t::text AS t FROM "${name}" t ORDER BY 1`);
    tables.push(...rows.map((r) => `${name}: ${r.t}`));
  }
  const scopes = await store.engine.query<{ t: string }>("SELECT (to_jsonb(s) - 'last_run_id')::text AS t FROM scope_state s ORDER BY 1");
  const last = await store.engine.query<{ source: string; scope: string; last_run_id: string | null }>("SELECT source, scope, last_run_id FROM scope_state");
  const runs = await store.engine.query<{ id: string; outcome: string; text: string }>("SELECT id, outcome, r::text AS text FROM run r ORDER BY id");
  return { tables, scopes: scopes.map((r) => r.t), runs, lastRun: new Map(last.map((r) => [`${r.source} ${r.scope}`, r.last_run_id])) };
}

/**
 * A failed ingest changes nothing but its own record: the tables are equal before and after, except
 * one new `run` row that is not a success and the `scope_state.last_run_id` that points at it.
 */
function expectOnlyTheFailedRun(before: Snapshot, after: Snapshot, what: string): void {
  expect(after.tables, what).toEqual(before.tables);
  expect(after.scopes, what).toEqual(before.scopes);
  const known = new Map(before.runs.map((r) => [r.id, r.text]));
  for (const run of before.runs) expect(after.runs.find((r) => r.id === run.id)?.text, what).toBe(run.text);
  const added = after.runs.filter((r) => !known.has(r.id));
  expect(added.length, what).toBeLessThanOrEqual(1);
  for (const [scope, id] of after.lastRun) {
    if (id !== before.lastRun.get(scope)) expect(added.map((r) => r.id), `${what}: last_run_id of ${scope}`).toEqual([id]);
  }
  for (const run of added) expect(run.outcome, what).not.toBe("success");
}

const INPUTS = [
  { kind: "terraform", file: "aws-vpc-instance-eip.tfstate" },
  { kind: "terraform", file: "proxmox-telmate-module-count.tfstate" },
  { kind: "ansible", file: "nested-children.ini" },
  { kind: "ansible", file: "vault-secrets.yml" },
] as const;

describe.each(ENGINES.filter((e) => e.name === "pglite"))("a failed ingest of mutated input on $name", (engine) => {
  let store: Store;
  let dir: string;

  beforeAll(async () => {
    store = await engine.open();
    dir = mkdtempSync(join(tmpdir(), "cmdb-fuzz-store-"));
  });
  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`leaves the store as it was but for its run record (${CASES} seeded cases, seed ${SEED})`, async () => {
    // Each state its own workspace: two states of other lineages cannot share one.
    const ingest = async (kind: "terraform" | "ansible", path: string) =>
      kind === "terraform" ? ingestTerraform(store, { input: path, workspace: path, settings }) : ingestAnsibleInventory(store, [path], { settings, cwd: dir });
    // The prior ingests: each input, unmutated, at the path its mutations are written to (one scope each).
    const paths = INPUTS.map((input) => {
      const path = join(dir, input.file);
      writeFileSync(path, readFileSync(join(TEST_FIXTURES, input.kind, input.file)));
      return path;
    });
    for (const [i, input] of INPUTS.entries()) await ingest(input.kind, paths[i]!);

    let failures = 0;
    for (let i = 0; i < CASES; i++) {
      const caseSeed = (SEED + i * 7919) >>> 0;
      const input = INPUTS[caseSeed % INPUTS.length]!;
      const path = paths[caseSeed % INPUTS.length]!;
      const original = readFileSync(join(TEST_FIXTURES, input.kind, input.file));
      const { mutation, bytes } = mutateSeeded(original, caseSeed);
      writeFileSync(path, bytes);
      const what = `seed ${caseSeed}: ${input.file}, ${mutation}`;
      const before = await snapshot(store);
      let error: unknown;
      try {
        await ingest(input.kind, path);
      } catch (e) {
        error = e;
      }
      if (error !== undefined) {
        failures++;
        expect(error instanceof CmdbError ? "clear error" : String(error), what).toBe("clear error");
        expectOnlyTheFailedRun(before, await snapshot(store), what);
      }
      // Back to the prior state for the next case (a mutation that was accepted changed it).
      writeFileSync(path, original);
      await ingest(input.kind, path).catch(() => undefined);
    }
    console.log(`fuzz store: seed ${SEED}: ${CASES} cases, ${failures} failed ingests, each leaving the store unchanged but for its run record`);
    expect(failures).toBeGreaterThan(0);
  });
});
