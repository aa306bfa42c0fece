import type { ConfigFile, ReconcileSettings } from "../config/schema.js";
import type { ObservationBatch } from "../model/observation.js";
import { type IngestResult, ingestBatch } from "../reconcile/ingest.js";
import type { SecretResolver } from "../secrets/index.js";
import type { Store } from "../store/store.js";
import { describeError } from "../util/errors.js";

/** What a source builds its live tasks with (`cmdb discover`, `cmdb ingest proxmox|ec2|ssh`). */
export interface DiscoverContext {
  /** The store, opening; only what needs it (hosts from the CMDB) waits for it. */
  store: () => Promise<Store>;
  config: ConfigFile;
  /** The configuration file, to name in errors; `found` false when there is none. */
  configPath: string;
  configFound: boolean;
  resolver: SecretResolver;
  env: NodeJS.ProcessEnv;
}

/** A problem a collection or an ingest met, tied to what it concerned (a host, a region, a request). */
export interface Problem {
  where: string;
  message: string;
}

export interface Collected {
  batches: ObservationBatch[];
  errors: Problem[];
  /** Problems that do not make the source fail (an unreadable known_hosts line). */
  warnings?: Problem[];
}

export interface IngestContext {
  store: Store;
  settings: ReconcileSettings;
  now?: Date;
}

export interface Ingested {
  results: IngestResult[];
  errors: Problem[];
}

/**
 * One thing discovery collects: a Proxmox cluster, an EC2 account, a set of SSH hosts. `collect`
 * resolves the secrets it needs and talks to the system; `ingest` lands the batches in the order
 * the source needs; `failedScopes` names the scopes that a failure is recorded against (those
 * that produced no batch), so that `cmdb runs` and `cmdb stats` show them failed.
 */
export interface LiveTask {
  /** The source's name in the registry (src/sources/registry.ts). */
  source: string;
  /** For progress and the summary: "proxmox pve", "ec2 prod", "ssh". */
  label: string;
  /** What progress says before the source's first message. */
  waitingOn: string;
  collect(options: { signal?: AbortSignal; onProgress: (message: string) => void }): Promise<Collected>;
  ingest(collected: Collected, context: IngestContext): Promise<Ingested>;
  failedScopes(collected: Collected | undefined, context: IngestContext): Promise<string[]>;
}

/** Ingests batches one after the other; one that fails is reported and the rest still land. */
export async function ingestInOrder(batches: ObservationBatch[], context: IngestContext): Promise<Ingested> {
  const out: Ingested = { results: [], errors: [] };
  for (const batch of batches) {
    const result = await ingestOne(batch, context, out);
    if (result) out.results.push(result);
  }
  return out;
}

export async function ingestOne(batch: ObservationBatch, context: IngestContext, into: Ingested): Promise<IngestResult | undefined> {
  try {
    return await ingestBatch(context.store, batch, { settings: context.settings, ...(context.now ? { now: context.now } : {}) });
  } catch (error) {
    // ingestBatch has recorded the failed run already.
    into.errors.push({ where: `${batch.source} ${batch.scope}`, message: `ingest failed: ${describeError(error)}` });
    return undefined;
  }
}
