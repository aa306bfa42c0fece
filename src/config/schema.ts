import { z } from "zod";
import { parseDuration } from "./duration.js";

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `not a duration: ${JSON.stringify(value)} (use e.g. 90s, 15m, 12h, 7d)` });
    return z.NEVER;
  }
  return ms;
});

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
    $schema: z.string().optional(),
    database: z.string().optional(),
    reconcile: reconcileSchema.optional(),
    sources: z.record(z.string(), z.unknown()).optional(),
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
