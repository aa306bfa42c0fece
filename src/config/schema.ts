import { z } from "zod";
import { durationSchema as duration } from "./duration.js";
import { rotationConfigSchema } from "../findings/rotation/policy.js";
import { defaultPrecedence } from "../sources/registry.js";
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

/** Identification rules (ServiceNow IRE's identifier entries): per CI type, key schemes in rank order. */
export const identitySchema = z
  .object({
    rules: z
      .record(z.string(), z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "a key scheme such as smbios.uuid or machine-id")).min(1))
      .optional()
      .describe("per CI type (or `machine` for every machine type), key schemes from the highest rank down; schemes left out keep their built-in order after these"),
    ignoreKeys: z
      .array(z.string().min(1))
      .optional()
      .describe("key values that identify nothing: exact `scheme:value`, `*` wildcards, or `/regex/`"),
  })
  .strict();

const SEVERITY = z.enum(["critical", "high", "medium", "low", "info"]);

/** `cmdb drift`: freshness, severities and ignores (see src/findings/README.md). */
export const driftSchema = z
  .object({
    liveLifetime: duration.optional().describe("how long a live source's last complete run stays fresh when reconcile.lifetime does not say (default 24h)"),
    staleAfter: duration.optional().describe("a CI no source has seen for this long is a stale finding (default 7d)"),
    ignoreFile: z.string().optional().describe("ignore file (default ./.cmdbignore when present)"),
    severity: z
      .array(
        z
          .object({
            kind: z.enum(["changed", "missing", "unmanaged", "not-in-inventory", "inventory-orphan", "stale"]).optional(),
            type: z.string().optional(),
            attribute: z.string().optional(),
            severity: SEVERITY,
          })
          .strict(),
      )
      .optional(),
    ignore: z
      .array(
        z
          .object({
            rule: z.string().min(1),
            reason: z.string().min(1),
            expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date YYYY-MM-DD").optional(),
          })
          .strict(),
      )
      .optional(),
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
    identity: identitySchema.optional(),
    sources: sourcesSchema.optional(),
    drift: driftSchema.optional(),
    rotation: rotationConfigSchema.optional(),
    graph: graphSchema.optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;

/**
 * Live discovery over facts over declared IaC over inventory variables (ARCHITECTURE.md): the
 * registry's records by their `precedence`, then a snapshot's imported values.
 */
export const DEFAULT_PRECEDENCE = [...defaultPrecedence(), "import"];

export interface ReconcileSettings {
  precedence: string[];
  attributePrecedence: Record<string, string[]>;
  /** Milliseconds a source's values stay fresh; absent = forever. */
  lifetime: Record<string, number>;
  /** Milliseconds a CI stays `missing` before it is retired. */
  gracePeriod: number;
  protectTags: string[];
  identity: IdentitySettings;
}

export interface IdentitySettings {
  rules: Record<string, string[]>;
  ignoreKeys: string[];
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
    identity: { rules: config?.identity?.rules ?? {}, ignoreKeys: config?.identity?.ignoreKeys ?? [] },
  };
}
