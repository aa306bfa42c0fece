import type { Command } from "commander";
import { loadConfig } from "../config/load.js";
import { type ReconcileSettings, reconcileSettings } from "../config/schema.js";
import type { ConfigFile } from "../config/schema.js";
import { openEngine, resolveDbLocation } from "../store/engine.js";
import { Store } from "../store/store.js";
import { globals } from "./context.js";

export interface CommandContext {
  store: Store;
  config: ConfigFile;
  settings: ReconcileSettings;
}

/** Opens the store the global options name (migrating it), runs `fn`, and always closes it. */
export async function withStore<T>(command: Command, fn: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const g = globals(command);
  const { config } = loadConfig(g.config);
  const location = resolveDbLocation(g.db ?? config.database);
  const store = await Store.open(await openEngine(location));
  try {
    return await fn({ store, config, settings: reconcileSettings(config) });
  } finally {
    await store.close();
  }
}
