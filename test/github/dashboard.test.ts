import { describe, expect, it } from "vitest";
import { BODY_LIMIT, dashboardPages } from "../../src/github/dashboard.js";
import { parseMarker, renderMarker, withMarker } from "../../src/github/marker.js";

describe("dashboard pages", () => {
  it("splits a dashboard of many findings into pages under GitHub's body limit, losing no item", () => {
    const entries = Array.from({ length: 3000 }, (_, i) => ({
      title: `Drift: vm${i} (virtual_machine)`,
      number: i + 1,
      items: [{ id: `f${i}`, line: `**changed** (medium) vm${i}: memory_mb`, summary: `**changed** (medium) \`memory_mb\` of vm${i}` }],
    }));
    const pages = dashboardPages("CMDB drift dashboard", "3000 open finding(s) on 3000 CI(s).", entries);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages[0]!.title).toBe("CMDB drift dashboard");
    expect(pages[1]!.title).toBe("CMDB drift dashboard (page 2)");
    for (const p of pages) expect(withMarker(p.body, { ns: "drift", key: "dashboard:1", hash: "x".repeat(24), items: [] }).length).toBeLessThan(BODY_LIMIT);
    const all = pages.map((p) => p.body).join("\n");
    for (let i = 0; i < 3000; i++) expect(all).toContain(`### #${i + 1} Drift: vm${i} (virtual_machine)\n- **changed** (medium) \`memory_mb\` of vm${i}`);
    expect(pages[0]!.body).toContain("3000 open finding(s)");
  });
});

describe("issue marker", () => {
  it("round-trips, survives a value that would end an HTML comment, and ignores bodies without one", () => {
    const marker = { ns: "drift", key: "ci:terraform:aws_instance.x[\"a-->b\"]", hash: "abc", items: ["f1", "f2"] };
    const body = withMarker("Some **text**", marker);
    expect(body.indexOf("-->")).toBe(body.lastIndexOf("-->"));
    expect(parseMarker(body)).toEqual(marker);
    expect(renderMarker(marker)).toMatch(/^<!-- cmdb-sync \{.*\} -->$/);
    expect(parseMarker("a person's issue")).toBeUndefined();
    expect(parseMarker("<!-- cmdb-sync {broken -->")).toBeUndefined();
  });
});
