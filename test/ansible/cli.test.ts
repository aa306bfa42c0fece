import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadInventoryRedacted } from "../../src/sources/ansible/source.js";
import { REDACTED } from "../../src/util/redact.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import { runCli } from "../helpers/cli.js";

const fixture = (name: string): string => join(TEST_FIXTURES, "ansible", name);
const expected = (stem: string): { _meta: { hostvars: Record<string, unknown> } } => JSON.parse(readFileSync(fixture(`${stem}.expected.json`), "utf8"));

describe("cmdb ansible parse", () => {
  it("prints what ansible-inventory --list printed for an INI file, a YAML file and a directory", async () => {
    for (const [input, stem] of [
      ["ranges-steps-letters.ini", "ranges-steps-letters"],
      ["yaml-null-hosts.yml", "yaml-null-hosts"],
      ["vars-dirs", "vars-dirs"],
    ] as const) {
      const r = await runCli(["ansible", "parse", "-i", fixture(input)]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(expected(stem));
    }
  });

  it("--host prints one host's merged vars, vault values as ansible-inventory shows them", async () => {
    const web = await runCli(["ansible", "parse", "-i", fixture("vars-dirs"), "--host", "web-2"]);
    expect(web.code, web.stderr).toBe(0);
    expect(JSON.parse(web.stdout)).toEqual(expected("vars-dirs")._meta.hostvars["web-2"]);
    const vaulted = await runCli(["ansible", "parse", "-i", fixture("vault-secrets.yml"), "--host", "vaulted"]);
    expect(JSON.parse(vaulted.stdout).ansible_password.__ansible_vault).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  });

  it("exits 1 with one line naming file and line for an inventory Ansible rejects", async () => {
    const r = await runCli(["ansible", "parse", "-i", fixture("broken-undefined-vars-group.ini")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^cmdb: .*broken-undefined-vars-group\.ini:4: .*ghost.*ansible-inventory would only warn/);
  });

  it("exits 1 for an unknown host and for a missing path", async () => {
    const host = await runCli(["ansible", "parse", "-i", fixture("nested-children.ini"), "--host", "nope"]);
    expect(host.code).toBe(1);
    expect(host.stderr).toMatch(/^cmdb: nope: no such host/);
    const missing = await runCli(["ansible", "parse", "-i", fixture("does-not-exist.ini")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("does-not-exist.ini: inventory source does not exist");
  });

  it("exits 2 on usage errors", async () => {
    expect((await runCli(["ansible", "parse"])).code).toBe(2);
    expect((await runCli(["ansible", "parse", "-i", fixture("nested-children.ini"), "--host", "par-1", "--list"])).code).toBe(2);
    expect((await runCli(["ansible", "parse", "--bogus"])).code).toBe(2);
  });
});

describe("redacted inventory for the ingest", () => {
  it("replaces vault values and secret-named variables at any depth, keeps the rest", async () => {
    const inventory = await loadInventoryRedacted([fixture("vault-secrets.yml")]);
    const vars = inventory.list._meta.hostvars.vaulted!;
    expect(vars.ansible_password).toBe(REDACTED);
    expect(vars.ansible_become_password).toBe(REDACTED);
    expect(vars.ansible_ssh_pass).toBe(REDACTED);
    expect(vars.api_token).toBe(REDACTED);
    expect(vars.nested).toEqual({ db_password: REDACTED, port: 5432 });
    expect(vars.ansible_user).toBe("deploy");
    expect(vars.unsafe_text).toBe("{{ not_templated }}");
    expect(inventory.hostVars("vaulted")).toEqual(vars);
    const text = JSON.stringify(inventory.list);
    for (const secret of ["ANSIBLE_VAULT", "plain-become-secret", "tok-123", "hunter2", "ssh-secret"]) expect(text).not.toContain(secret);
  });
});
