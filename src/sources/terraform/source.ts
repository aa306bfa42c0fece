/**
 * The Terraform state source. `readTerraformInput` fetches the text (file, stdin, HTTP backend, S3),
 * `parseTerraformState` validates it (state v4, legacy v3, `terraform show -json`), and
 * `transformTerraform` turns it into one ObservationBatch for the workspace: one observation per
 * managed resource instance, the workspace itself, and the edges between them; `ingestTerraform`
 * lands it with Terraform's own rules (serial, lineage). See README.md.
 */
import type { SourceImplementation } from "../contract.js";
import { UsageError } from "../../util/errors.js";
import { requirePath } from "../../util/input.js";
import { stateOfDirectory } from "./backend.js";
import { ingestTerraform } from "./ingest.js";

export { type DirectoryState, stateOfDirectory } from "./backend.js";
export { DEFAULT_MAX_BYTES, type ReadOptions, readTerraformInput } from "./get.js";
export { type ParsedState, parseTerraformState, type StateFormat, type StateInstance } from "./parse.js";
export { LINK_TYPES, MAX_UNPAIRED_FANOUT, SOURCE, type TransformOptions, transformTerraform, WORKSPACE_REF } from "./transform.js";
export { ingestTerraform, type TerraformIngestOptions } from "./ingest.js";

export const implementation: SourceImplementation = {
  async ingest(_command, { argument, argumentGiven, options }) {
    const input = argument ?? "terraform.tfstate";
    const dir = options.dir as string | undefined;
    if (dir !== undefined && argumentGiven) throw new UsageError(`give either a state (${input}) or --dir, not both`, { where: "--dir" });
    if (dir === undefined) requirePath(input, "give the path of terraform.tfstate, `-` for stdin, an http(s):// backend URL or s3://bucket/key", { file: true });
    const workspace = options.workspace as string | undefined;
    // The backend is found before any store is opened: a wrong directory leaves no failed run behind.
    const located = dir === undefined ? undefined : await stateOfDirectory(dir, workspace ? { workspace } : {});
    const destroying = options.destroying as string | undefined;
    return {
      kind: "runs",
      run: ({ store, settings }) =>
        ingestTerraform(store, {
          input,
          workspace,
          proxmoxCluster: options.proxmoxCluster as string | undefined,
          force: options.force as boolean | undefined,
          settings,
          ...(located ? { dir: located } : {}),
          ...(destroying ? { destroying } : {}),
        }),
    };
  },
};
