import type { Command } from "commander";
import { registerAnsible } from "./ansible.js";
import { registerQueries } from "./ci.js";
import { registerDemo } from "./demo.js";
import { registerDiscover } from "./discover.js";
import { registerIngest } from "./ingest.js";
import { registerScope } from "./scope.js";
import { registerSnapshot } from "./snapshot.js";

/**
 * Every command group registers here. Group files only declare options; the work is imported
 * lazily inside each action, so `cmdb --version` loads none of the heavy dependencies.
 */
export function registerCommands(program: Command): void {
  registerIngest(program);
  registerDiscover(program);
  registerQueries(program);
  registerSnapshot(program);
  registerScope(program);
  registerDemo(program);
  registerAnsible(program);
}
