import type { Command } from "commander";
import { registerAnsible } from "./ansible.js";
import { registerQueries } from "./ci.js";
import { registerDemo } from "./demo.js";
import { registerDiagram } from "./diagram.js";
import { registerDiscover } from "./discover.js";
import { registerDrift } from "./drift.js";
import { registerIdentity } from "./identity.js";
import { registerGraph } from "./graph.js";
import { registerIngest } from "./ingest.js";
import { registerRotation } from "./rotation.js";
import { registerReport } from "./report.js";
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
  registerIdentity(program);
  registerSnapshot(program);
  registerDiagram(program);
  registerReport(program);
  registerScope(program);
  registerDemo(program);
  registerAnsible(program);
  registerDrift(program);
  registerRotation(program);
  registerGraph(program);
}
