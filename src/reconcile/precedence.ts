import type { CiType } from "../model/ci-types.js";
import { typeSpecificity } from "../model/ci-types.js";
import type { ReconcileSettings } from "../config/schema.js";
import type { StoredCi, StoredObservation } from "./types.js";

export type EffectiveValues = Pick<StoredCi, "type" | "name" | "environment" | "provider" | "region" | "zone" | "owner" | "tags" | "attributes">;

const FIELDS = ["environment", "provider", "region", "zone", "owner"] as const;

/**
 * The CI's effective values, chosen per attribute (not per CI): the most preferred source that
 * has a value and is still fresh wins; when it has gone stale beyond its lifetime, the next
 * source's value applies; when all are stale, the preferred one still wins. A CI no source
 * reports any more keeps its last known values.
 */
export function effectiveValues(observations: StoredObservation[], settings: ReconcileSettings, now: Date): EffectiveValues {
  const present = observations.filter((o) => o.status === "present");
  const pool = present.length > 0 ? present : observations;
  const rankCache = new Map<string, number>();
  const rank = (source: string, attribute: string | undefined): number => {
    const order = (attribute && settings.attributePrecedence[attribute]) || settings.precedence;
    const cacheKey = `${attribute ?? ""}\u0000${source}`;
    let r = rankCache.get(cacheKey);
    if (r === undefined) {
      const index = order.indexOf(source);
      r = index >= 0 ? index : order.length;
      rankCache.set(cacheKey, r);
    }
    return r;
  };
  const fresh = (o: StoredObservation) => {
    const lifetime = settings.lifetime[o.source];
    return lifetime === undefined || now.getTime() - o.lastSeen.getTime() <= lifetime;
  };
  const ordered = (attribute: string | undefined) =>
    [...pool].sort(
      (a, b) =>
        rank(a.source, attribute) - rank(b.source, attribute) ||
        a.source.localeCompare(b.source) ||
        b.lastSeen.getTime() - a.lastSeen.getTime() ||
        a.scope.localeCompare(b.scope) ||
        a.ref.localeCompare(b.ref),
    );
  const pick = <T>(attribute: string | undefined, get: (o: StoredObservation) => T | undefined | null): T | undefined => {
    let fallback: T | undefined;
    for (const o of ordered(attribute)) {
      const value = get(o);
      if (value === undefined || value === null) continue;
      if (fresh(o)) return value;
      if (fallback === undefined) fallback = value;
    }
    return fallback;
  };

  const attributeNames = new Set<string>();
  for (const o of pool) for (const k of Object.keys(o.attributes)) attributeNames.add(k);
  const attributes: Record<string, unknown> = {};
  for (const name of [...attributeNames].sort()) {
    const value = pick(name, (o) => o.attributes[name]);
    if (value !== undefined) attributes[name] = value;
  }

  const byDefault = ordered(undefined);
  let type: CiType = byDefault[0]?.type ?? "generic";
  for (const o of byDefault) if (typeSpecificity(o.type) > typeSpecificity(type)) type = o.type;

  const out: EffectiveValues = {
    type,
    name: pick("name", (o) => o.fields.name) ?? byDefault[0]?.ref ?? "",
    environment: null,
    provider: null,
    region: null,
    zone: null,
    owner: null,
    tags: pick("tags", (o) => (o.fields.tags && Object.keys(o.fields.tags).length > 0 ? o.fields.tags : undefined)) ?? {},
    attributes,
  };
  for (const field of FIELDS) out[field] = pick(field, (o) => o.fields[field]) ?? null;
  return out;
}
