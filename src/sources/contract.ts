import type { ObservationBatch } from "../model/observation.js";
import type { CollectError, CollectOptions } from "./collect.js";

/**
 * The contract of a source folder (`src/sources/<name>/index.ts`): what the CLI, the library and
 * the registry need to know of it. The definition is light (names, options, variables); the code
 * that reads and transforms loads on first use, so that `cmdb --help` stays fast.
 */
export interface SourceOption {
  /** As commander takes it: `--folder <name>`. */
  flags: string;
  description: string;
}

/** What the store knows of keys, for sources whose edges name CIs other sources report. */
export interface KeyLookup {
  /** How many CIs carry each key now. */
  owners(keys: string[]): Promise<Map<string, number>>;
  /** A key that exactly the CI with this id carries, else the key of the one active CI of this name. */
  keyOfCi(idOrName: string): Promise<string | undefined>;
}

export interface SourceCollected {
  batches: ObservationBatch[];
  errors: CollectError[];
  /** What `link` needs besides the batches (the source's own shape). */
  linkState?: unknown;
}

/** One configured collection: what `cmdb ingest <name>` runs. */
export interface SourceRun {
  collect(options: CollectOptions & { env?: NodeJS.ProcessEnv }): Promise<SourceCollected>;
  /** Draws the batches' edges to CIs of other sources, with what the store knows (optional). */
  link?(collected: SourceCollected, lookup: KeyLookup): Promise<SourceCollected>;
}

export interface SourceImplementation {
  /** From the CLI's options (commander's camelCase object), checked: throws UsageError. */
  fromOptions(options: Record<string, unknown>): SourceRun;
  /** From its section of cmdb.config.yaml (`sources.<name>`), for `cmdb discover`; `where` names it in errors. */
  fromConfig(section: unknown, where: string): SourceRun;
}

export interface SourceDefinition {
  name: string;
  /** For `cmdb ingest <name> --help`. */
  description: string;
  /** Environment variables it reads, with what each is. */
  env: Record<string, string>;
  /** Options of `cmdb ingest <name>`. */
  options: SourceOption[];
  load(): Promise<SourceImplementation>;
}
