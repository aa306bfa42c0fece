import { z } from "zod";
import { durationSchema } from "../../config/duration.js";

/**
 * What comes from Bitwarden (`bw list …`, `bw serve`, an unencrypted export) as far as this source
 * reads it. Secret-bearing parts (passwords, TOTP seeds, notes, card and identity data, private
 * keys) are not named here: they are never read, so they cannot be kept. Dates stay strings: an
 * unreadable one is a warning for its item, not a failure of the whole vault.
 */
const date = z.string().nullish();

export const ITEM_TYPES = { 1: "login", 2: "secure_note", 3: "card", 4: "identity", 5: "ssh_key" } as const;
export type ItemType = (typeof ITEM_TYPES)[keyof typeof ITEM_TYPES];

export const fieldSchema = z.looseObject({
  name: z.string().nullish(),
  value: z.string().nullish(),
  /** 0 text, 1 hidden, 2 boolean, 3 linked. */
  type: z.number().int().nullish(),
});

export const itemSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  type: z.number().int(),
  organizationId: z.string().nullish(),
  folderId: z.string().nullish(),
  collectionIds: z.array(z.string().nullable()).nullish(),
  creationDate: date,
  revisionDate: date,
  deletedDate: date,
  fields: z.array(fieldSchema).nullish(),
  login: z
    .looseObject({
      username: z.string().nullish(),
      uris: z.array(z.looseObject({ uri: z.string().nullish() })).nullish(),
      passwordRevisionDate: date,
    })
    .nullish(),
  passwordHistory: z.array(z.looseObject({ lastUsedDate: date })).nullish(),
  sshKey: z.looseObject({ keyFingerprint: z.string().nullish() }).nullish(),
});
export type BwItem = z.infer<typeof itemSchema>;

export const folderSchema = z.looseObject({ id: z.string().nullable(), name: z.string() });
export const collectionSchema = z.looseObject({ id: z.string(), name: z.string(), organizationId: z.string().nullish() });
export const organizationSchema = z.looseObject({ id: z.string(), name: z.string() });
export type BwFolder = z.infer<typeof folderSchema>;
export type BwCollection = z.infer<typeof collectionSchema>;
export type BwOrganization = z.infer<typeof organizationSchema>;

export const statusSchema = z.looseObject({
  serverUrl: z.string().nullish(),
  lastSync: z.string().nullish(),
  userEmail: z.string().nullish(),
  userId: z.string().nullish(),
  status: z.enum(["unlocked", "locked", "unauthenticated"]),
});
export type BwStatus = z.infer<typeof statusSchema>;

/** `bw export --format json` without a password: individual vaults (folders) and organizations (collections). */
export const exportSchema = z.looseObject({
  encrypted: z.boolean().optional(),
  folders: z.array(folderSchema).nullish(),
  collections: z.array(collectionSchema).nullish(),
  items: z.array(z.unknown()),
});

/** `bw serve`'s envelope: `{ success, data }` or `{ success: false, message }`. */
export const serveEnvelopeSchema = z.looseObject({
  success: z.boolean(),
  message: z.string().nullish(),
  data: z.unknown().optional(),
});

/** Where and what to read; every field optional, the CLI's defaults apply. */
export const bitwardenConfigSchema = z.strictObject({
  organization: z.string().min(1).optional().describe("only this organization's items (name or id)"),
  collection: z.string().min(1).optional().describe("only this collection's items (name or id)"),
  folder: z.string().min(1).optional().describe("only this folder's items (name or id)"),
  bwServe: z.url().optional().describe("read through a running `bw serve` at this URL instead of the bw CLI"),
  fromExport: z.string().min(1).optional().describe("read an unencrypted JSON export (bw export --format json) instead"),
  command: z.string().min(1).optional().describe("the bw executable (default: bw on PATH, else node_modules/.bin/bw)"),
  timeout: durationSchema.optional().describe("per bw call (default 120s)"),
});
export type BitwardenConfig = z.output<typeof bitwardenConfigSchema>;
