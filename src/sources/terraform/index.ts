/**
 * The Terraform state source. `readTerraformInput` fetches the text (file, stdin, HTTP backend, S3),
 * `parseTerraformState` validates it (state v4, legacy v3, `terraform show -json`), and
 * `transformTerraform` turns it into one ObservationBatch for the workspace: one observation per
 * managed resource instance, the workspace itself, and the edges between them. See README.md.
 */
export { type DirectoryState, stateOfDirectory } from "./backend.js";
export { DEFAULT_MAX_BYTES, type ReadOptions, readTerraformInput } from "./get.js";
export { type ParsedState, parseTerraformState, type StateFormat, type StateInstance } from "./parse.js";
export { LINK_TYPES, MAX_UNPAIRED_FANOUT, SOURCE, type TransformOptions, transformTerraform, WORKSPACE_REF } from "./transform.js";
