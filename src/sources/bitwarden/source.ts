import type { ObservationBatch } from "../../model/observation.js";
import type { SourceImplementation, SourceRun } from "../contract.js";
import { ingestRun, sourceTask } from "../../ingest/source.js";
import { UsageError } from "../../util/errors.js";
import { type ReadOptions, readVault, type VaultSnapshot } from "./get.js";
import { type BitwardenConfig, bitwardenConfigSchema } from "./schema.js";
import { chooseLinks, type LinkCandidate, SOURCE, toBatch, type TransformResult } from "./transform.js";

export { type BitwardenConfig, bitwardenConfigSchema } from "./schema.js";
export { type ReadOptions, readVault, type VaultSnapshot } from "./get.js";
export { chooseLinks, FIELD, hostKeys, hostOf, ITEM_KEY, lastRotation, type LinkCandidate, SOURCE, toBatch, type TransformResult } from "./transform.js";

export function checkConfig(raw: unknown, where = "bitwarden"): BitwardenConfig {
  const checked = bitwardenConfigSchema.safeParse(raw);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new UsageError(`${issue.path.join(".") || "(root)"}: ${issue.message}`, { where });
  }
  const config = checked.data;
  if (config.fromExport && config.bwServe) throw new UsageError("--from-export and --bw-serve read different things: give one", { where });
  return config;
}

/** Reads the vault and transforms it: one complete batch, the links still to be drawn. */
export async function collectBitwarden(config: BitwardenConfig, options: ReadOptions = {}): Promise<TransformResult & { snapshot: VaultSnapshot }> {
  const snapshot = await readVault(checkConfig(config), options);
  return { ...toBatch(snapshot), snapshot };
}

export function bitwardenRun(config: BitwardenConfig): SourceRun {
  return {
    async collect(options) {
      const result = await collectBitwarden(config, options);
      options.onProgress?.(`bitwarden: ${result.batch.observations.length} credential(s), ${result.links.length} link(s) to draw`);
      return { batches: [result.batch], errors: [], linkState: result.links };
    },
    async link(collected, lookup) {
      const links = (collected.linkState as LinkCandidate[] | undefined) ?? [];
      const batches: ObservationBatch[] = [];
      for (const batch of collected.batches) {
        const refs = new Set(batch.observations.map((o) => o.ref));
        const mine = links.filter((l) => refs.has(l.from));
        const owners = await lookup.owners([...new Set(mine.flatMap((l) => l.candidates))]);
        const resolved = new Map<string, string | undefined>();
        for (const l of mine) if (l.ciReference !== undefined && !resolved.has(l.ciReference)) resolved.set(l.ciReference, await lookup.keyOfCi(l.ciReference));
        const { relationships, warnings } = chooseLinks(mine, owners, resolved);
        batches.push({ ...batch, relationships: [...batch.relationships, ...relationships], warnings: [...(batch.warnings ?? []), ...warnings] });
      }
      return { batches, errors: collected.errors };
    },
  };
}

/** The command line's options as the source's configuration, checked. */
export function fromOptions(options: Record<string, unknown>): SourceRun {
  const raw: Record<string, unknown> = {};
  for (const key of ["organization", "collection", "folder", "bwServe", "fromExport"] as const) if (options[key] !== undefined) raw[key] = options[key];
  if (options.bw !== undefined) raw.command = options.bw;
  return bitwardenRun(checkConfig(raw, "cmdb ingest bitwarden"));
}

export const implementation: SourceImplementation = {
  async ingest(_command, { options, env, onProgress }) {
    // The options are checked when the run starts, with the store open.
    return { kind: "runs", run: ({ store, settings }) => ingestRun(store, fromOptions(options), { settings, ...(env ? { env } : {}), ...(onProgress ? { onProgress } : {}) }) };
  },
  async discover(section, where, context) {
    return [sourceTask(SOURCE, bitwardenRun(checkConfig(section, where)), context.env)];
  },
};
