import type { CiType } from "../model/ci-types.js";
import type { CiFields } from "../model/observation.js";
import type { RelationshipType } from "../model/relationships.js";

export type CiStatus = "active" | "missing" | "retired";

/** A CI row: its effective values, chosen from its observations by precedence. */
export interface StoredCi {
  id: string;
  type: CiType;
  name: string;
  status: CiStatus;
  environment: string | null;
  provider: string | null;
  region: string | null;
  zone: string | null;
  owner: string | null;
  tags: Record<string, string>;
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  missingSince: Date | null;
  retiredAt: Date | null;
}

/** One source's view of one CI, for one scope. */
export interface StoredObservation {
  source: string;
  scope: string;
  ref: string;
  ciId: string;
  type: CiType;
  keys: string[];
  strongKeys: string[];
  fields: CiFields;
  attributes: Record<string, unknown>;
  status: "present" | "gone";
  firstSeen: Date;
  lastSeen: Date;
  goneAt: Date | null;
  runId: string;
}

export interface StoredRelationship {
  source: string;
  scope: string;
  type: RelationshipType;
  fromCi: string;
  toCi: string;
  status: "present" | "gone";
  firstSeen: Date;
  lastSeen: Date;
  goneAt: Date | null;
  runId: string;
}

export interface ChangeRow {
  ciId: string;
  source: string | null;
  field: string;
  oldValue: unknown;
  newValue: unknown;
  runId: string;
  at: Date;
}

/** What the store holds that one batch can touch, loaded before planning. */
export interface Slice {
  /** This source+scope's observations from earlier runs. */
  scopeObservations: StoredObservation[];
  /** This source+scope's relationships from earlier runs. */
  scopeRelationships: StoredRelationship[];
  /** Every key of the batch (and of relationship targets) that the store knows, with the CIs carrying it. */
  keyOwners: Map<string, string[]>;
  /** The CIs involved, and all their observations from every source. */
  cis: Map<string, StoredCi>;
  ciObservations: Map<string, StoredObservation[]>;
  /** Key values learned to identify nothing (key → why), for the keys the slice holds. */
  sharedKeys: Map<string, string>;
  /** A person's merges and splits that touch the slice's observations. */
  overrides: IdentityOverride[];
}

/** An observation by its identity: source, scope and the source's ref. */
export interface ObservationRef {
  source: string;
  scope: string;
  ref: string;
}

/** `cmdb ci merge` (these two observations are one thing) or `cmdb ci split` (never one). */
export interface IdentityOverride {
  kind: "merge" | "split";
  a: ObservationRef;
  b: ObservationRef;
}

/** A CI folded into another: the old id stays resolvable to the survivor. */
export interface CiMerge {
  from: string;
  to: string;
  /** The keys that showed they are one. */
  keys: string[];
}

export interface LearnedSharedKey {
  key: string;
  reason: string;
  evidence: string[];
}

export interface RunCounts {
  seen: number;
  new: number;
  changed: number;
  unchanged: number;
  gone: number;
  missing: number;
  retired: number;
  relationshipsAdded: number;
  relationshipsRemoved: number;
  relationshipsUnresolved: number;
}

/** An edge whose target no source has reported yet: kept, and drawn when a CI with that key appears. */
export interface PendingRelationship {
  type: RelationshipType;
  fromCi: string;
  toKey: string;
}

export interface Plan {
  newCis: StoredCi[];
  updatedCis: StoredCi[];
  observations: StoredObservation[];
  relationships: StoredRelationship[];
  pending: PendingRelationship[];
  changes: ChangeRow[];
  merges: CiMerge[];
  sharedKeys: LearnedSharedKey[];
  counts: RunCounts;
  warnings: string[];
}
