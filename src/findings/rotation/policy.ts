import { z } from "zod";
import { durationSchema } from "../../config/duration.js";

const DAY = 86_400_000;

/** `rotation:` in cmdb.config.yaml: when credentials fall due, and who rotates them. */
export const rotationConfigSchema = z
  .strictObject({
    default: durationSchema.optional().describe("rotation period when an item names none and no folder or collection default applies (default 90d)"),
    folders: z.record(z.string(), durationSchema).optional().describe("rotation period per Bitwarden folder name"),
    collections: z.record(z.string(), durationSchema).optional().describe("rotation period per Bitwarden collection name"),
    within: durationSchema.optional().describe("how far ahead `cmdb rotation` looks for credentials due soon (default 14d)"),
    owners: z.record(z.string(), z.string().regex(/^[A-Za-z0-9-]+$/, "a GitHub login")).optional().describe("an item's owner (its `owner` custom field) to the GitHub login assigned to its rotation issue"),
  })
  .describe("credential rotation (Bitwarden / Vaultwarden items)");

export type RotationConfig = z.output<typeof rotationConfigSchema>;

export interface RotationPolicy {
  defaultMs: number;
  folders: Record<string, number>;
  collections: Record<string, number>;
  withinMs: number;
  owners: Record<string, string>;
}

export const DEFAULT_ROTATION_DAYS = 90;
export const DEFAULT_WITHIN_DAYS = 14;

export function rotationPolicy(config: RotationConfig | undefined): RotationPolicy {
  return {
    defaultMs: config?.default ?? DEFAULT_ROTATION_DAYS * DAY,
    folders: config?.folders ?? {},
    collections: config?.collections ?? {},
    withinMs: config?.within ?? DEFAULT_WITHIN_DAYS * DAY,
    owners: config?.owners ?? {},
  };
}

/** What a credential CI carries that decides when it falls due (the bitwarden source's attributes). */
export interface CredentialFacts {
  lastRotated?: string;
  rotationDays?: number;
  expires?: string;
  folder?: string;
  collections?: string[];
}

export interface Due {
  /** ISO time the credential falls due, or undefined when nothing says when it was last rotated. */
  due?: string;
  /** Where the period came from: `expires`, `item`, `folder:<name>`, `collection:<name>`, `default`. */
  policy: string;
  periodDays?: number;
}

/**
 * The due date: an `expires` field when present; else last rotation plus the period, which is the
 * item's own (`rotation_days` / `rotate_every`), else the strictest default of its folder and
 * collections, else the global default.
 */
export function dueOf(facts: CredentialFacts, policy: RotationPolicy): Due {
  if (facts.expires) return { due: facts.expires, policy: "expires" };
  let period: { ms: number; policy: string };
  if (facts.rotationDays !== undefined) {
    period = { ms: facts.rotationDays * DAY, policy: "item" };
  } else {
    const candidates: { ms: number; policy: string }[] = [];
    if (facts.folder !== undefined && Object.hasOwn(policy.folders, facts.folder)) candidates.push({ ms: policy.folders[facts.folder]!, policy: `folder:${facts.folder}` });
    for (const c of facts.collections ?? []) if (Object.hasOwn(policy.collections, c)) candidates.push({ ms: policy.collections[c]!, policy: `collection:${c}` });
    period = candidates.sort((a, b) => a.ms - b.ms || a.policy.localeCompare(b.policy))[0] ?? { ms: policy.defaultMs, policy: "default" };
  }
  const days = Math.round(period.ms / DAY);
  if (!facts.lastRotated) return { policy: period.policy, periodDays: days };
  return { due: new Date(Date.parse(facts.lastRotated) + period.ms).toISOString(), policy: period.policy, periodDays: days };
}
