import type { ReconcileSettings } from "../../config/schema.js";
import { ingestBatch, type IngestResult } from "../../reconcile/ingest.js";
import type { Store } from "../../store/store.js";
import { CmdbError } from "../../util/errors.js";
import { configAddress } from "./address.js";
import { type DirectoryState, stateOfDirectory } from "./backend.js";
import { readTerraformInput } from "./get.js";
import { type ParsedState, parseTerraformState } from "./parse.js";
import { transformTerraform } from "./transform.js";

export interface TerraformIngestOptions {
  /** A file, `-` (stdin), an HTTP backend URL or s3://bucket/key; ignored when `dir` is given. */
  input: string;
  /** A configuration directory: the state its backend block names is read instead of `input`. */
  dir?: string | DirectoryState;
  /**
   * The id of the cmdb-register hook (terraform_data / null_resource) that a destroy is removing:
   * it and the resources it depends on are left out, since Terraform destroys them right after.
   */
  destroying?: string;
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
  const located =
    typeof options.dir === "string" ? await stateOfDirectory(options.dir, options.workspace ? { workspace: options.workspace } : {}) : options.dir;
  const { text, origin } = await readTerraformInput(located?.spec ?? options.input, {
    ...(options.stdin ? { stdin: options.stdin } : {}),
    ...located?.read,
  });
  const parsed = parseTerraformState(text, origin);
  const { state, notes: hookNotes } = options.destroying ? withoutHook(parsed, options.destroying) : { state: parsed, notes: [] };
  // A directory's `default` workspace is no choice of the user's: a lineage tracked under another name keeps it.
  const named = options.workspace ?? (located && located.workspace !== "default" ? located.workspace : undefined) ?? process.env.TF_WORKSPACE;
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
  const results = [{ ...result, warnings: [...hookNotes, ...notes, ...result.warnings] }];
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

const HOOK_TYPES = new Set(["terraform_data", "null_resource"]);

/**
 * The state as it will be once a destroy that removes the hook `id` is done: without the hook and
 * the resources it depends on (its `dependencies` in state, which Terraform orders the destroy by).
 * A state that no longer holds the hook (already emptied) is taken as it is.
 */
function withoutHook(state: ParsedState, id: string): { state: ParsedState; notes: string[] } {
  const hooks = state.instances.filter((i) => i.mode === "managed" && HOOK_TYPES.has(i.type) && i.attributes.id === id);
  if (hooks.length === 0) return { state, notes: [`the hook ${id} is not in the state: ingested as it is`] };
  const leaving = new Set(hooks.flatMap((h) => [configAddress(h.address), ...h.dependencies]));
  const kept = state.instances.filter((i) => !hooks.includes(i) && !leaving.has(configAddress(i.address)));
  const left = state.instances.filter((i) => i.mode === "managed").length - kept.filter((i) => i.mode === "managed").length - hooks.length;
  return { state: { ...state, instances: kept }, notes: [`destroying hook ${id}: it and the ${left} resource instance(s) it depends on are left out`] };
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
