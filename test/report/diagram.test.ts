import { readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { subgraph } from "../../src/graph/subgraph.js";
import { walk } from "../../src/graph/walk.js";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import { drawDiagram, loadDiagram, neighbourhoodMermaid } from "../../src/report/diagram/draw.js";
import { SAMPLE_INGEST_AT } from "../../src/report/samples.js";
import { findCis, listCis } from "../../src/store/queries.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { exampleStore, WARM_UP_TIMEOUT_MS, warmUp } from "./example-store.js";

const HOUR = 3_600_000;
const AWS_STATE = join(REPO_ROOT, "examples/terraform/aws-shop-vpc.tfstate");

/** The example AWS state one apply later: web[1] destroyed, web[0] resized, web[2] created. */
function changedState(serial: number): string {
  const state = JSON.parse(readFileSync(AWS_STATE, "utf8"));
  state.serial = serial;
  const web = state.resources.find((r: { type: string; name: string }) => r.type === "aws_instance" && r.name === "web");
  const [first] = web.instances;
  first.attributes.instance_type = "t3.large";
  const added = JSON.parse(JSON.stringify(first));
  added.index_key = 2;
  added.attributes.id = "i-0feedfacecafe0002";
  added.attributes.arn = added.attributes.arn.replace(/i-[0-9a-f]+$/, "i-0feedfacecafe0002");
  added.attributes.private_ip = "10.40.1.99";
  added.attributes.private_dns = "ip-10-40-1-99.eu-west-1.compute.internal";
  added.attributes.tags = { ...added.attributes.tags, Name: "shop-web-2" };
  added.attributes.tags_all = { ...added.attributes.tags_all, Name: "shop-web-2" };
  web.instances = [first, added];
  const dir = mkdtempSync(join(tmpdir(), "cmdb-diagram-"));
  const file = join(dir, "aws-shop-vpc.tfstate");
  writeFileSync(file, JSON.stringify(state));
  return file;
}

const texts: Record<string, Record<string, string>> = {};

beforeAll(() => warmUp(ENGINES), WARM_UP_TIMEOUT_MS);

afterAll(async () => {
  await dropTestSchemas();
});

for (const engine of ENGINES) {
  describe.skipIf(!engine.available)(`diagrams from the example CMDB (${engine.name})`, () => {
    it("draws the same Mermaid, DOT and SVG twice, every CI and relationship of the scope in it", async () => {
      const store = await exampleStore(engine);
      try {
        const out: Record<string, string> = {};
        for (const format of ["mermaid", "dot", "svg"] as const) {
          const request = { groupBy: "aws-vpc" as const, now: new Date(SAMPLE_INGEST_AT.getTime() + HOUR) };
          const first = await drawDiagram(store.engine, format, request);
          const second = await drawDiagram(store.engine, format, request);
          expect(second.text).toBe(first.text);
          out[format] = first.text;
        }
        texts[engine.name] = out;
        const cis = (await listCis(store.engine)).filter((c) => c.status !== "retired" && c.type !== "terraform_workspace");
        const graph = await subgraph(store.engine);
        expect(graph.nodes.map((n) => n.id).sort()).toEqual(cis.map((c) => c.id).sort());
        for (const ci of cis) expect(out.mermaid).toContain(`${ci.id}`);
        // Every edge of the graph is drawn, once, with its relationship types as the label.
        for (const e of graph.edges) expect(out.mermaid).toContain(`${e.from} -->|"${e.types.join(" / ")}"| ${e.to}`);
        expect(out.mermaid!.match(/-->\|/g)?.length).toBe(graph.edges.length);
        // The SVG holds one node per CI (plus the legend's) and one edge per relationship pair.
        const svgNodes = [...out.svg!.matchAll(/<g id="(ci_[0-9a-f]+)" class="node ci /g)].map((m) => m[1]);
        expect(svgNodes.sort()).toEqual(cis.map((c) => c.id).sort());
        expect(out.svg!.match(/class="edge rel"/g)?.length).toBe(graph.edges.length);
        expect(out.svg).toMatch(/<g id="g_[0-9a-f]+" class="cluster">[\s\S]*?<text[^>]*>VPC shop&#45;vpc<\/text>/);
        expect(out.dot).toContain('subgraph "cluster_legend"');
      } finally {
        await store.close();
      }
    });

    it("draws what a CI needs (down) and who breaks if it fails (up), as deep as asked", async () => {
      const store = await exampleStore(engine);
      try {
        const [vm] = await findCis(store.engine, "aws.instance:i-0a7e5c3b1d9f24680");
        const [vpc] = await findCis(store.engine, "terraform:module.network.aws_vpc.this");
        const down = await subgraph(store.engine, { root: { id: vm!.id, depth: 3, direction: "deps" } });
        const expectedDown = await walk(store.engine, vm!.id, "deps", 3);
        expect(down.nodes.map((n) => n.id).sort()).toEqual(expectedDown.map((n) => n.id).sort());
        expect(down.nodes.map((n) => n.name)).toContain("shop-vpc");
        const up = await subgraph(store.engine, { root: { id: vpc!.id, depth: 1, direction: "impact" } });
        const expectedUp = await walk(store.engine, vpc!.id, "impact", 1);
        expect(up.nodes.map((n) => n.id).sort()).toEqual(expectedUp.map((n) => n.id).sort());
        expect(up.nodes.map((n) => n.name)).not.toContain("shop-web-0");
        const deeper = await subgraph(store.engine, { root: { id: vpc!.id, depth: 3, direction: "impact" } });
        expect(deeper.nodes.map((n) => n.name)).toContain("shop-web-0");
        // Filters narrow the walk; the root stays.
        const vmsOnly = await subgraph(store.engine, { root: { id: vpc!.id, depth: 3, direction: "impact" }, filter: { type: "virtual_machine" } });
        expect(vmsOnly.nodes.map((n) => n.name).sort()).toEqual(["shop-vpc", "shop-web-0", "shop-web-1"]);
      } finally {
        await store.close();
      }
    });

    it("groups into clusters by Proxmox node and cluster, AWS account and subnet, Ansible group and environment", async () => {
      const store = await exampleStore(engine);
      try {
        const byGroup = async (groupBy: "ansible-group" | "environment" | "proxmox-node" | "proxmox-cluster" | "aws-account" | "aws-subnet") => {
          const d = await loadDiagram(store.engine, { groupBy });
          const labels = new Map(d.groups.map((g) => [g.id, g.label]));
          return Object.fromEntries(d.nodes.map((n) => [n.label, n.group ? labels.get(n.group) : null]));
        };
        const ansible = await byGroup("ansible-group");
        expect(ansible["k3s-agent-1"]).toBe("Ansible group k3s_agents");
        expect(ansible.pihole).toBe("Ansible group dns");
        expect(ansible["shop-web-0"]).toBeNull();
        const env = await byGroup("environment");
        expect(env["shop-web-0"]).toBe("environment production");
        expect(env["k3s-server"]).toBe("environment homelab");
        const node = await byGroup("proxmox-node");
        expect(node["k3s-agent-1"]).toBe("Proxmox node pve1");
        const cluster = await byGroup("proxmox-cluster");
        expect(cluster["k3s-server"]).toBe("Proxmox cluster homelab");
        expect(cluster["shop-web-0"]).toBeNull();
        const tf = JSON.parse(readFileSync(AWS_STATE, "utf8"));
        const arn: string = tf.resources.find((r: { type: string }) => r.type === "aws_instance").instances[0].attributes.arn;
        expect((await byGroup("aws-account"))["shop-web-0"]).toBe(`AWS account ${arn.split(":")[4]}`);
        const subnet = await byGroup("aws-subnet");
        expect(subnet["shop-web-0"]).toBe("subnet shop-private-a");
        expect(subnet["shop-web-1"]).toBe("subnet shop-private-b");
      } finally {
        await store.close();
      }
    });

    it("marks stale CIs and the marks it is given (drift, credential due), in the label and the legend", async () => {
      const store = await exampleStore(engine);
      try {
        const [db] = await findCis(store.engine, "terraform:aws_db_instance.shop");
        const [pihole] = await findCis(store.engine, "hostname:pihole");
        const marks = [
          { ciId: db!.id, kind: "drift", severity: "high" as const, title: "allocated_storage 20 → 50" },
          { ciId: pihole!.id, kind: "credential", title: "root password older than 90 days" },
        ];
        // Ten days later, with nothing re-ingested, everything is stale.
        const later = new Date(SAMPLE_INGEST_AT.getTime() + 10 * 24 * HOUR);
        const mermaid = (await drawDiagram(store.engine, "mermaid", { marks, now: later })).text;
        expect(mermaid).toMatch(new RegExp(`class [^\\n]*${db!.id}[^\\n]* f_drift`));
        expect(mermaid).toMatch(new RegExp(`class [^\\n]*${pihole!.id}[^\\n]* f_credential`));
        expect(mermaid).toMatch(new RegExp(`${db!.id}\\(\\["shop-db<br/>Database<br/>\\[drift: high\\]<br/>\\[stale\\]"\\]\\)`));
        expect(mermaid).toContain('legend_f_drift["[drift] an open drift finding (cmdb drift), with its highest severity"]');
        expect(mermaid).toContain("legend_f_credential");
        expect(mermaid).toContain("legend_f_stale");
        const fresh = (await drawDiagram(store.engine, "mermaid", { now: new Date(SAMPLE_INGEST_AT.getTime() + HOUR) })).text;
        expect(fresh).not.toContain("[stale]");
        expect(fresh).not.toContain("legend_f_stale");
      } finally {
        await store.close();
      }
    });

    it("--since highlights added, removed and changed CIs and edges against the graph at that point", async () => {
      const store = await exampleStore(engine);
      try {
        const settings = reconcileSettings({});
        const t1 = new Date(SAMPLE_INGEST_AT.getTime() + HOUR);
        await ingestTerraform(store, { input: changedState(43), workspace: "aws-shop-vpc", settings, now: t1 });
        const before = new Date(SAMPLE_INGEST_AT.getTime() + HOUR / 2);
        const [web0] = await findCis(store.engine, "aws.instance:i-0a7e5c3b1d9f24680");
        const [web2] = await findCis(store.engine, "aws.instance:i-0feedfacecafe0002");
        const web1 = (await listCis(store.engine)).find((c) => c.name === "shop-web-1")!;
        const d1 = await loadDiagram(store.engine, { since: { time: before }, now: t1 });
        const flags = (id: string) => d1.nodes.find((n) => n.id === id)?.flags ?? [];
        expect(flags(web2!.id)).toContain("added");
        expect(flags(web0!.id)).toContain("changed");
        expect(d1.nodes.find((n) => n.id === web0!.id)!.detail.join(" ")).toContain("instance_type");
        expect(flags(web1.id)).toEqual(expect.arrayContaining(["missing", "stale", "changed"]));
        expect(d1.edges.filter((e) => e.to === web2!.id || e.from === web2!.id).every((e) => e.change === "added")).toBe(true);
        expect(d1.edges.some((e) => e.from === web1.id && e.change === "removed")).toBe(true);
        // Nothing is highlighted against a point after the change.
        const none = await loadDiagram(store.engine, { since: { time: new Date(t1.getTime() + 1000) }, now: t1 });
        expect(none.nodes.flatMap((n) => n.flags).filter((f) => ["added", "removed", "changed"].includes(f))).toEqual([]);

        // Past the grace period web-1 is retired: still drawn against the old point, as removed.
        const t2 = new Date(t1.getTime() + 8 * 24 * HOUR);
        await ingestTerraform(store, { input: changedState(44), workspace: "aws-shop-vpc", settings, now: t2 });
        const d2 = await loadDiagram(store.engine, { since: { time: before }, now: t2 });
        expect(d2.nodes.find((n) => n.id === web1.id)?.flags).toContain("removed");
        const mermaid = (await drawDiagram(store.engine, "mermaid", { since: { time: before }, now: t2 })).text;
        expect(mermaid).toMatch(new RegExp(`class [^\\n]*${web1.id}[^\\n]* f_removed`));
        expect(mermaid).toMatch(new RegExp(`class [^\\n]*${web2!.id}[^\\n]* f_added`));
        expect(mermaid).toMatch(new RegExp(`${web1.id} -\\.->\\|`));
        expect(mermaid).toMatch(/linkStyle \d+ stroke:#dc2626/);
        expect(mermaid).toContain("changes since");
        // Against the run that made the change, only what came after it shows.
        const after = await loadDiagram(store.engine, { since: { runId: (await store.engine.query<{ id: string }>("SELECT id FROM run WHERE started_at = $1", [t1.toISOString()]))[0]!.id }, now: t2 });
        expect(after.nodes.find((n) => n.id === web2!.id)?.flags).not.toContain("added");
        expect(after.nodes.find((n) => n.id === web1.id)?.flags).toContain("removed");
      } finally {
        await store.close();
      }
    });

    it("a CI's neighbourhood, both ways, is a small Mermaid picture for its drift issue", async () => {
      const store = await exampleStore(engine);
      try {
        const [subnet] = await findCis(store.engine, "terraform:module.network.aws_subnet.private[0]");
        const text = await neighbourhoodMermaid(store.engine, subnet!.id, { now: SAMPLE_INGEST_AT });
        expect(text).toContain("shop-vpc");
        expect(text).toContain("shop-web-0");
        expect(text).not.toContain("shop-uploads-backup");
        expect(text).not.toContain("k3s");
      } finally {
        await store.close();
      }
    });
  });
}

describe("diagrams across engines", () => {
  it("are byte-identical on PGlite and the PostgreSQL server", () => {
    const names = Object.keys(texts);
    if (names.length < 2) {
      console.warn(`SKIPPED: only ${names.join(", ") || "no engine"} drew diagrams`);
      return;
    }
    for (const format of ["mermaid", "dot", "svg"]) expect(texts.postgres![format]).toBe(texts.pglite![format]);
  });
});
