import { describe, expect, it } from "vitest";
import { applyIgnores, configIgnoreRules, parseIgnoreFile } from "../../src/findings/ignore.js";
import { compare } from "../../src/findings/mappings.js";
import { sizeGb, tagSet } from "../../src/findings/normalize.js";

const finding = (type: string, keys: string[], attribute?: string) => ({ ci: { id: "ci_1", name: "x", type, keys }, ...(attribute ? { attribute } : {}) });

describe(".cmdbignore", () => {
  it("reads patterns, wildcards, negations and inline comments; the last matching line decides", () => {
    const rules = parseIgnoreFile(["# header", "virtual_machine.proxmox.vm:lab/*   # all lab VMs", "!virtual_machine.proxmox.vm:lab/100", "aws.instance:i-1:tags", "hostname:a\\#b"].join("\n"), ".cmdbignore");
    expect(rules.map((r) => [r.pattern, r.negate, r.origin])).toEqual([
      ["virtual_machine.proxmox.vm:lab/*", false, ".cmdbignore:2"],
      ["virtual_machine.proxmox.vm:lab/100", true, ".cmdbignore:3"],
      ["aws.instance:i-1:tags", false, ".cmdbignore:4"],
      ["hostname:a#b", false, ".cmdbignore:5"],
    ]);
    const findings = [
      finding("virtual_machine", ["proxmox.vm:lab/101"]),
      finding("virtual_machine", ["proxmox.vm:lab/100"], "memory_mb"),
      finding("virtual_machine", ["aws.instance:i-1"], "tags"),
      finding("virtual_machine", ["aws.instance:i-1"], "ami"),
    ];
    const out = applyIgnores(findings, rules, new Date());
    expect(out.kept).toEqual([findings[1], findings[3]]);
    expect(out.ignored.map((i) => i.rule.origin)).toEqual([".cmdbignore:2", ".cmdbignore:4"]);
  });

  it("names the line of a lone `!`", () => {
    expect(() => parseIgnoreFile("a\n  !  # nothing\n", "ops/.cmdbignore")).toThrow(/a `!` with no pattern/);
  });

  it("an expired config ignore no longer applies", () => {
    const rules = configIgnoreRules([{ rule: "container.*", reason: "lab", expires: "2026-01-31" }]);
    const f = [finding("container", ["proxmox.vm:lab/200"])];
    expect(applyIgnores(f, rules, new Date("2026-01-31T12:00:00Z")).kept).toEqual([]);
    const later = applyIgnores(f, rules, new Date("2026-02-01T00:00:01Z"));
    expect(later.kept).toEqual(f);
    expect(later.expired.map((r) => r.origin)).toEqual(["config drift.ignore[0]"]);
  });
});

describe("normalization", () => {
  it("sizes in any unit, tags whatever the separator", () => {
    expect(sizeGb("32G")).toBe(32);
    expect(sizeGb("34359738368")).toBe(32);
    expect(sizeGb("32768M")).toBe(32);
    expect(sizeGb(32)).toBe(32);
    expect(tagSet("web;prod")).toEqual(tagSet("prod, web"));
    expect(tagSet({ prod: "", env: "lab" })).toEqual(["env=lab", "prod"]);
  });

  it("compares only what both sides know; a whole extra disk is one difference", () => {
    const declared = { values: { memory_mb: 2048, "disks.scsi0.size_gb": 32 }, known: new Set(["disks"]) };
    const live = { values: { memory_mb: 2048, "disks.scsi0.size_gb": 32, "disks.scsi1.size_gb": 100, uptime: 5 }, known: new Set(["disks"]) };
    expect(compare(declared, live)).toEqual([{ attribute: "disks.scsi1", declared: null, live: { size_gb: 100 } }]);
    expect(compare(declared, { values: { memory_mb: 2048, "disks.scsi0.size_gb": 32 }, known: new Set(["disks"]) })).toEqual([]);
  });
});
