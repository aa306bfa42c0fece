import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadInventory } from "../../src/sources/ansible/source.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** inventory/hosts with web1, and host_vars/web1/ holding main.yml plus the given symlinks. */
function tree(links: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "cmdb-vars-loop-"));
  dirs.push(root);
  const inv = join(root, "inventory");
  mkdirSync(join(inv, "host_vars", "web1"), { recursive: true });
  mkdirSync(join(inv, "group_vars"), { recursive: true });
  writeFileSync(join(inv, "hosts"), "[web]\nweb1\n");
  writeFileSync(join(inv, "host_vars", "web1", "main.yml"), "http_port: 8080\n");
  writeFileSync(join(inv, "group_vars", "web.yml"), "tier: front\n");
  for (const [at, target] of Object.entries(links)) symlinkSync(target, join(inv, at));
  return inv;
}

describe("a symlink loop in group_vars/host_vars or the inventory directory", () => {
  it("is not followed: each file is read once, and the loop is named in a warning", async () => {
    // Two loops under one directory: followed, they branch at each level (2^40 paths before ELOOP).
    const inv = tree({ "host_vars/web1/up": "..", "host_vars/web1/top": "../..", "group_vars/self": "." });
    const inventory = await loadInventory([inv]);
    expect(inventory.hostVars("web1")).toMatchObject({ http_port: 8080, tier: "front" });
    expect(inventory.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/host_vars\/web1\/up: a symlink loop \(it leads back to .*\/inventory\/host_vars, which is already being read\); not followed$/),
        expect.stringMatching(/host_vars\/web1\/top: a symlink loop \(it leads back to .*\/inventory, which is already being read\); not followed$/),
        expect.stringMatching(/group_vars\/self: a symlink loop/),
      ]),
    );
  });

  it("the host_vars/web1 -> .. case of the report: the inventory directory is an ancestor too", async () => {
    const inv = tree({});
    rmSync(join(inv, "host_vars", "web1"), { recursive: true });
    symlinkSync("..", join(inv, "host_vars", "web1"));
    const inventory = await loadInventory([inv]);
    expect(inventory.hostVars("web1")).toMatchObject({ tier: "front" });
    expect(inventory.warnings.filter((w) => w.includes("symlink loop"))).toEqual([expect.stringContaining(join("host_vars", "web1"))]);
  });

  it("in the inventory directory itself, a loop is skipped the same way", async () => {
    const inv = tree({ "more": "." });
    const inventory = await loadInventory([inv]);
    expect(inventory.list()).toMatchObject({ web: { hosts: ["web1"] } });
    expect(inventory.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/inventory\/more: a symlink loop/)]));
  });

  it("a symlink to a directory elsewhere is still followed", async () => {
    const inv = tree({});
    const shared = join(inv, "..", "shared-vars");
    mkdirSync(shared);
    writeFileSync(join(shared, "extra.yml"), "extra: yes\n");
    symlinkSync(shared, join(inv, "host_vars", "web1", "shared"));
    const inventory = await loadInventory([inv]);
    expect(inventory.hostVars("web1")).toMatchObject({ http_port: 8080, extra: true });
    expect(inventory.warnings.filter((w) => w.includes("symlink loop"))).toEqual([]);
  });
});
