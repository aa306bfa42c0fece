import { DEFAULT_CONFIG_FILE, loadConfig } from "../config/load.js";
import { reconcileSettings } from "../config/schema.js";
import { type Ec2Entry, entries, type ProxmoxEntry } from "../config/sources.js";
import { ec2Task } from "../ingest/ec2.js";
import { proxmoxTask } from "../ingest/proxmox.js";
import { type SshOverrides, sshConfigFor, sshTask } from "../ingest/ssh.js";
import { discoveredSources } from "../sources/registry.js";
import { SecretResolver } from "../secrets/index.js";
import { proxmoxConfigSchema } from "../sources/proxmox/schema.js";
import { isServerUrl, openEngine, resolveDbLocation } from "../store/engine.js";
import { Store } from "../store/store.js";
import { UsageError } from "../util/errors.js";
import { createProgress } from "./progress.js";
import { runDiscovery } from "./run.js";
import { renderSummary } from "./summary.js";
import type { DiscoverContext, LiveTask } from "./task.js";

type BuildContext = DiscoverContext;

/** The global options a live run reads (`cmdb --db X --config Y …`). */
export interface LiveGlobals {
  db?: string;
  config?: string;
}

/**
 * Opens the store, builds the tasks, runs them with progress on stderr, prints the summary (or
 * JSON) on stdout with every secret scrubbed, and sets exit code 1 when something failed.
 */
export async function runLive(g: LiveGlobals, json: boolean, build: (ctx: BuildContext) => Promise<LiveTask[]>): Promise<void> {
  const { config, path } = loadConfig(g.config);
  // The store opens only once the command line and configuration proved right. A server store
  // opens while the sources are read; PGlite runs on this thread, and its initdb would stall the
  // collection's event loop, so it opens first (measured: overlapping made the benchmark slower).
  const location = resolveDbLocation(g.db ?? config.database);
  let opening: Promise<Store> | undefined;
  const openStore = (): Promise<Store> => {
    opening ??= openEngine(location).then((engine) => Store.open(engine));
    return opening;
  };
  const resolver = new SecretResolver();
  const context: BuildContext = {
    store: openStore,
    config,
    configPath: path ?? DEFAULT_CONFIG_FILE,
    configFound: path !== undefined,
    resolver,
    env: process.env,
  };
  const abort = new AbortController();
  try {
    const tasks = await build(context);
    const store = openStore();
    store.catch(() => undefined);
    if (!isServerUrl(location)) await store;
    const progress = createProgress(tasks.map((t) => t.label));
    const report = await runDiscovery(tasks, { store, settings: reconcileSettings(config), progress, scrub: (text) => resolver.scrub(text), signal: abort.signal });
    process.stdout.write(resolver.scrub(json ? `${JSON.stringify(report, null, 2)}\n` : renderSummary(report)));
    if (!report.ok) process.exitCode = report.exitCode;
  } catch (error) {
    abort.abort(error);
    throw error;
  } finally {
    await opening?.then((store) => store.close()).catch(() => undefined);
  }
}

/** `cmdb discover`: every source the configuration names. */
export async function discoverTasks(ctx: BuildContext, only: string[]): Promise<LiveTask[]> {
  const sources = ctx.config.sources;
  const registered = discoveredSources();
  const known = ["proxmox", "ec2", "ssh", ...registered.map((s) => s.name)];
  for (const o of only) if (!known.includes(o)) throw new UsageError(`--only: unknown source ${JSON.stringify(o)} (one of ${known.join(", ")})`);
  const wanted = (name: string) => only.length === 0 || only.includes(name);
  if (!ctx.configFound) {
    throw new UsageError(`no configuration file: ${ctx.configPath} is not here, and neither --config nor CMDB_CONFIG names one`, {
      hint: "write a cmdb.config.yaml with a sources: section; see examples/cmdb.config.yaml",
    });
  }
  if (!sources || Object.keys(sources).length === 0) {
    throw new UsageError("the configuration names no sources to discover", {
      where: ctx.configPath,
      hint: `add a sources: section (${known.join(", ")}); see examples/cmdb.config.yaml`,
    });
  }
  const tasks: LiveTask[] = [];
  const at = (name: string, value: unknown, i: number) => `${ctx.configPath}: sources.${name}${Array.isArray(value) ? `[${i}]` : ""}`;
  if (wanted("proxmox")) tasks.push(...entries(sources.proxmox).map((entry, i) => proxmoxTask({ entry, where: at("proxmox", sources.proxmox, i), resolver: ctx.resolver })));
  if (wanted("ec2")) tasks.push(...entries(sources.ec2).map((entry, i) => ec2Task({ entry, where: at("ec2", sources.ec2, i), env: ctx.env })));
  if (wanted("ssh") && sources.ssh) {
    const { config, warnings } = await sshConfigFor(ctx.store, sources.ssh, {}, `${ctx.configPath}: sources.ssh`);
    tasks.push(sshTask(config, warnings));
  }
  for (const source of registered) {
    const section = (sources as Record<string, unknown>)[source.name];
    if (!wanted(source.name) || section === undefined) continue;
    const implementation = await source.load();
    if (implementation.discover) tasks.push(...(await implementation.discover(section, `${ctx.configPath}: sources.${source.name}`, ctx)));
  }
  if (tasks.length === 0) throw new UsageError(`the configuration names none of the sources asked for (${only.join(", ")})`, { where: ctx.configPath });
  return tasks;
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
export async function proxmoxTasks(ctx: BuildContext, flags: ProxmoxFlags): Promise<LiveTask[]> {
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
  const configured = ctx.config.sources?.proxmox;
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

export interface Ec2Flags {
  region: string[];
  profile?: string;
  concurrency?: number;
}

/** `cmdb ingest ec2`: the configuration's accounts (or the default credential chain's), with --region / --profile / --concurrency over them. */
export async function ec2Tasks(ctx: BuildContext, flags: Ec2Flags): Promise<LiveTask[]> {
  const configured = ctx.config.sources?.ec2;
  let list = entries(configured).map((entry, i) => ({ entry, where: `${ctx.configPath}: sources.ec2${Array.isArray(configured) ? `[${i}]` : ""}` }));
  if (flags.profile) list = list.filter(({ entry }) => entry.profile === flags.profile);
  if (list.length === 0) list = [{ entry: flags.profile ? { profile: flags.profile } : {}, where: "command line" }];
  return list.map(({ entry, where }) => {
    const merged: Ec2Entry = {
      ...entry,
      ...(flags.region.length > 0 ? { regions: flags.region } : {}),
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    };
    return ec2Task({ entry: merged, where, env: ctx.env });
  });
}

/** `cmdb ingest ssh`: hosts from --host, else the configuration; plus the CMDB's with --from-cmdb. */
export async function sshTasks(ctx: BuildContext, overrides: SshOverrides): Promise<LiveTask[]> {
  const { config, warnings } = await sshConfigFor(ctx.store, ctx.config.sources?.ssh, overrides, `${ctx.configPath}: sources.ssh`);
  if (config.hosts.length === 0 && overrides.fromCmdb === undefined) {
    throw new UsageError("no SSH hosts to collect", { hint: "name hosts with --host user@host:port, sources.ssh.hosts in the configuration, or --from-cmdb" });
  }
  return [sshTask(config, warnings)];
}
