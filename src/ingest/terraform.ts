import type { ReconcileSettings } from "../config/schema.js";
import { ingestBatch, type IngestResult } from "../reconcile/ingest.js";
import { parseTerraformState, readTerraformInput, transformTerraform } from "../sources/terraform/index.js";
import type { Store } from "../store/store.js";
import { CmdbError } from "../util/errors.js";

export interface TerraformIngestOptions {
  /** A file, `-` (stdin), an HTTP backend URL or s3://bucket/key. */
  input: string;
  workspace?: string;
  proxmoxCluster?: string;
  /** Ingest even an older serial, or a state of another lineage for a known workspace. */
  force?: boolean;
  settings: ReconcileSettings;
  now?: Date;
  stdin?: NodeJS.ReadableStream;
}

/**
 * Reads a state, turns it into observations, and ingests it with Terraform's own rules: an older
 * serial than the one stored is refused, and so is another lineage under a workspace name the
 * store already tracks, unless forced.
 */
export async function ingestTerraform(store: Store, options: TerraformIngestOptions): Promise<IngestResult[]> {
  const { text, origin } = await readTerraformInput(options.input, options.stdin ? { stdin: options.stdin } : {});
  const state = parseTerraformState(text, origin);
  const workspace = options.workspace ?? process.env.TF_WORKSPACE ?? "default";
  const batch = transformTerraform(state, { workspace, ...(options.proxmoxCluster ? { proxmoxCluster: options.proxmoxCluster } : {}) });
  const serial = state.serial;
  const abandoned: string[] = [];
  const result = await ingestBatch(store, batch, {
    settings: options.settings,
    ...(options.now ? { now: options.now } : {}),
    check: async (scopeState, tx) => {
      const storedSerial = scopeState?.meta.serial;
      if (typeof storedSerial === "number" && typeof serial === "number" && serial < storedSerial && !options.force) {
        throw new CmdbError(
          `state serial ${serial} is older than serial ${storedSerial} already ingested for workspace ${JSON.stringify(workspace)} (lineage ${state.lineage})`,
          { where: origin, hint: "ingest the newest state (`terraform state pull`), or pass --force to go back to this one" },
        );
      }
      if (!state.lineage) return;
      for (const other of await store.scopesOf(tx, "terraform")) {
        if (other.scope === batch.scope || other.meta.workspace !== workspace || !other.meta.lineage) continue;
        if (other.meta.lineage === state.lineage) continue;
        if (!options.force) {
          throw new CmdbError(
            `workspace ${JSON.stringify(workspace)} is tracked from lineage ${other.meta.lineage}, but this state has lineage ${state.lineage}`,
            {
              where: origin,
              hint: "a different lineage is a different state: name its workspace with --workspace, or pass --force if the state was re-created and the old lineage's resources are gone",
            },
          );
        }
        abandoned.push(other.scope);
      }
    },
  });
  const results = [result];
  for (const scope of abandoned) {
    results.push(
      await ingestBatch(store, { source: "terraform", scope, complete: true, observations: [], relationships: [], meta: { replacedBy: batch.scope } }, {
        settings: options.settings,
        ...(options.now ? { now: options.now } : {}),
      }),
    );
  }
  return results;
}
