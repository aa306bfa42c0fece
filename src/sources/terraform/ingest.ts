import type { ReconcileSettings } from "../../config/schema.js";
import { ingestBatch, type IngestResult } from "../../reconcile/ingest.js";
import type { Store } from "../../store/store.js";
import { CmdbError } from "../../util/errors.js";
import { readTerraformInput } from "./get.js";
import { parseTerraformState } from "./parse.js";
import { transformTerraform } from "./transform.js";

export interface TerraformIngestOptions {
  /** A file, `-` (stdin), an HTTP backend URL or s3://bucket/key. */
  input: string;
  workspace?: string;
  proxmoxCluster?: string;
  /** Ingest even an older serial, or a state of another lineage for a known workspace. */
  force?: boolean;
  /** Ingest an older serial (the demo puts its example states back), still refusing a lineage conflict. */
  acceptOlderSerial?: boolean;
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
  const named = options.workspace ?? process.env.TF_WORKSPACE;
  const { workspace, notes } = await workspaceOfLineage(store, state.lineage, named, origin, options.force === true);
  const batch = transformTerraform(state, { workspace, ...(options.proxmoxCluster ? { proxmoxCluster: options.proxmoxCluster } : {}) });
  const serial = state.serial;
  const abandoned: string[] = [];
  const result = await ingestBatch(store, batch, {
    settings: options.settings,
    ...(options.now ? { now: options.now } : {}),
    check: async (scopeState, tx) => {
      const storedSerial = scopeState?.meta.serial;
      if (typeof storedSerial === "number" && typeof serial === "number" && serial < storedSerial && !options.force && !options.acceptOlderSerial) {
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
  const results = [{ ...result, warnings: [...notes, ...result.warnings] }];
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

/**
 * A lineage identifies a state. Under no workspace name, a lineage the store tracks under one name
 * is that workspace (and the user is told); under another name it would be a second scope with
 * every resource twice, so it is refused unless forced. Checked before the ingest, so the refusal
 * leaves no failed run behind.
 */
async function workspaceOfLineage(
  store: Store,
  lineage: string | undefined,
  named: string | undefined,
  origin: string,
  force: boolean,
): Promise<{ workspace: string; notes: string[] }> {
  const workspace = named ?? "default";
  if (!lineage) return { workspace, notes: [] };
  const tracked = (await store.scopesOf(store.engine, "terraform"))
    .filter((s) => s.meta.lineage === lineage && !s.meta.replacedBy && typeof s.meta.workspace === "string")
    .map((s) => s.meta.workspace as string);
  const names = [...new Set(tracked)].sort();
  if (names.length === 0 || names.includes(workspace)) return { workspace, notes: [] };
  if (named === undefined && names.length === 1) {
    return { workspace: names[0]!, notes: [`lineage ${lineage} is tracked as workspace ${JSON.stringify(names[0])}: ingested as that workspace (name another with --workspace)`] };
  }
  if (force) return { workspace, notes: [] };
  throw new CmdbError(
    `lineage ${lineage} is already tracked as workspace ${names.map((n) => JSON.stringify(n)).join(", ")}; as ${JSON.stringify(workspace)} every resource would be counted twice`,
    { where: origin, hint: `pass --workspace ${names[0]}, or --force if this copy lives on as a workspace of its own` },
  );
}
