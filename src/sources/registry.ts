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

/** The records that rank in the default precedence, lowest `precedence` first (src/config/schema.ts adds `import` last). */
export function defaultPrecedence(): string[] {
  const ranked = (SOURCES as readonly SourceDefinition[]).flatMap((s) => s.records).filter((r) => r.precedence !== undefined);
  return ranked.sort((a, b) => a.precedence! - b.precedence!).map((r) => r.name);
}

/** The records that observe what runs (`live`): drift and the health report take them as discovery. */
export function liveRecords(): string[] {
  return (SOURCES as readonly SourceDefinition[]).flatMap((s) => s.records).filter((r) => r.live === true).map((r) => r.name);
}
