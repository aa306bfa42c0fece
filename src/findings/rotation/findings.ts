import { createHash } from "node:crypto";
import { type CredentialFacts, dueOf, type RotationPolicy } from "./policy.js";

/** A system a credential opens, and what depends on it. */
export interface System {
  id: string;
  name: string;
  type: string;
  status: string;
  dependents: { id: string; name: string; type: string; depth: number }[];
}

/** A credential CI as the store holds it: its effective values and the systems its edges reach. */
export interface CredentialCi {
  id: string;
  name: string;
  status: string;
  owner: string | null;
  attributes: Record<string, unknown>;
  systems: System[];
}

export type RotationStatus = "overdue" | "due-soon";

export interface RotationFinding {
  /** Stable per Bitwarden item: the issue of a credential is the same issue in every run. */
  fingerprint: string;
  id: string;
  name: string;
  bitwardenId: string | null;
  itemType: string | null;
  status: RotationStatus;
  due: string;
  lastRotated: string | null;
  lastRotatedFrom: string | null;
  policy: string;
  periodDays: number | null;
  owner: string | null;
  systems: System[];
}

export interface RotationReport {
  asOf: string;
  within: string;
  credentials: RotationFinding[];
  /** Credentials nothing dates (no rotation, creation or expiry date): they can never fall due. */
  undated: { id: string; name: string }[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export function factsOf(attributes: Record<string, unknown>): CredentialFacts {
  const collections = Array.isArray(attributes.collections) ? attributes.collections.filter((c): c is string => typeof c === "string") : undefined;
  const days = attributes.rotation_days;
  const facts: CredentialFacts = {};
  const lastRotated = str(attributes.last_rotated);
  const expires = str(attributes.expires);
  const folder = str(attributes.folder);
  if (lastRotated) facts.lastRotated = lastRotated;
  if (expires) facts.expires = expires;
  if (folder) facts.folder = folder;
  if (collections && collections.length > 0) facts.collections = collections;
  if (typeof days === "number" && days > 0) facts.rotationDays = days;
  return facts;
}

export function rotationFingerprint(credential: Pick<CredentialCi, "id" | "attributes">): string {
  const item = str(credential.attributes.bitwarden_id) ?? credential.id;
  return `credential-rotation:${createHash("sha256").update(`bitwarden.item:${item}`).digest("hex").slice(0, 16)}`;
}

/**
 * Credentials overdue at `asOf`, and those falling due within `withinMs` after it, most urgent
 * first. Pure: the store's credential CIs in, findings out.
 */
export function rotationFindings(credentials: CredentialCi[], policy: RotationPolicy, asOf: Date, withinMs = policy.withinMs): RotationReport {
  const findings: RotationFinding[] = [];
  const undated: RotationReport["undated"] = [];
  const now = asOf.getTime();
  for (const c of credentials) {
    if (c.status !== "active") continue;
    const due = dueOf(factsOf(c.attributes), policy);
    if (!due.due) {
      undated.push({ id: c.id, name: c.name });
      continue;
    }
    const at = Date.parse(due.due);
    const status: RotationStatus | undefined = at <= now ? "overdue" : at <= now + withinMs ? "due-soon" : undefined;
    if (!status) continue;
    findings.push({
      fingerprint: rotationFingerprint(c),
      id: c.id,
      name: c.name,
      bitwardenId: str(c.attributes.bitwarden_id) ?? null,
      itemType: str(c.attributes.item_type) ?? null,
      status,
      due: due.due,
      lastRotated: str(c.attributes.last_rotated) ?? null,
      lastRotatedFrom: str(c.attributes.last_rotated_from) ?? null,
      policy: due.policy,
      periodDays: due.periodDays ?? null,
      owner: c.owner,
      systems: c.systems,
    });
  }
  findings.sort((a, b) => a.due.localeCompare(b.due) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  undated.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return { asOf: asOf.toISOString(), within: `${Math.round(withinMs / 86_400_000)}d`, credentials: findings, undated };
}
