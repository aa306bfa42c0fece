import { DEFAULT_CONFIG_FILE, loadConfig } from "../config/load.js";
import { reconcileSettings } from "../config/schema.js";
import { discoveredSources } from "../sources/registry.js";
import { SecretResolver } from "../secrets/index.js";
import { isServerUrl, openEngine, resolveDbLocation } from "../store/engine.js";
import { Store } from "../store/store.js";
import { UsageError } from "../util/errors.js";
import { createProgress } from "./progress.js";
import { runDiscovery } from "./run.js";
import { renderSummary } from "./summary.js";
import type { DiscoverContext, LiveTask } from "./task.js";

/** The global options a live run reads (`cmdb --db X --config Y …`). */
export interface LiveGlobals {
  db?: string;
  config?: string;
}

/**
 * Opens the store, builds the tasks, runs them with progress on stderr, prints the summary (or
 * JSON) on stdout with every secret scrubbed, and sets exit code 1 when something failed.
 */
export async function runLive(g: LiveGlobals, json: boolean, build: (ctx: DiscoverContext) => Promise<LiveTask[]>): Promise<void> {
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
  const context: DiscoverContext = {
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
export async function discoverTasks(ctx: DiscoverContext, only: string[]): Promise<LiveTask[]> {
  const sources = ctx.config.sources;
  const registered = discoveredSources();
  const known = registered.map((s) => s.name);
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
  for (const source of registered) {
    const section = (sources as Record<string, unknown>)[source.name];
    if (!wanted(source.name) || section === undefined) continue;
    const implementation = await source.load();
    if (implementation.discover) tasks.push(...(await implementation.discover(section, `${ctx.configPath}: sources.${source.name}`, ctx)));
  }
  if (tasks.length === 0) throw new UsageError(`the configuration names none of the sources asked for (${only.join(", ")})`, { where: ctx.configPath });
  return tasks;
}
