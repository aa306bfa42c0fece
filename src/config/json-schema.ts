import { z } from "zod";
import { configSchema } from "./schema.js";

export const JSON_SCHEMA_FILE = "cmdb.config.schema.json";
export const JSON_SCHEMA_ID = "urn:gitops-cmdb:cmdb.config.schema.json";

/**
 * The JSON Schema of cmdb.config.yaml, generated from the zod schema so the two cannot drift; the
 * committed src/config/cmdb.config.schema.json is this text (a test compares them). Input shapes:
 * what a person writes, before durations and defaults are applied.
 */
export function configJsonSchemaText(): string {
  const schema = z.toJSONSchema(configSchema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  const doc = { $schema, $id: JSON_SCHEMA_ID, title: "gitops-cmdb configuration (cmdb.config.yaml)", ...rest };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
