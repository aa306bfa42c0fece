import type { z } from "zod";
import type { ReconcileSettings } from "../config/schema.js";
import type { DiscoverContext, LiveTask } from "../discover/task.js";
import type { ObservationBatch } from "../model/observation.js";
import type { IngestResult } from "../reconcile/ingest.js";
import type { Store } from "../store/store.js";
import type { CollectError, CollectOptions } from "./collect.js";

/**
 * The contract of a source folder (`src/sources/<name>/index.ts`): what the CLI, `cmdb discover`,
 * the configuration schema and the library need to know of it. The definition is light (names,
 * options, variables); the configuration's schema and the code that reads and transforms load on
 * first use (`config.schema`, `load`), so that `cmdb --help` stays fast.
 */
export interface SourceOption {
  /** As commander takes it: `--folder <name>`. */
  flags: string;
  description: string;
  /** `list`: repeatable, the values collected into an array (default []); `count`: a whole number above 0. */
  value?: "list" | "count";
}

/** A positional argument of `cmdb ingest <name>`, as commander takes it: `[state]`, `<path>`. */
export interface SourceArgument {
  name: string;
  description: string;
  default?: string;
}

/** One `cmdb ingest <name>` command. */
export interface IngestCommand {
  name: string;
  /** For `cmdb ingest <name> --help`. */
  description: string;
  argument?: SourceArgument;
  /** Options of `cmdb ingest <name>` (the CLI adds `--json`). */
  options: readonly SourceOption[];
  /** What the command prints: the runs' results (one per scope), or the summary of a live collection. */
  output: "runs" | "summary";
}

/** One kind of observation a source writes: the `source` its observations and scopes carry. */
export interface SourceRecord {
  name: string;
  /** How its scopes are named, e.g. `terraform:<workspace>`. */
  scopes: string;
  /**
   * Its place in the default precedence (reconcile.precedence.default): lower wins. Live discovery
   * (10–39) over facts (40–59) over declared IaC (60–69) over inventory variables (70–); none: last.
   */
  precedence?: number;
  /** It observes what runs: its last complete run stays fresh for drift.liveLifetime (default 24h) unless reconcile.lifetime says otherwise. */
  live?: boolean;
}

/** The section `sources.<name>` of cmdb.config.yaml: with one, `cmdb discover` runs the source. */
export interface SourceConfig<S extends z.ZodType = z.ZodType> {
  /** Its zod schema, loaded on first use: zod stays out of `cmdb --help`. */
  schema(): Promise<S>;
  /** Said of the section in the JSON Schema. */
  description?: string;
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

/** One configured collection of a source that collects, then draws its edges (src/ingest/source.ts runs it). */
export interface SourceRun {
  collect(options: CollectOptions & { env?: NodeJS.ProcessEnv }): Promise<SourceCollected>;
  /** Draws the batches' edges to CIs of other sources, with what the store knows (optional). */
  link?(collected: SourceCollected, lookup: KeyLookup): Promise<SourceCollected>;
}

/** What `cmdb ingest <name>` was given. */
export interface IngestInput {
  /** The positional argument, for commands that take one (its default when none was given). */
  argument?: string;
  /** Whether the command line gave the argument, rather than its default. */
  argumentGiven?: boolean;
  /** Commander's camelCase options, without `--json`. */
  options: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  onProgress?: (message: string) => void;
}

/**
 * What a checked command line runs: ingests into the store (`runs`, printed one line per run), or
 * live tasks run as `cmdb discover` runs them (`live`, printed as its summary).
 */
export type IngestPlan =
  | {
      kind: "runs";
      run(context: { store: Store; settings: ReconcileSettings }): Promise<IngestResult[]>;
      /** Each run's warnings also on stderr, as they come. */
      warnOnStderr?: boolean;
    }
  | { kind: "live"; tasks(context: DiscoverContext): Promise<LiveTask[]> };

export interface SourceImplementation {
  /**
   * `cmdb ingest <command>` (one of the definition's commands): checks the command line — a usage
   * error throws before any store is opened — and says what to run.
   */
  ingest(command: string, input: IngestInput): Promise<IngestPlan>;
  /** `cmdb discover`: the tasks for the section `sources.<name>` (checked by the definition's `config.schema`); `where` names it in errors. */
  discover?(section: unknown, where: string, context: DiscoverContext): Promise<LiveTask[]>;
}

export interface SourceDefinition extends IngestCommand {
  /** What it reads: files it is given, a system's API, or hosts it logs in to. */
  reads: "files" | "api" | "hosts";
  /** Environment variables it reads, with what each is. */
  env: Record<string, string>;
  /** The kinds of observation it writes (most sources: one, named as the source). */
  records: readonly SourceRecord[];
  /** More `cmdb ingest` commands of the same folder (Ansible: ansible-facts, ansible-playbook). */
  commands?: readonly IngestCommand[];
  /** Its section of cmdb.config.yaml; a source with one is collected by `cmdb discover`. */
  config?: SourceConfig;
  load(): Promise<SourceImplementation>;
}

/** Every `cmdb ingest` command of a source: its own, then the folder's others. */
export function ingestCommands(source: SourceDefinition): IngestCommand[] {
  return [source, ...(source.commands ?? [])];
}
