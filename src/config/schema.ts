import { z } from "zod";
import { durationSchema as duration } from "./duration.js";
import { sourcesSchema } from "./sources.js";

/**
 * Source precedence, per attribute, with freshness: when the preferred source has not refreshed
 * a value within its lifetime, the next source's value applies (ServiceNow IRE's data refresh rules).
 */
export const reconcileSchema = z
  .object({
    precedence: z
      .object({
        default: z.array(z.string()).optional(),
        attributes: z.record(z.string(), z.array(z.string())).optional(),
      })
      .strict()
      .optional(),
    lifetime: z.record(z.string(), duration).optional(),
    gracePeriod: duration.optional(),
    protectTags: z.array(z.string()).optional(),
  })
  .strict();

/** The Neo4j projection: when `graph.neo4j` is set, every ingest sends what changed (credentials only from NEO4J_USERNAME / NEO4J_PASSWORD). */
export const graphSchema = z
  .object({
    neo4j: z
      .object({
        url: z.string().regex(/^(bolt|neo4j)(\+s|\+ssc)?:\/\/[^@]+$/, "a bolt:// or neo4j:// URL without credentials").describe("bolt://host:7687"),
        database: z.string().min(1).optional(),
        batchSize: z.number().int().min(1).optional().describe("rows per transaction to start with (halved when Neo4j runs out of transaction memory)"),
      })
      .strict()
      .optional(),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional().describe("this file's JSON Schema, for editors"),
    database: z.string().optional(),
    reconcile: reconcileSchema.optional(),
    sources: sourcesSchema.optional(),
    graph: graphSchema.optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;

/** Live discovery over facts over declared IaC over inventory variables (ARCHITECTURE.md). */
export const DEFAULT_PRECEDENCE = ["proxmox", "ec2", "ssh", "ansible-facts", "ansible-playbook", "terraform", "ansible", "import"];

export interface ReconcileSettings {
  precedence: string[];
  attributePrecedence: Record<string, string[]>;
  /** Milliseconds a source's values stay fresh; absent = forever. */
  lifetime: Record<string, number>;
  /** Milliseconds a CI stays `missing` before it is retired. */
  gracePeriod: number;
  protectTags: string[];
}

export const DEFAULT_GRACE_PERIOD = 7 * 86_400_000;

export function reconcileSettings(config: ConfigFile | undefined): ReconcileSettings {
  const r = config?.reconcile;
  return {
    precedence: r?.precedence?.default ?? DEFAULT_PRECEDENCE,
    attributePrecedence: r?.precedence?.attributes ?? {},
    lifetime: r?.lifetime ?? {},
    gracePeriod: r?.gracePeriod ?? DEFAULT_GRACE_PERIOD,
    protectTags: r?.protectTags ?? ["cmdb:protect", "cmdb-protect"],
  };
}
