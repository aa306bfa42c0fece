import { z } from "zod";
import { SECRET_REF_PATTERN } from "../secrets/ref.js";

/**
 * Building blocks of the sections `sources.<name>` of cmdb.config.yaml, for the source folders'
 * configuration schemas. Values that are secrets may be references (`${ENV_NAME}`,
 * `bw://item/field`), resolved when a run starts; each source's own schema checks the resolved
 * values again.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the reference syntax itself, not a template
const REF_HELP = "or a secret reference: ${ENV_NAME} or bw://item/field";

export function secretOr<S extends z.ZodType>(literal: S, expected: string, description: string) {
  // The message on both the union and its reference branch: zod reports either, depending on how far each got.
  const error = `expected ${expected}, ${REF_HELP}`;
  return z.union([z.string().regex(SECRET_REF_PATTERN, error), literal], { error }).describe(`${description} (${REF_HELP})`);
}

export function oneOrMany<S extends z.ZodType>(entry: S) {
  return z.union([entry, z.array(entry).min(1)]);
}

export function entries<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
