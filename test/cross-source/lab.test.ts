import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import type { ObservationBatch } from "../../src/model/observation.js";
import { ingestAnsibleInventory } from "../../src/sources/ansible/ingest.js";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import { ingestBatch } from "../../src/reconcile/ingest.js";
import { collectEc2 } from "../../src/sources/aws/source.js";
import { collectProxmox } from "../../src/sources/proxmox/source.js";
import { transformSsh } from "../../src/sources/ssh/transform.js";
import { ciDetail, findCis, listCis } from "../../src/store/queries.js";
import type { Store } from "../../src/store/store.js";
import { ec2Check, isolateAwsEnv, labRoutes } from "../aws/ec2-replay.js";
import { REPO_ROOT, TEST_FIXTURES } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { startReplayServer } from "../helpers/replay-server.js";
import { commandWorks, requireService } from "../helpers/services.js";
import { checkPveRequest, fixtureRoutes, makeTestPki, TOKEN_ID, TOKEN_SECRET } from "../proxmox/pve-replay.js";

const LAB = join(TEST_FIXTURES, "cross-source");
const settings = reconcileSettings({});
const MACHINES = ["server", "virtual_machine", "container", "hypervisor_node"];
const openssl = requireService("openssl", () => commandWorks("openssl", ["version"]));

/**
 * One small lab as every source sees it: Terraform declares it, an Ansible inventory names it,
 * Proxmox and EC2 (the real client libraries against replayed recordings) and SSH (recorded
 * collection output through the real transform) see it live. Collected once; ingested per test.
 */
let live: { proxmox: ObservationBatch[]; ec2: ObservationBatch[]; ssh: ObservationBatch[] };

beforeAll(async () => {
  if (!openssl.ok) return;
  const pki = makeTestPki();
  const pve = await startReplayServer({ routes: fixtureRoutes("lab"), tls: { key: pki.key, cert: pki.cert }, check: checkPveRequest });
  const aws = await startReplayServer({ routes: labRoutes(), check: ec2Check() });
  const restore = isolateAwsEnv(aws.url);
  try {
    const proxmox = await collectProxmox({ url: pve.url, tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, caFile: pki.caFile });
    const ec2 = await collectEc2({ regions: ["us-east-1", "eu-west-1"] });
    expect(pve.violations).toEqual([]);
    expect(aws.violations).toEqual([]);
    expect(ec2.errors).toEqual([]);
    const ssh = ["ssh-web01.out", "ssh-impostor.out"].map((file, i) => {
      const { observation } = transformSsh(readFileSync(join(LAB, file), "utf8"), { ref: `host${i}`, host: `192.0.2.${i + 1}`, port: 22, user: "ops" });
      return { source: "ssh", scope: `ssh:host${i}`, complete: true, observations: [observation], relationships: [] } satisfies ObservationBatch;
    });
    live = { proxmox: proxmox.batches, ec2: ec2.batches, ssh };
  } finally {
    restore();
    await pve.close();
    await aws.close();
  }
});

afterAll(dropTestSchemas);

async function ingestAll(store: Store, order: "declared-first" | "live-first"): Promise<void> {
  const declared = async () => {
    await ingestTerraform(store, { input: join(LAB, "lab.tfstate"), proxmoxCluster: "lab", settings });
    await ingestAnsibleInventory(store, [join(LAB, "inventory.ini")], { settings, cwd: REPO_ROOT });
  };
  const observed = async () => {
    for (const batch of [...live.proxmox, ...live.ec2, ...live.ssh]) await ingestBatch(store, batch, { settings });
  };
  if (order === "declared-first") {
    await declared();
    await observed();
  } else {
    await observed();
    await declared();
  }
}

/** Each machine CI as `name: sources`, sorted: the shape of the identification. */
async function machineShape(store: Store): Promise<string[]> {
  const cis = await listCis(store.engine, { status: "active" });
  return cis
    .filter((c) => MACHINES.includes(c.type) && c.type !== "hypervisor_node")
    .map((c) => `${c.name}: ${c.sources.join(",")}`)
    .sort();
}

describe.each(ENGINES)("one lab seen by every source, on $name", (engine) => {
  let store: Store;
  afterEach(async () => {
    await store?.close();
  });

  it("gives exactly one CI per real machine, whatever the order, and never merges contradicting strong keys", async (ctx) => {
    if (!engine.available || !openssl.ok) return ctx.skip();
    store = await engine.open();
    await ingestAll(store, "declared-first");
    const shape = await machineShape(store);
    expect(shape).toEqual(
      expect.arrayContaining([
        "web01: ansible,proxmox,ssh,terraform",
        "db01: ansible,proxmox,terraform",
        "web-01: ansible,ec2,terraform",
        "db-01: ansible,ec2,terraform",
        "web01: ssh",
      ]),
    );
    // Every other machine is one that only Proxmox knows (the rest of the recorded cluster).
    for (const line of shape) {
      if (!/^(web01|db01|web-01|db-01): /.test(line)) expect(line).toMatch(/: proxmox$/);
    }
    // No strong key is shared by two CIs.
    const cis = await listCis(store.engine);
    const owners = new Map<string, string[]>();
    const strongSchemes = /^(aws\.instance|proxmox\.vm|mac|smbios\.uuid|machine-id|serial):/;
    for (const c of cis) for (const k of c.keys.filter((key) => strongSchemes.test(key))) owners.set(k, [...(owners.get(k) ?? []), c.id]);
    expect([...owners.entries()].filter(([, ids]) => ids.length > 1)).toEqual([]);

    const other = await engine.open();
    try {
      await ingestAll(other, "live-first");
      expect(await machineShape(other)).toEqual(shape);
    } finally {
      await other.close();
    }
  });

  it("keeps every source's values and chooses the effective ones by precedence", async (ctx) => {
    if (!engine.available || !openssl.ok) return ctx.skip();
    store = await engine.open();
    await ingestAll(store, "declared-first");
    const [web01] = await findCis(store.engine, "proxmox.vm:lab/100");
    const detail = await ciDetail(store.engine, web01!.id);
    const memory = Object.fromEntries(detail.observations.filter((o) => o.attributes.memory_mb !== undefined).map((o) => [o.source, o.attributes.memory_mb]));
    expect(memory.terraform).toBe(2048);
    expect(memory.proxmox).toBe(4096);
    expect(memory.ssh).toBeGreaterThan(3000);
    // Live discovery wins over facts and declared values (proxmox > ssh > terraform).
    expect(detail.attributes.memory_mb).toBe(4096);
    expect(detail.keys).toEqual(
      expect.arrayContaining(["proxmox.vm:lab/100", "mac:bc:24:11:aa:00:01", "smbios.uuid:5f0c5a8e-3b1d-4c2a-9e7f-0a1b2c3d4e01", "terraform:proxmox_vm_qemu.web01", "hostname:web01"]),
    );
    const [web01aws] = await findCis(store.engine, "aws.instance:i-0a1b2c3d4e5f63001");
    const aws = await ciDetail(store.engine, web01aws!.id);
    expect(aws.environment).toBe("production");
    expect(aws.observations.map((o) => o.source).sort()).toEqual(["ansible", "ec2", "terraform"]);
    // Secrets from the inventory and the state stayed out.
    const dump = JSON.stringify(await listCis(store.engine)) + JSON.stringify(detail) + JSON.stringify(aws);
    expect(dump).not.toMatch(/lab-inventory-secret|lab-cloudinit-secret/);
  });
});
