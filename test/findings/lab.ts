import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestAnsibleInventory } from "../../src/sources/ansible/ingest.js";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import type { ObservationBatch } from "../../src/model/observation.js";
import { ingestBatch } from "../../src/reconcile/ingest.js";
import { collectEc2 } from "../../src/sources/aws/source.js";
import { collectProxmox } from "../../src/sources/proxmox/source.js";
import type { Store } from "../../src/store/store.js";
import { ec2Check, isolateAwsEnv, labRoutes } from "../aws/ec2-replay.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import { startReplayServer } from "../helpers/replay-server.js";
import { checkPveRequest, fixtureRoutes, makeTestPki, TOKEN_ID, TOKEN_SECRET } from "../proxmox/pve-replay.js";

/**
 * The cross-source lab (test/fixtures/cross-source) as drift scenarios: its Terraform state and
 * inventory, edited per scenario, against what Proxmox and EC2 report live (the real client
 * libraries against the recorded lab).
 */
export const LAB = join(TEST_FIXTURES, "cross-source");
export const settings = reconcileSettings({});

export type TfState = { serial: number; resources: { type: string; name: string; instances: { attributes: Record<string, unknown> }[] }[] } & Record<string, unknown>;

export function labState(): TfState {
  return JSON.parse(readFileSync(join(LAB, "lab.tfstate"), "utf8")) as TfState;
}

export function resource(state: TfState, type: string, name: string): Record<string, unknown> {
  const r = state.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type}.${name} in the lab state`);
  return r.instances[0]!.attributes;
}

/** db01 declared as Proxmox really runs it: tags, bridge and firewall as live. */
export function matchingDb01(state: TfState): TfState {
  const db01 = resource(state, "proxmox_vm_qemu", "db01");
  db01.tags = "db;prod";
  db01.network = [{ id: 0, model: "virtio", bridge: "vmbr1", macaddr: "BC:24:11:AA:01:01", firewall: false, tag: 20 }];
  return state;
}

export async function collectLive(): Promise<ObservationBatch[]> {
  const pki = makeTestPki();
  const pve = await startReplayServer({ routes: fixtureRoutes("lab"), tls: { key: pki.key, cert: pki.cert }, check: checkPveRequest });
  const aws = await startReplayServer({ routes: labRoutes(), check: ec2Check() });
  const restore = isolateAwsEnv(aws.url);
  try {
    const proxmox = await collectProxmox({ url: pve.url, tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, caFile: pki.caFile });
    const ec2 = await collectEc2({ regions: ["us-east-1", "eu-west-1"] });
    if (pve.violations.length > 0 || aws.violations.length > 0) throw new Error(`replay violations: ${[...pve.violations, ...aws.violations].join("; ")}`);
    return [...proxmox.batches, ...ec2.batches];
  } finally {
    restore();
    await pve.close();
    await aws.close();
  }
}

export class LabFiles {
  readonly dir = mkdtempSync(join(tmpdir(), "cmdb-drift-lab-"));
  private serial = 100;
  readonly statePath = join(this.dir, "lab.tfstate");
  readonly inventoryPath = join(this.dir, "inventory.ini");

  writeState(state: TfState): string {
    state.serial = ++this.serial;
    writeFileSync(this.statePath, JSON.stringify(state));
    return this.statePath;
  }

  /** The lab inventory, with `extraProxmoxHosts` lines added to its [proxmox_vms] group. */
  writeInventory(extraProxmoxHosts = ""): string {
    const text = readFileSync(join(LAB, "inventory.ini"), "utf8").replace("[proxmox_vms]\n", `[proxmox_vms]\n${extraProxmoxHosts}`);
    writeFileSync(this.inventoryPath, text);
    return this.inventoryPath;
  }

  async ingestDeclared(store: Store, state: TfState, inventoryExtra = "", now?: Date): Promise<void> {
    await ingestTerraform(store, { input: this.writeState(state), proxmoxCluster: "lab", settings, ...(now ? { now } : {}) });
    await ingestAnsibleInventory(store, [this.writeInventory(inventoryExtra)], { settings, cwd: this.dir, ...(now ? { now } : {}) });
  }
}

export async function ingestLive(store: Store, batches: ObservationBatch[], now?: Date): Promise<void> {
  for (const batch of batches) await ingestBatch(store, batch, { settings, ...(now ? { now } : {}) });
}
