import { z } from "zod";
import { durationSchema as duration } from "./duration.js";
import { rotationConfigSchema } from "../findings/rotation/policy.js";
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

export const configSchema = z
  .object({
    $schema: z.string().optional().describe("this file's JSON Schema, for editors"),
    database: z.string().optional(),
    reconcile: reconcileSchema.optional(),
    sources: sourcesSchema.optional(),
    rotation: rotationConfigSchema.optional(),
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
