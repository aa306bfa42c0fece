import { ansibleSource } from "./ansible/index.js";
import { ec2Source } from "./aws/index.js";
import { bitwardenSource } from "./bitwarden/index.js";
import type { SourceDefinition } from "./contract.js";
import { proxmoxSource } from "./proxmox/index.js";
import { sshSource } from "./ssh/index.js";
import { terraformSource } from "./terraform/index.js";

/**
 * Every source (src/sources/contract.ts): `cmdb ingest <name>`, `cmdb discover`, the configuration's
 * `sources:` section, the default precedence and the library read this list. Adding a source is its
 * folder and one line here. The order is the order of `cmdb ingest --help` and the order in which
 * `cmdb discover` lands what it collected: what others point at first.
 */
export const SOURCES = [terraformSource, proxmoxSource, ec2Source, sshSource, ansibleSource, bitwardenSource] as const satisfies readonly SourceDefinition[];

export function sourceNamed(name: string): SourceDefinition | undefined {
  return (SOURCES as readonly SourceDefinition[]).find((s) => s.name === name);
}

/** The sources `cmdb discover` collects: those with a section in the configuration, in the order they land. */
export function discoveredSources(): SourceDefinition[] {
  return (SOURCES as readonly SourceDefinition[]).filter((s) => s.config !== undefined);
}
