import { isIP } from "node:net";
import { parseDuration } from "../../config/duration.js";
import { KEY } from "../../model/attributes.js";
import { type IdentityKey, parseKey, strong } from "../../model/keys.js";
import type { Observation, ObservationBatch, RelationshipDraft } from "../../model/observation.js";
import type { VaultSnapshot } from "./get.js";
import { type BwItem, ITEM_TYPES, type ItemType, itemSchema } from "./schema.js";

export const SOURCE = "bitwarden";
export const ITEM_KEY = "bitwarden.item";

/** Custom fields whose (text) values are metadata this source reads; every other field is ignored. */
export const FIELD = {
  owner: "owner",
  rotationDays: "rotation_days",
  rotateEvery: "rotate_every",
  lastRotated: "last_rotated",
  expires: "expires",
  cmdbCi: "cmdb_ci",
} as const;

/** Item types that are infrastructure credentials; cards and identities are not. */
const CREDENTIAL_TYPES: ReadonlySet<ItemType> = new Set(["login", "secure_note", "ssh_key"]);

export type RotationBasis = "password_revision" | "password_history" | "last_rotated_field" | "created";

/**
 * A link the credential makes: the systems it opens. `candidates` are keys from most to least
 * specific (an FQDN before its short host name); the first that names exactly one CI is drawn.
 */
export interface LinkCandidate {
  from: string;
  /** The text that named it, for warnings: a URI's host or a cmdb_ci value. */
  target: string;
  candidates: string[];
  /** A cmdb_ci value that is neither a key nor an IP/host: a CI id or name, looked up in the store. */
  ciReference?: string;
}

export interface TransformResult {
  batch: ObservationBatch;
  links: LinkCandidate[];
  skipped: { card: number; identity: number; deleted: number; unknown: number };
}

/**
 * Bitwarden items to credential observations: metadata only. The values of passwords, TOTP seeds,
 * hidden fields, notes, private keys and card or identity data are never read from the item; of
 * custom fields only the named metadata fields (text or boolean) are.
 */
export function toBatch(snapshot: VaultSnapshot): TransformResult {
  const folders = new Map(snapshot.folders.map((f) => [f.id, f.name]));
  const collections = new Map(snapshot.collections.map((c) => [c.id, c.name]));
  const organizations = new Map(snapshot.organizations.map((o) => [o.id, o.name]));
  const observations: Observation[] = [];
  const links: LinkCandidate[] = [];
  const warnings: string[] = [];
  const skipped = { card: 0, identity: 0, deleted: 0, unknown: 0 };
  snapshot.items.forEach((raw, index) => {
    const parsed = itemSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const id = typeof (raw as { id?: unknown })?.id === "string" ? ` (${(raw as { id: string }).id})` : "";
      warnings.push(`items[${index}]${id}: ${issue.path.join(".") || "item"}: ${issue.message}; skipped`);
      skipped.unknown++;
      return;
    }
    const item = parsed.data;
    const type = ITEM_TYPES[item.type as keyof typeof ITEM_TYPES] as ItemType | undefined;
    if (item.deletedDate) {
      skipped.deleted++;
      return;
    }
    if (type === "card" || type === "identity") {
      skipped[type]++;
      return;
    }
    if (!type || !CREDENTIAL_TYPES.has(type)) {
      skipped.unknown++;
      warnings.push(`item ${JSON.stringify(item.name)} (${item.id}): unknown item type ${item.type}; skipped`);
      return;
    }
    const said = (message: string) => warnings.push(`item ${JSON.stringify(item.name)} (${item.id}): ${message}`);
    const { observation, itemLinks } = credential(item, type, { folders, collections, organizations }, said);
    observations.push(observation);
    links.push(...itemLinks);
  });
  const filter = Object.entries(snapshot.filter)
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const counted = Object.entries(skipped)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  return {
    batch: {
      source: SOURCE,
      scope: `${SOURCE}:${snapshot.account}${filter ? `?${filter}` : ""}`,
      complete: true,
      observations,
      relationships: [],
      meta: { via: snapshot.via, account: snapshot.account, ...snapshot.filter, skipped, ...(snapshot.version ? { bwVersion: snapshot.version } : {}) },
      warnings: counted.length > 0 ? [`skipped (not infrastructure credentials or in the trash): ${counted.join(", ")}`, ...warnings] : warnings,
    },
    links,
    skipped,
  };
}

interface Names {
  folders: Map<string | null, string>;
  collections: Map<string, string>;
  organizations: Map<string, string>;
}

function credential(item: BwItem, type: ItemType, names: Names, warn: (message: string) => void): { observation: Observation; itemLinks: LinkCandidate[] } {
  const field = (name: string): string | undefined => {
    const f = item.fields?.find((x) => x.name?.trim().toLowerCase() === name && (x.type === 0 || x.type === 2 || x.type === null || x.type === undefined));
    const value = f?.value?.trim();
    return value ? value : undefined;
  };
  const date = (value: string | null | undefined, what: string): string | undefined => {
    if (!value) return undefined;
    const time = Date.parse(value);
    if (Number.isNaN(time)) {
      warn(`${what} ${JSON.stringify(value.slice(0, 40))} is not a date; ignored`);
      return undefined;
    }
    return new Date(time).toISOString();
  };
  const created = date(item.creationDate, "creationDate");
  const rotation = lastRotation(item, field(FIELD.lastRotated), created, date);
  const expires = date(field(FIELD.expires), `custom field ${FIELD.expires}`);
  const policy = rotationDays(field(FIELD.rotationDays), field(FIELD.rotateEvery), warn);
  const folder = item.folderId ? (names.folders.get(item.folderId) ?? item.folderId) : undefined;
  const collections = (item.collectionIds ?? []).filter((c): c is string => typeof c === "string").map((c) => names.collections.get(c) ?? c);
  const organization = item.organizationId ? (names.organizations.get(item.organizationId) ?? item.organizationId) : undefined;
  const uris = (item.login?.uris ?? []).map((u) => u.uri?.trim()).filter((u): u is string => !!u);
  const owner = field(FIELD.owner);
  const ref = item.id;
  const itemLinks: LinkCandidate[] = [];
  const seen = new Set<string>();
  for (const uri of uris) {
    const host = hostOf(uri);
    if (!host || seen.has(host)) continue;
    seen.add(host);
    itemLinks.push({ from: ref, target: host, candidates: hostKeys(host) });
  }
  for (const value of (field(FIELD.cmdbCi) ?? "").split(/[,\s]+/).filter(Boolean)) {
    if (seen.has(value)) continue;
    seen.add(value);
    itemLinks.push(ciLink(ref, value));
  }
  const keys: IdentityKey[] = [strong(ITEM_KEY, item.id)];
  const observation: Observation = {
    ref,
    type: "credential",
    name: item.name,
    provider: SOURCE,
    ...(owner ? { owner } : {}),
    keys,
    attributes: clean({
      bitwarden_id: item.id,
      item_type: type,
      folder,
      collections: collections.length > 0 ? collections.sort() : undefined,
      organization,
      username: item.login?.username || undefined,
      uris: uris.length > 0 ? uris.map(safeUri) : undefined,
      ssh_key_fingerprint: item.sshKey?.keyFingerprint || undefined,
      created,
      last_rotated: rotation?.at,
      last_rotated_from: rotation?.basis,
      rotation_days: policy,
      expires,
    }),
  };
  return { observation, itemLinks };
}

/**
 * The last rotation: login.passwordRevisionDate, else the newest passwordHistory[].lastUsedDate, else
 * a `last_rotated` custom field, else the creation date. Never revisionDate, which any save changes.
 */
export function lastRotation(
  item: Pick<BwItem, "login" | "passwordHistory">,
  lastRotatedField: string | undefined,
  created: string | undefined,
  date: (value: string | null | undefined, what: string) => string | undefined,
): { at: string; basis: RotationBasis } | undefined {
  const revision = date(item.login?.passwordRevisionDate, "login.passwordRevisionDate");
  if (revision) return { at: revision, basis: "password_revision" };
  const history = (item.passwordHistory ?? [])
    .map((h, i) => date(h.lastUsedDate, `passwordHistory[${i}].lastUsedDate`))
    .filter((d): d is string => d !== undefined)
    .sort();
  if (history.length > 0) return { at: history[history.length - 1]!, basis: "password_history" };
  const field = date(lastRotatedField, `custom field ${FIELD.lastRotated}`);
  if (field) return { at: field, basis: "last_rotated_field" };
  return created ? { at: created, basis: "created" } : undefined;
}

/** `rotation_days: 30`, or `rotate_every: 30d` / `12w` / `30`: whole days. */
function rotationDays(days: string | undefined, every: string | undefined, warn: (message: string) => void): number | undefined {
  if (days !== undefined) {
    const n = Number(days);
    if (Number.isInteger(n) && n > 0) return n;
    warn(`custom field ${FIELD.rotationDays} ${JSON.stringify(days.slice(0, 20))} is not a whole number of days; ignored`);
  }
  if (every !== undefined) {
    const ms = /^\d+$/.test(every) ? Number(every) * 86_400_000 : parseDuration(every);
    if (ms !== undefined && ms >= 86_400_000) return Math.round(ms / 86_400_000);
    warn(`custom field ${FIELD.rotateEvery} ${JSON.stringify(every.slice(0, 20))} is not a period such as 90d or 12w; ignored`);
  }
  return undefined;
}

/** The host a URI names, lower-cased: `https://pve.lab:8006/x` → `pve.lab`, `10.0.0.5` → `10.0.0.5`. */
export function hostOf(uri: string): string | undefined {
  // App URIs name an app, not a host.
  if (/^(androidapp|iosapp):/i.test(uri)) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? uri : `ssh://${uri}`;
  let host: string;
  try {
    host = new URL(withScheme).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  host = host.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  if (!host || host === "localhost" || host === "127.0.0.1" || host === "::1") return undefined;
  return host;
}

/** Keys a host name may be known by, most specific first. */
export function hostKeys(host: string): string[] {
  if (isIP(host)) return [`${KEY.ip}:${host}`];
  if (!host.includes(".")) return [`${KEY.hostname}:${host}`];
  return [`${KEY.fqdn}:${host}`, `${KEY.hostname}:${host}`, `${KEY.hostname}:${host.slice(0, host.indexOf("."))}`];
}

function ciLink(from: string, value: string): LinkCandidate {
  const host = isIP(value) ? value : undefined;
  if (host) return { from, target: value, candidates: hostKeys(host) };
  const key = parseKey(value);
  if (key && /^[a-z][a-z0-9.-]*$/.test(key.scheme)) return { from, target: value, candidates: [value] };
  return { from, target: value, candidates: [], ciReference: value };
}

/** A URI without user info, query or fragment: those may carry secrets. */
function safeUri(uri: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri.replace(/^[^@/]*@/, "").replace(/[?#].*$/, "");
  try {
    const u = new URL(uri);
    if (u.protocol === "http:" || u.protocol === "https:" || u.host) {
      u.username = "";
      u.password = "";
      u.search = "";
      u.hash = "";
      return u.toString();
    }
    return `${u.protocol}(opaque)`;
  } catch {
    return uri.replace(/^[^@/]*@/, "").replace(/[?#].*$/, "");
  }
}

function clean(attrs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined));
}

/**
 * The edges to draw: for each link, the first candidate key that exactly one CI carries, else the
 * most specific candidate, kept pending until a source reports it. `owners` counts CIs per key;
 * `resolved` gives the key found in the store for a CI id or name (cmdb_ci).
 */
export function chooseLinks(
  links: LinkCandidate[],
  owners: ReadonlyMap<string, number>,
  resolved: ReadonlyMap<string, string | undefined> = new Map(),
): { relationships: RelationshipDraft[]; warnings: string[] } {
  const relationships: RelationshipDraft[] = [];
  const warnings: string[] = [];
  const drawn = new Set<string>();
  for (const link of links) {
    let key: string | undefined;
    if (link.ciReference !== undefined) {
      key = resolved.get(link.ciReference);
      if (!key) {
        warnings.push(`credential ${link.from}: ${FIELD.cmdbCi} ${JSON.stringify(link.ciReference)} names no CI (an id, a key such as hostname:web1, or a unique name)`);
        continue;
      }
    } else {
      key = link.candidates.find((k) => owners.get(k) === 1) ?? link.candidates[0];
    }
    if (!key || drawn.has(`${link.from}\u0000${key}`)) continue;
    drawn.add(`${link.from}\u0000${key}`);
    relationships.push({ type: "AUTHENTICATES_TO", from: link.from, to: { key } });
  }
  return { relationships, warnings };
}
