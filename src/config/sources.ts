import { z } from "zod";
import type { SourceConfig, SourceDefinition } from "../sources/contract.js";
import { SOURCES } from "../sources/registry.js";

type Configured = Extract<(typeof SOURCES)[number], { config: SourceConfig }>;
type Sections = { [S in Configured as S["name"]]: z.ZodOptional<Awaited<ReturnType<S["config"]["schema"]>>> };

/** `sources.<name>` for every source of the registry that has a configuration section, in its order. */
async function sections(): Promise<Sections> {
  const shape: Record<string, z.ZodType> = {};
  for (const source of SOURCES as readonly SourceDefinition[]) {
    if (!source.config) continue;
    const section = (await source.config.schema()).optional();
    shape[source.name] = source.config.description ? section.describe(source.config.description) : section;
  }
  return shape as Sections;
}

/**
 * The `sources:` section of cmdb.config.yaml: what `cmdb discover` collects, one section per source
 * of the registry that has one (its `config`; building blocks in fields.ts).
 */
export const sourcesSchema = z
  .strictObject(await sections())
  .describe("what `cmdb discover` collects");

export type SourcesConfig = z.output<typeof sourcesSchema>;

