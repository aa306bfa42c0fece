import { describe, expect, it } from "vitest";
import { keyString } from "../../src/model/keys.js";
import { parseTerraformState, transformTerraform } from "../../src/sources/terraform/source.js";
import { generateState } from "../bench/gen-tfstate.mjs";

describe("benchmark state generator", () => {
  it("writes exactly N managed instances, the same for the same seed and different for another", () => {
    for (const n of [0, 1, 4, 250]) {
      const state = generateState(n, { seed: 7, serial: 3 });
      expect(state.resources.reduce((sum, r) => sum + r.instances.length, 0)).toBe(n);
      expect(JSON.stringify(generateState(n, { seed: 7, serial: 3 }))).toBe(JSON.stringify(state));
    }
    expect(JSON.stringify(generateState(250, { seed: 8 }))).not.toBe(JSON.stringify(generateState(250, { seed: 7 })));
  });

  it("produces a state the Terraform source reads into N CIs with unique strong keys, and no planted password", () => {
    const state = generateState(2000, { seed: 3, serial: 12, lineage: "bench-lineage" });
    const text = JSON.stringify(state);
    const batch = transformTerraform(parseTerraformState(text, "generated"), { proxmoxCluster: "bench" });
    expect(batch.scope).toBe("bench-lineage/default");
    expect(batch.observations).toHaveLength(2001);
    const types = new Set(batch.observations.map((o) => o.type));
    for (const t of ["vpc", "subnet", "security_group", "virtual_machine", "container", "block_storage", "database", "load_balancer", "dns_record", "object_storage", "generic"]) {
      expect(types.has(t as never), t).toBe(true);
    }
    const strong = batch.observations
      .filter((o) => o.attributes.joins === undefined)
      .flatMap((o) => o.keys.filter((k) => k.strength === "strong").map(keyString));
    expect(new Set(strong).size).toBe(strong.length);
    expect(batch.relationships.some((r) => r.type === "DEPENDS_ON")).toBe(true);
    expect(batch.relationships.some((r) => r.type === "ATTACHED_TO")).toBe(true);
    expect(batch.relationships.some((r) => r.type === "RESOLVES_TO" && "ref" in r.to)).toBe(true);
    expect(JSON.stringify(batch)).not.toMatch(/"bench-[0-9a-f]{12}/);
  });
});
