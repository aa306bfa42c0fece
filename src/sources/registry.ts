import { bitwardenSource } from "./bitwarden/index.js";
import type { SourceDefinition } from "./contract.js";

/**
 * The sources that follow the folder contract (src/sources/contract.ts): `cmdb ingest <name>` and
 * the library read this list. Adding a source is its folder and one line here.
 */
export const SOURCES: readonly SourceDefinition[] = [bitwardenSource];

export function sourceNamed(name: string): SourceDefinition | undefined {
  return SOURCES.find((s) => s.name === name);
}
