import type { Command } from "commander";

/**
 * Every command group registers here. Group files only declare options; the work is imported
 * lazily inside each action, so `cmdb --version` loads none of the heavy dependencies.
 */
export function registerCommands(program: Command): void {
  void program;
}
