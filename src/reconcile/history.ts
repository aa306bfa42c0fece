import type { CiFields, Observation } from "../model/observation.js";
import { sameValue } from "../util/canonical.js";
import type { StoredCi, StoredObservation } from "./types.js";

/** History: what counts as a difference, recorded once per changed leaf. Pure. */
export const FIELD_NAMES = ["name", "environment", "provider", "region", "zone", "owner", "tags"] as const;

export function fieldsOf(obs: Observation): CiFields {
  const fields: CiFields = {};
  for (const name of FIELD_NAMES) {
    const value = obs[name];
    if (value === undefined || value === null || value === "") continue;
    if (name === "tags") {
      if (Object.keys(value as object).length > 0) fields.tags = value as Record<string, string>;
    } else {
      fields[name] = value as string;
    }
  }
  return fields;
}

export function diffObservation(before: StoredObservation, after: StoredObservation, record: (field: string, o: unknown, n: unknown) => void): void {
  if (before.type !== after.type) record("type", before.type, after.type);
  if (!sameValue(before.keys, after.keys)) record("keys", before.keys, after.keys);
  for (const name of FIELD_NAMES) {
    if (!sameValue(before.fields[name], after.fields[name])) record(name, before.fields[name], after.fields[name]);
  }
  diffObjects("attributes", before.attributes, after.attributes, record);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Records each changed leaf by its dotted path, so a one-field change in a nested value is one row, not the whole value. */
function diffObjects(path: string, before: Record<string, unknown>, after: Record<string, unknown>, record: (field: string, o: unknown, n: unknown) => void): void {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of [...names].sort()) {
    const o = before[name];
    const n = after[name];
    if (sameValue(o, n)) continue;
    if (isPlainObject(o) && isPlainObject(n)) diffObjects(`${path}.${name}`, o, n, record);
    else record(`${path}.${name}`, o, n);
  }
}

export function sameCi(a: StoredCi, b: StoredCi): boolean {
  return (
    a.type === b.type &&
    a.name === b.name &&
    a.status === b.status &&
    a.environment === b.environment &&
    a.provider === b.provider &&
    a.region === b.region &&
    a.zone === b.zone &&
    a.owner === b.owner &&
    sameValue(a.tags, b.tags) &&
    sameValue(a.attributes, b.attributes)
  );
}
