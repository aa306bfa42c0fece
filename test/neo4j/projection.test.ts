import { afterAll, describe, expect, it } from "vitest";
import { CI_TYPES } from "../../src/model/ci-types.js";
import { flatten, type GraphCi, type PropertyValue, project, projectCi, TYPE_LABELS } from "../../src/store/neo4j/project.js";
import { readGraph } from "../../src/store/neo4j/read.js";
import { stats } from "../../src/store/queries.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { HOSTILE, PLANTED, populate } from "./graph-store.js";

afterAll(dropTestSchemas);

const ci = (over: Partial<GraphCi> = {}): GraphCi => ({
  id: "ci_0000000000000001",
  type: "virtual_machine",
  name: "web01",
  status: "active",
  environment: "prod",
  provider: "proxmox",
  region: null,
  zone: null,
  owner: "",
  tags: {},
  attributes: {},
  keys: ["proxmox.vm:lab/100", "hostname:web01"],
  sources: ["terraform", "proxmox"],
  ...over,
});

describe("the projection (pure)", () => {
  it("labels every CI type by the registry, in PascalCase, and only plain identifiers", () => {
    expect(Object.keys(TYPE_LABELS).sort()).toEqual(Object.keys(CI_TYPES).sort());
    expect(TYPE_LABELS.virtual_machine).toBe("VirtualMachine");
    expect(TYPE_LABELS.terraform_workspace).toBe("TerraformWorkspace");
    for (const label of Object.values(TYPE_LABELS)) expect(label).toMatch(/^[A-Z][A-Za-z]*$/);
    expect(new Set(Object.values(TYPE_LABELS)).size).toBe(Object.keys(CI_TYPES).length);
  });

  it("keeps the CI's fields, sorted keys and sources, and leaves out empty ones", () => {
    const node = projectCi(ci());
    expect(node.label).toBe("VirtualMachine");
    expect(node.props).toEqual({
      id: "ci_0000000000000001",
      type: "virtual_machine",
      name: "web01",
      status: "active",
      environment: "prod",
      provider: "proxmox",
      keys: ["hostname:web01", "proxmox.vm:lab/100"],
      sources: ["proxmox", "terraform"],
    });
  });

  it("flattens attributes into what Neo4j can store", () => {
    const out: Record<string, PropertyValue> = {};
    flatten("a", { n: 1, f: 0.5, s: "x", b: true, nested: { deep: { v: 2 } }, list: ["x", "y"], nums: [1, 2.5], mixed: [1, "x"], objs: [{ a: 1 }], none: null, empty: {}, inf: Number.POSITIVE_INFINITY }, out);
    expect(out).toEqual({
      "a.n": 1,
      "a.f": 0.5,
      "a.s": "x",
      "a.b": true,
      "a.nested.deep.v": 2,
      "a.list": ["x", "y"],
      "a.nums": [1, 2.5],
      "a.mixed": '[1,"x"]',
      "a.objs": '[{"a":1}]',
      "a.inf": "Infinity",
    });
  });

  it("puts tags under tags., an attribute named like a field under attributes., and redacts secret names", () => {
    const node = projectCi(ci({ tags: { env: "prod", "Cost Center": "R&D" }, attributes: { name: "shadow", memory_mb: 2048, api_token: "s3cr3t", disks: [{ name: "scsi0", size_gb: 32 }] } }));
    expect(node.props["tags.env"]).toBe("prod");
    expect(node.props["tags.Cost Center"]).toBe("R&D");
    expect(node.props.name).toBe("web01");
    expect(node.props["attributes.name"]).toBe("shadow");
    expect(node.props.memory_mb).toBe(2048);
    expect(node.props.api_token).toBe("(redacted)");
    expect(node.props.disks).toBe('[{"name":"scsi0","size_gb":32}]');
  });

  it("projects an unknown type as generic, and drops edges whose ends or type are not projected", () => {
    const p = project(
      [ci({ id: "a" }), ci({ id: "b", type: "toaster" })],
      [
        { type: "RUNS_ON", from: "a", to: "b", sources: ["terraform", "ansible"] },
        { type: "RUNS_ON", from: "a", to: "gone", sources: ["terraform"] },
        { type: "TELEPORTS_TO", from: "a", to: "b", sources: ["x"] },
      ],
    );
    expect(p.nodes.map((n) => [n.id, n.label])).toEqual([
      ["a", "VirtualMachine"],
      ["b", "Generic"],
    ]);
    expect(p.edges).toEqual([{ type: "RUNS_ON", from: "a", to: "b", props: { sources: ["ansible", "terraform"] } }]);
  });
});

describe.each(ENGINES)("the projection of a real store ($name)", (engine) => {
  it.skipIf(!engine.available)("has one node per CI and one edge per present relationship, with no planted secret", { timeout: 600_000 }, async () => {
    const store = await engine.open();
    try {
      const { hostileId } = await populate(store);
      const g = await readGraph(store.engine);
      const p = project(g.cis, g.relationships);
      const s = await stats(store.engine);
      expect(p.nodes.length).toBe(s.cis.total);
      expect(p.edges.length).toBe(s.relationships);
      expect(p.nodes.length).toBeGreaterThan(10);
      expect(p.edges.length).toBeGreaterThan(5);
      const text = JSON.stringify(p);
      expect(text).not.toContain("PLANTED");
      expect(text).not.toContain(PLANTED);
      const hostile = p.nodes.find((n) => n.id === hostileId)!;
      expect(hostile.props.name).toBe(HOSTILE);
      expect(hostile.props["tags.Cost Center"]).toBe("R&D <7>");
      expect(hostile.props.db_password).toBe("(redacted)");
      expect(hostile.props["nested.deeper.ratio"]).toBe(0.25);
      expect(hostile.props["attributes.name"]).toBe("an attribute called name");
      expect(hostile.props.big).toBe(2 ** 40);
      // Every CI reported by a source says which; a VM Terraform and Ansible both name has both.
      expect(p.nodes.filter((n) => (n.props.sources as string[]).length === 0)).toEqual([]);
      expect(p.nodes.some((n) => (n.props.sources as string[]).includes("terraform") && (n.props.sources as string[]).includes("ansible"))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
