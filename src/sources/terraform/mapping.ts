import type { CiType } from "../../model/ci-types.js";
import type { IdentityKey } from "../../model/keys.js";
import type { RelationshipType } from "../../model/relationships.js";
import type { Values } from "./fields.js";
import type { StateInstance } from "./parse.js";

export interface TransformOptions {
  /** The Terraform workspace the state belongs to; "default" when not given. */
  workspace?: string;
  /** The Proxmox cluster the provider talks to: state does not record it, and a VM id is unique only within one. */
  proxmoxCluster?: string;
}

/** Facts about the whole state that one resource's mapping needs (an RDS instance names its subnet group). */
export interface StateIndex {
  dbSubnetGroups: Map<string, string[]>;
}

export interface MapContext {
  instance: StateInstance;
  /** Redacted values. */
  values: Values;
  /** `name` or `name[0]` / `name["key"]`: the fallback CI name. */
  label: string;
  opts: TransformOptions;
  index: StateIndex;
}

export interface Edge {
  type: RelationshipType;
  to: { key: string } | { ref: string };
}

/** What a known resource type contributes to its observation. */
export interface Mapped {
  type: CiType;
  keys: IdentityKey[];
  name?: string;
  region?: string;
  zone?: string;
  tags?: Record<string, string>;
  state?: string;
  /** Shared-vocabulary attributes (hostname, cpu_cores, …). */
  vocab: Record<string, unknown>;
  /** Edges from this observation. */
  edges: Edge[];
  /** Keys (`fqdn:…`, `ip:…`) this DNS record points at, resolved against the batch afterwards. */
  resolves?: string[];
  /** For link resources (a volume attachment): the key of the CI the link joins. */
  joins?: string;
}

export type Mapper = (ctx: MapContext) => Mapped | undefined;
