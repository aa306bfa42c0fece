import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadInventory } from "../../src/sources/ansible/source.js";
import { CmdbError } from "../../src/util/errors.js";
import { corpusDir, TEST_FIXTURES } from "../helpers/corpus.js";
import { commandWorks, requireService } from "../helpers/services.js";
import { ansibleInventory, type OracleRun, pool, rejected } from "./oracle.js";

/**
 * Differential test: for every inventory of the shared corpus and of test/fixtures/ansible, the
 * real ansible-inventory (ansible-core 2.14) and our parser must print the same `--list` JSON and
 * the same vars for every host; where Ansible rejects the source, we fail naming file and line.
 */
const ansible = requireService("ansible-core", () => commandWorks("ansible-inventory", ["--version"]));

function inventoriesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !/\.expected\.|^SOURCES\.md$|^facts-.*\.json$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

const corpus = corpusDir("ansible");
const inputs = [...(corpus ? inventoriesIn(corpus) : []), ...inventoriesIn(join(TEST_FIXTURES, "ansible"))];

interface Outcome {
  oracle: OracleRun;
  ours: { list: unknown; hosts: Map<string, unknown> } | { error: unknown };
}

const outcomes = new Map<string, Outcome>();
const hostChecks: { input: string; host: string; oracle: OracleRun }[] = [];

/** Our value as it prints: markers (vault, unsafe) through their toJSON. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe.skipIf(!ansible.ok)("ansible inventory parsing matches ansible-inventory 2.14", () => {
  beforeAll(async () => {
    await pool(inputs, 2, async (input) => {
      const oracle = await ansibleInventory(["-i", input, "--list"]);
      let ours: Outcome["ours"];
      try {
        const inventory = await loadInventory([input]);
        const hosts = new Map<string, unknown>();
        for (const host of inventory.hostNames()) hosts.set(host, asJson(inventory.hostVars(host)));
        ours = { list: asJson(inventory.list()), hosts };
      } catch (error) {
        ours = { error };
      }
      outcomes.set(input, { oracle, ours });
    });
    // --host prints what --list has in _meta.hostvars; check that directly for the first and last host of each inventory
    const samples: { input: string; host: string }[] = [];
    for (const [input, outcome] of outcomes) {
      if (rejected(outcome.oracle) || !("hosts" in outcome.ours)) continue;
      const hosts = [...outcome.ours.hosts.keys()].sort();
      for (const host of new Set([hosts[0], hosts[hosts.length - 1]])) if (host) samples.push({ input, host });
    }
    hostChecks.push(...(await pool(samples, 2, async (s) => ({ ...s, oracle: await ansibleInventory(["-i", s.input, "--host", s.host]) }))));
  });

  it("covers the corpus and our own fixtures", () => {
    expect(inputs.length).toBeGreaterThanOrEqual(corpus ? 35 : 10);
    expect(outcomes.size).toBe(inputs.length);
  });

  for (const input of inputs) {
    const name = basename(input) + (statSync(input).isDirectory() ? "/" : "");
    it(`${name}: same --list and --host output, or a located error where Ansible rejects it`, () => {
      const { oracle, ours } = outcomes.get(input)!;
      if (rejected(oracle)) {
        expect("error" in ours, `Ansible rejected ${name} (${oracle.stderr.trim()}) but we accepted it`).toBe(true);
        const error = (ours as { error: unknown }).error;
        expect(error).toBeInstanceOf(CmdbError);
        const message = (error as CmdbError).describe();
        expect(message).toContain(basename(input));
        expect(message).toContain(oracle.code === 0 ? "ansible-inventory would only warn" : "ansible-inventory 2.14 crashes");
        if (!statSync(input).isDirectory()) expect(message).toMatch(new RegExp(`${basename(input).replace(/\./g, "\\.")}:\\d+`));
        return;
      }
      if ("error" in ours) throw ours.error;
      const expected = JSON.parse(oracle.stdout) as { _meta: { hostvars: Record<string, unknown> } };
      expect(ours.list).toEqual(expected);
      expect([...ours.hosts.keys()].sort()).toEqual(
        Object.keys(expected)
          .filter((k) => k !== "_meta")
          .flatMap((g) => (expected as unknown as Record<string, { hosts?: string[] }>)[g]!.hosts ?? [])
          .filter((h, i, all) => all.indexOf(h) === i)
          .sort(),
      );
      for (const [host, vars] of ours.hosts) expect(vars, host).toEqual(expected._meta.hostvars[host] ?? {});
    });
  }

  it("ansible-inventory --host prints what our hostVars returns, for the first and last host of every inventory", () => {
    expect(hostChecks.length).toBeGreaterThanOrEqual(corpus ? 20 : 5);
    for (const check of hostChecks) {
      const ours = outcomes.get(check.input)!.ours as { hosts: Map<string, unknown> };
      expect(check.oracle.code, check.oracle.stderr).toBe(0);
      expect(ours.hosts.get(check.host), `${basename(check.input)} --host ${check.host}`).toEqual(JSON.parse(check.oracle.stdout));
    }
  });
});
