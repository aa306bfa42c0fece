import type { CiType } from "./ci-types.js";
import type { IdentityKey } from "./keys.js";
import type { RelationshipType } from "./relationships.js";

/** The CI fields every source may report; merged by source precedence like attributes. */
export interface CiFields {
  name?: string;
  environment?: string;
  provider?: string;
  region?: string;
  zone?: string;
  owner?: string;
  tags?: Record<string, string>;
}

/**
 * What one source saw of one thing in one run: a CI draft. `ref` is the source's own stable name for
 * it within the scope (a Terraform address, a Proxmox `node/qemu/vmid`, an inventory hostname).
 */
export interface Observation extends CiFields {
  ref: string;
  type: CiType;
  keys: IdentityKey[];
  /** The source's values, already redacted. Merged into the CI's effective attributes by precedence. */
  attributes: Record<string, unknown>;
  /** Source-level status of the thing (running, stopped, tainted…), kept as the `state` attribute. */
  state?: string;
}

/** An edge between two observations of the same batch (by `ref`) or to a CI found by key (`key`). */
export interface RelationshipDraft {
  type: RelationshipType;
  from: string;
  to: { ref: string } | { key: string };
}

/** Everything one collection of one scope produced. */
export interface ObservationBatch {
  source: string;
  /** What was collected: a Terraform lineage+workspace, a Proxmox cluster, an inventory path, an AWS account+region. */
  scope: string;
  /** True only when the scope was collected completely: only then is what it no longer reports marked gone. */
  complete: boolean;
  observations: Observation[];
  relationships: RelationshipDraft[];
  /** Source metadata for the run (Terraform lineage and serial, for instance). */
  meta?: Record<string, unknown>;
  /** Non-fatal problems met during collection (an offline node, a VM whose agent did not answer). */
  warnings?: string[];
}
