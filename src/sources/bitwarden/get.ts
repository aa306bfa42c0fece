import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { z } from "zod";
import { CmdbError } from "../../util/errors.js";
import { locateJsonError } from "../terraform/json-error.js";
import {
  type BwRunner,
  bwStatus,
  compareVersions,
  findBw,
  firstLine,
  isSelfHosted,
  LAST_VAULTWARDEN_SAFE,
  runBw,
  VAULTWARDEN_MESSAGE,
  vaultStateError,
  vaultwardenError,
} from "./bw.js";
import {
  type BitwardenConfig,
  type BwCollection,
  type BwStatus,
  type BwFolder,
  type BwOrganization,
  collectionSchema,
  exportSchema,
  folderSchema,
  organizationSchema,
  serveEnvelopeSchema,
  statusSchema,
} from "./schema.js";

/** What one read of a vault returned: raw items (each checked by the transform) and the names around them. */
export interface VaultSnapshot {
  via: "cli" | "serve" | "export";
  /** Whose vault, for the scope: `vault.example.org/alice@example.org`, or `export/<file>`. */
  account: string;
  /** The filters applied, by name where one is known. */
  filter: { organization?: string; collection?: string; folder?: string };
  items: unknown[];
  folders: BwFolder[];
  collections: BwCollection[];
  organizations: BwOrganization[];
  version?: string;
}

export interface ReadOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export async function readVault(config: BitwardenConfig, options: ReadOptions = {}): Promise<VaultSnapshot> {
  if (config.fromExport) return readExport(config.fromExport, config);
  if (config.bwServe) return readServe(config.bwServe, config, options);
  return readCli(config, options);
}

function parseList<S extends z.ZodType>(schema: S, data: unknown, where: string, what: string): z.output<S>[] {
  if (!Array.isArray(data)) throw new CmdbError(`${what} is not a JSON array`, { where });
  return data.map((entry, i) => {
    const parsed = schema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CmdbError(`${what}[${i}]${issue.path.map((p) => `.${String(p)}`).join("")}: ${issue.message}`, { where });
    }
    return parsed.data;
  });
}

/** A name or id given on the command line, as the id Bitwarden filters by. */
function pick<T extends { id: string | null; name: string }>(list: T[], wanted: string | undefined, what: string, where: string): T | undefined {
  if (wanted === undefined) return undefined;
  const byId = list.find((e) => e.id === wanted);
  if (byId) return byId;
  const byName = list.filter((e) => e.name === wanted);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) throw new CmdbError(`more than one ${what} is named ${JSON.stringify(wanted)}`, { where, exitCode: 2, hint: `give its id: ${byName.map((e) => e.id).join(", ")}` });
  throw new CmdbError(`no ${what} is named ${JSON.stringify(wanted)}`, {
    where,
    exitCode: 2,
    hint: list.length > 0 ? `one of: ${list.map((e) => e.name).slice(0, 10).join(", ")}` : `the vault has no ${what}s`,
  });
}

function accountOf(serverUrl: string | null | undefined, user: string | null | undefined): string {
  let host = "bitwarden.com";
  if (serverUrl) {
    try {
      host = new URL(serverUrl).host;
    } catch {
      host = serverUrl;
    }
  }
  return `${host}/${user ?? "unknown"}`;
}

async function readCli(config: BitwardenConfig, options: ReadOptions): Promise<VaultSnapshot> {
  const env = options.env ?? process.env;
  const runner: BwRunner = { command: config.command ?? findBw(env), env, timeoutMs: config.timeout ?? 120_000 };
  const where = "bw";
  const versionAnswer = await runBw(runner, ["--version"], where);
  const version = versionAnswer.code === 0 ? firstLine(versionAnswer.stdout) : undefined;
  const statusAnswer = await runBw(runner, ["status", "--nointeraction"], where);
  let status: BwStatus | undefined;
  try {
    const parsed = statusSchema.safeParse(JSON.parse(statusAnswer.stdout));
    if (parsed.success) status = parsed.data;
  } catch {
    status = undefined;
  }
  if (statusAnswer.code !== 0 || !status) {
    const said = firstLine(statusAnswer.stderr) || firstLine(statusAnswer.stdout);
    throw (
      vaultwardenError(statusAnswer, version, where) ??
      new CmdbError(`\`bw status\` ${statusAnswer.code !== 0 ? "failed" : "did not answer its JSON"}${said ? `: ${said}` : ` (exit ${statusAnswer.code})`}`, {
        where,
        hint: `check that \`${runner.command} status\` works in this shell`,
      })
    );
  }
  const stateError = vaultStateError(status.status, env, `bw (${accountOf(status.serverUrl, status.userEmail)})`);
  if (stateError) {
    if (version && compareVersions(version, "2025.12.0") >= 0 && isSelfHosted(status.serverUrl)) {
      throw new CmdbError(stateError.message, {
        where: stateError.where,
        hint: `${stateError.hint}; against Vaultwarden, bw ${version} may fail to log in or unlock with "User Decryption Options are required": bw ${LAST_VAULTWARDEN_SAFE} works`,
      });
    }
    throw stateError;
  }
  const call = async (args: string[]): Promise<unknown> => {
    options.signal?.throwIfAborted();
    const answer = await runBw(runner, [...args, "--nointeraction"], where);
    if (answer.code !== 0) {
      throw (
        vaultwardenError(answer, version, where) ??
        vaultStateError((await bwStatus(runner, where))?.status, env, where) ??
        new CmdbError(`\`bw ${args.join(" ")}\` failed: ${firstLine(answer.stderr) || firstLine(answer.stdout) || `exit ${answer.code}`}`, { where })
      );
    }
    if (args[0] === "sync") return undefined;
    try {
      return JSON.parse(answer.stdout);
    } catch {
      throw new CmdbError(`\`bw ${args.join(" ")}\` did not answer JSON`, { where });
    }
  };
  options.onProgress?.("syncing the vault");
  await call(["sync"]);
  const organizations = parseList(organizationSchema, await call(["list", "organizations"]), where, "bw list organizations");
  const folders = parseList(folderSchema, await call(["list", "folders"]), where, "bw list folders");
  const collections = parseList(collectionSchema, await call(["list", "collections"]), where, "bw list collections");
  const org = pick(organizations, config.organization, "organization", "--organization");
  const collection = pick(collections, config.collection, "collection", "--collection");
  const folder = pick(folders, config.folder, "folder", "--folder");
  const args = ["list", "items"];
  if (org) args.push("--organizationid", org.id);
  if (collection) args.push("--collectionid", collection.id);
  if (folder) args.push("--folderid", folder.id ?? "null");
  options.onProgress?.("listing items");
  const items = await call(args);
  if (!Array.isArray(items)) throw new CmdbError("`bw list items` did not answer a JSON array", { where });
  return {
    via: "cli",
    account: accountOf(status.serverUrl, status.userEmail ?? status.userId),
    filter: { ...(org ? { organization: org.name } : {}), ...(collection ? { collection: collection.name } : {}), ...(folder ? { folder: folder.name } : {}) },
    items,
    folders,
    collections,
    organizations,
    ...(version ? { version } : {}),
  };
}

async function readServe(base: string, config: BitwardenConfig, options: ReadOptions): Promise<VaultSnapshot> {
  const root = base.replace(/\/+$/, "");
  const where = `bw serve ${root}`;
  const request = async (method: "GET" | "POST", path: string): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${root}${path}`, {
        method,
        headers: { accept: "application/json" },
        signal: options.signal ?? AbortSignal.timeout(config.timeout ?? 120_000),
      });
    } catch (error) {
      throw new CmdbError(`cannot reach bw serve: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`, {
        where,
        hint: "start it with `bw serve` (it listens on localhost:8087) and check the URL",
      });
    }
    const text = await response.text();
    let envelope: z.output<typeof serveEnvelopeSchema>;
    try {
      envelope = serveEnvelopeSchema.parse(JSON.parse(text));
    } catch {
      throw new CmdbError(`${method} ${path} answered HTTP ${response.status} without bw serve's JSON`, { where });
    }
    if (!envelope.success || !response.ok) {
      const said = envelope.message ?? `HTTP ${response.status}`;
      if (VAULTWARDEN_MESSAGE.test(said)) throw vaultwardenError({ stdout: said, stderr: "" }, undefined, where)!;
      if (/vault is locked/i.test(said)) throw vaultStateError("locked", {}, where)!;
      if (/not logged in/i.test(said)) throw vaultStateError("unauthenticated", {}, where)!;
      throw new CmdbError(`${method} ${path} failed: ${firstLine(said)}`, { where });
    }
    return envelope.data;
  };
  const list = async (object: string, query = ""): Promise<unknown> => {
    const data = await request("GET", `/list/object/${object}${query}`);
    return (data as { data?: unknown } | undefined)?.data;
  };
  const statusData = await request("GET", "/status");
  const status = statusSchema.safeParse((statusData as { template?: unknown } | undefined)?.template);
  if (!status.success) throw new CmdbError("GET /status did not answer a status template", { where });
  const stateError = vaultStateError(status.data.status, {}, where);
  if (stateError) {
    throw new CmdbError(stateError.message, { where, hint: status.data.status === "locked" ? "unlock it: POST /unlock to bw serve, or `bw unlock` before `bw serve`" : (stateError.hint ?? "") });
  }
  await request("POST", "/sync");
  const organizations = parseList(organizationSchema, await list("organizations"), where, "organizations");
  const folders = parseList(folderSchema, await list("folders"), where, "folders");
  const collections = parseList(collectionSchema, await list("collections"), where, "collections");
  const org = pick(organizations, config.organization, "organization", "--organization");
  const collection = pick(collections, config.collection, "collection", "--collection");
  const folder = pick(folders, config.folder, "folder", "--folder");
  const query = new URLSearchParams();
  if (org) query.set("organizationId", org.id);
  if (collection) query.set("collectionId", collection.id);
  if (folder) query.set("folderid", folder.id ?? "null");
  const q = query.toString();
  const items = await list("items", q ? `?${q}` : "");
  if (!Array.isArray(items)) throw new CmdbError("GET /list/object/items did not answer a list", { where });
  return {
    via: "serve",
    account: accountOf(status.data.serverUrl, status.data.userEmail ?? status.data.userId),
    filter: { ...(org ? { organization: org.name } : {}), ...(collection ? { collection: collection.name } : {}), ...(folder ? { folder: folder.name } : {}) },
    items,
    folders,
    collections,
    organizations,
  };
}

async function readExport(file: string, config: BitwardenConfig): Promise<VaultSnapshot> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CmdbError(`cannot read the export: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { where: file });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const at = locateJsonError(text);
    throw new CmdbError(`not JSON${at ? `: ${at.expected}` : ""}`, { where: at ? `${file}:${at.line}:${at.column}` : file, hint: "export with `bw export --format json`" });
  }
  if (data !== null && typeof data === "object" && ((data as { encrypted?: unknown }).encrypted === true || (data as { passwordProtected?: unknown }).passwordProtected === true)) {
    throw new CmdbError("this export is encrypted", { where: file, hint: "export unencrypted with `bw export --format json` (keep the file private and delete it after the ingest)" });
  }
  const parsed = exportSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CmdbError(`not a Bitwarden JSON export: at ${issue.path.join(".") || "the top"}: ${issue.message}`, { where: file, hint: "export with `bw export --format json`" });
  }
  const folders = parsed.data.folders ?? [];
  const collections = parsed.data.collections ?? [];
  const folder = pick(folders, config.folder, "folder", "--folder");
  const collection = pick(collections, config.collection, "collection", "--collection");
  return {
    via: "export",
    account: `export/${basename(file)}`,
    filter: { ...(collection ? { collection: collection.name } : {}), ...(folder ? { folder: folder.name } : {}), ...(config.organization ? { organization: config.organization } : {}) },
    items: parsed.data.items.filter((raw) => {
      const item = raw as { folderId?: unknown; collectionIds?: unknown; organizationId?: unknown };
      if (folder && item.folderId !== folder.id) return false;
      if (collection && !(Array.isArray(item.collectionIds) && item.collectionIds.includes(collection.id))) return false;
      if (config.organization && item.organizationId !== config.organization) return false;
      return true;
    }),
    folders,
    collections,
    organizations: [],
  };
}
