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

/**
 * Opens the store the global options name (migrating it), runs `fn`, and always closes it. A command
 * that only reads passes `existing`: where there is no store it says so instead of creating one.
 */
export async function withStore<T>(command: Command, fn: (ctx: CommandContext) => Promise<T>, options: { existing?: boolean } = {}): Promise<T> {
  const g = globals(command);
  const { config } = loadConfig(g.config);
  const location = resolveDbLocation(g.db ?? config.database);
  const existing = options.existing === true;
  const store = await Store.open(await openEngine(location, { existing }), { existing });
  try {
    return await fn({ store, config, settings: reconcileSettings(config) });
  } finally {
    await store.close();
  }
}
