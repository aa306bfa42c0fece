import { entries } from "../../config/fields.js";
import type { DiscoverContext, IngestContext, Ingested, LiveTask } from "../../discover/task.js";
import { ingestOne } from "../../discover/task.js";
import type { ObservationBatch } from "../../model/observation.js";
import type { SecretResolver } from "../../secrets/index.js";
import { CmdbError, UsageError } from "../../util/errors.js";
import type { ProxmoxEntry, ProxmoxSection } from "./config.js";
import { type ProxmoxConfig, proxmoxConfigSchema } from "./schema.js";
import { collectProxmox } from "./source.js";
import { SOURCE } from "./transform.js";

export interface ProxmoxTaskOptions {
  /** As written in the configuration: url, tokenId and tokenSecret may be secret references. */
  entry: ProxmoxEntry;
  /** Where the entry came from, for errors: `cmdb.config.yaml: sources.proxmox[0]`, `environment`. */
  where: string;
  resolver: SecretResolver;
}

/** The cluster's own scope (`proxmox:<cluster>`) as opposed to its node scopes (`proxmox:<cluster>/<node>`). */
export const isClusterScope = (scope: string): boolean => scope.startsWith(`${SOURCE}:`) && !scope.slice(SOURCE.length + 1).includes("/");

/** host:port as the source names its endpoint (port 8006 unless given). */
function endpointOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === "http:" ? "80" : "8006")}`;
  } catch {
    return undefined;
  }
}

export function proxmoxTask({ entry, where, resolver }: ProxmoxTaskOptions): LiveTask {
  const literalEndpoint = endpointOf(entry.url);
  const label = `proxmox ${entry.name ?? literalEndpoint?.replace(/:8006$/, "") ?? "cluster"}`;
  let endpoint = literalEndpoint;
  return {
    source: "proxmox",
    label,
    waitingOn: `waiting on ${literalEndpoint ?? "the API"} for the cluster status`,
    async collect({ signal, onProgress }) {
      const config = await resolveProxmox(entry, where, resolver);
      endpoint = endpointOf(config.url);
      return collectProxmox(config, { ...(signal ? { signal } : {}), onProgress: (m) => onProgress(m.replace(/^proxmox: /, "")) });
    },
    ingest: (collected, context) => ingestProxmoxBatches(collected.batches, context),
    async failedScopes(collected, context) {
      if (collected && collected.batches.length > 0) return [];
      const known = await context.store.scopesOf(context.store.engine, SOURCE);
      const clusters = known.filter((s) => isClusterScope(s.scope) && endpoint !== undefined && s.meta.endpoint === endpoint).map((s) => s.scope);
      return clusters.length > 0 ? clusters : [`${SOURCE}:${entry.name ?? endpoint ?? "unknown"}`];
    },
  };
}

/** Resolves the entry's references and checks the result with the source's own schema, naming fields, never values. */
export async function resolveProxmox(entry: ProxmoxEntry, where: string, resolver: SecretResolver): Promise<ProxmoxConfig> {
  const raw = {
    url: await resolver.resolve(entry.url, `${where}.url`),
    tokenId: await resolver.resolve(entry.tokenId, `${where}.tokenId`),
    tokenSecret: await resolver.resolve(entry.tokenSecret, `${where}.tokenSecret`, { secret: true }),
    ...(entry.caFile ? { caFile: entry.caFile } : {}),
    ...(entry.insecure !== undefined ? { insecure: entry.insecure } : {}),
    ...(entry.concurrency !== undefined ? { concurrency: entry.concurrency } : {}),
  };
  const checked = proxmoxConfigSchema.safeParse(raw);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new CmdbError(`${issue.message}`, { where: `${where}.${issue.path.join(".")}` });
  }
  return checked.data;
}

/**
 * Cluster batches first (node batches point at the cluster and its nodes by key), then the node
 * batches, then the node scopes that a complete cluster batch no longer lists (the node left the
 * cluster): an empty complete batch for each, so that what they held is marked gone. A guest that
 * moved off such a node was seen on its new node just before, so its CI stays active.
 */
export async function ingestProxmoxBatches(batches: ObservationBatch[], context: IngestContext): Promise<Ingested> {
  const out: Ingested = { results: [], errors: [] };
  const clusters = batches.filter((b) => isClusterScope(b.scope));
  const nodes = batches.filter((b) => !isClusterScope(b.scope));
  const retire: string[] = [];
  for (const batch of clusters) {
    const result = await ingestOne(batch, context, out);
    if (!result) continue;
    out.results.push(result);
    const listed = batch.meta?.nodeScopes;
    if (result.outcome === "success" && batch.complete && Array.isArray(listed)) {
      const known = await context.store.scopesOf(context.store.engine, SOURCE);
      const current = new Set(listed);
      retire.push(...known.map((s) => s.scope).filter((scope) => scope.startsWith(`${batch.scope}/`) && !current.has(scope)));
    }
  }
  for (const batch of nodes) {
    const result = await ingestOne(batch, context, out);
    if (result) out.results.push(result);
  }
  for (const scope of retire) {
    const cluster = scope.slice(SOURCE.length + 1, scope.lastIndexOf("/"));
    const batch: ObservationBatch = {
      source: SOURCE,
      scope,
      complete: true,
      observations: [],
      relationships: [],
      meta: { cluster, node: scope.slice(scope.lastIndexOf("/") + 1), removedFromCluster: true },
    };
    const result = await ingestOne(batch, context, out);
    if (result) out.results.push(result);
  }
  return out;
}

export interface ProxmoxFlags {
  url?: string;
  tokenId?: string;
  caFile?: string;
  insecure?: boolean;
  concurrency?: number;
  name?: string;
}

/**
 * `cmdb ingest proxmox`: the cluster named by --url or PROXMOX_URL (token from PROXMOX_TOKEN_ID /
 * PROXMOX_TOKEN_SECRET), else the configuration's entries (--name picks one); flags win over both.
 */
export async function proxmoxTasks(ctx: DiscoverContext, flags: ProxmoxFlags): Promise<LiveTask[]> {
  const env = (name: string) => (ctx.env[name] === "" ? undefined : ctx.env[name]);
  const override = (entry: ProxmoxEntry): ProxmoxEntry => ({
    ...entry,
    ...(flags.caFile ? { caFile: flags.caFile } : {}),
    ...(flags.insecure ? { insecure: true } : {}),
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
  });
  const url = flags.url ?? env("PROXMOX_URL");
  if (url) {
    const entry = override({
      url,
      tokenId: flags.tokenId ?? env("PROXMOX_TOKEN_ID") ?? "",
      tokenSecret: env("PROXMOX_TOKEN_SECRET") ?? "",
      ...(env("PROXMOX_CA_FILE") ? { caFile: env("PROXMOX_CA_FILE")! } : {}),
      ...(/^(1|true|yes)$/i.test(env("PROXMOX_INSECURE") ?? "") ? { insecure: true } : {}),
      ...(flags.name ? { name: flags.name } : {}),
    });
    ctx.resolver.remember(entry.tokenSecret);
    const names: Record<string, string> = { url: "--url / PROXMOX_URL", tokenId: "--token-id / PROXMOX_TOKEN_ID", tokenSecret: "PROXMOX_TOKEN_SECRET", caFile: "--ca-file / PROXMOX_CA_FILE" };
    const { name: _label, ...config } = entry;
    const checked = proxmoxConfigSchema.safeParse(config);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const field = String(issue.path[0] ?? "");
      const missing = (config as Record<string, unknown>)[field] === "";
      throw new UsageError(missing ? `${names[field] ?? field} is not set` : `${names[field] ?? field}: ${issue.message}`, {
        where: "environment",
        hint: "set PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET (an API token: Datacenter → Permissions → API Tokens), or name clusters in the configuration's sources.proxmox",
      });
    }
    return [proxmoxTask({ entry, where: "environment", resolver: ctx.resolver })];
  }
  const configured = ctx.config.sources?.proxmox as ProxmoxSection | undefined;
  const list = entries(configured);
  const picked = list.map((entry, i) => ({ entry, i })).filter(({ entry }) => !flags.name || entry.name === flags.name);
  if (picked.length === 0) {
    throw new UsageError(flags.name ? `no sources.proxmox entry is named ${JSON.stringify(flags.name)}` : "no Proxmox cluster to read", {
      where: flags.name ? ctx.configPath : "environment",
      hint: "set PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET, pass --url, or name clusters in the configuration's sources.proxmox",
    });
  }
  return picked.map(({ entry, i }) =>
    proxmoxTask({ entry: override(entry), where: `${ctx.configPath}: sources.proxmox${Array.isArray(configured) ? `[${i}]` : ""}`, resolver: ctx.resolver }),
  );
}
