import type { CiType } from "../model/ci-types.js";
import type { RelationshipType } from "../model/relationships.js";
import type { StoredCi, StoredObservation, StoredRelationship } from "../reconcile/types.js";

/** Row shapes as both engines return them, and their mapping to the model. */
export interface CiRow {
  id: string;
  type: string;
  name: string;
  status: string;
  environment: string | null;
  provider: string | null;
  region: string | null;
  zone: string | null;
  owner: string | null;
  tags: Record<string, string>;
  attributes: Record<string, unknown>;
  created_at: Date | string;
  updated_at: Date | string;
  missing_since: Date | string | null;
  retired_at: Date | string | null;
}

export interface ObservationRow {
  source: string;
  scope: string;
  ref: string;
  ci_id: string;
  type: string;
  keys: string[];
  strong_keys: string[];
  fields: Record<string, unknown>;
  attributes: Record<string, unknown>;
  status: string;
  first_seen: Date | string;
  last_seen: Date | string;
  gone_at: Date | string | null;
  run_id: string;
}

export interface RelationshipRow {
  source: string;
  scope: string;
  type: string;
  from_ci: string;
  to_ci: string;
  status: string;
  first_seen: Date | string;
  last_seen: Date | string;
  gone_at: Date | string | null;
  run_id: string;
}

export const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
export const maybeDate = (v: Date | string | null): Date | null => (v === null ? null : date(v));

export function ciFromRow(r: CiRow): StoredCi {
  return {
    id: r.id,
    type: r.type as CiType,
    name: r.name,
    status: r.status as StoredCi["status"],
    environment: r.environment,
    provider: r.provider,
    region: r.region,
    zone: r.zone,
    owner: r.owner,
    tags: r.tags ?? {},
    attributes: r.attributes ?? {},
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    missingSince: maybeDate(r.missing_since),
    retiredAt: maybeDate(r.retired_at),
  };
}

export function observationFromRow(r: ObservationRow): StoredObservation {
  return {
    source: r.source,
    scope: r.scope,
    ref: r.ref,
    ciId: r.ci_id,
    type: r.type as CiType,
    keys: r.keys,
    strongKeys: r.strong_keys,
    fields: r.fields,
    attributes: r.attributes,
    status: r.status as StoredObservation["status"],
    firstSeen: date(r.first_seen),
    lastSeen: date(r.last_seen),
    goneAt: maybeDate(r.gone_at),
    runId: r.run_id,
  };
}

export function relationshipFromRow(r: RelationshipRow): StoredRelationship {
  return {
    source: r.source,
    scope: r.scope,
    type: r.type as RelationshipType,
    fromCi: r.from_ci,
    toCi: r.to_ci,
    status: r.status as StoredRelationship["status"],
    firstSeen: date(r.first_seen),
    lastSeen: date(r.last_seen),
    goneAt: maybeDate(r.gone_at),
    runId: r.run_id,
  };
}

export function ciToRow(c: StoredCi): Record<string, unknown> {
  return {
    id: c.id,
    type: c.type,
    name: c.name,
    status: c.status,
    environment: c.environment,
    provider: c.provider,
    region: c.region,
    zone: c.zone,
    owner: c.owner,
    tags: c.tags,
    attributes: c.attributes,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    missing_since: c.missingSince?.toISOString() ?? null,
    retired_at: c.retiredAt?.toISOString() ?? null,
  };
}

export function observationToRow(o: StoredObservation): Record<string, unknown> {
  return {
    source: o.source,
    scope: o.scope,
    ref: o.ref,
    ci_id: o.ciId,
    type: o.type,
    keys: o.keys,
    strong_keys: o.strongKeys,
    fields: o.fields,
    attributes: o.attributes,
    status: o.status,
    first_seen: o.firstSeen.toISOString(),
    last_seen: o.lastSeen.toISOString(),
    gone_at: o.goneAt?.toISOString() ?? null,
    run_id: o.runId,
  };
}

export function relationshipToRow(r: StoredRelationship): Record<string, unknown> {
  return {
    source: r.source,
    scope: r.scope,
    type: r.type,
    from_ci: r.fromCi,
    to_ci: r.toCi,
    status: r.status,
    first_seen: r.firstSeen.toISOString(),
    last_seen: r.lastSeen.toISOString(),
    gone_at: r.goneAt?.toISOString() ?? null,
    run_id: r.runId,
  };
}
