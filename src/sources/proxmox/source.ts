/**
 * Proxmox VE live discovery: the cluster, its nodes, storages, QEMU VMs and LXC containers, read
 * through the API with an API token. One batch for the cluster, one per node (see README.md).
 */
import { entries } from "../../config/fields.js";
import type { ObservationBatch } from "../../model/observation.js";
import type { SourceImplementation } from "../contract.js";
import type { ProxmoxSection } from "./config.js";
import { UsageError } from "../../util/errors.js";
import { type CollectError, type CollectOptions, readProxmox } from "./get.js";
import { type ProxmoxConfig, proxmoxConfigSchema } from "./schema.js";
import { type ProxmoxFlags, proxmoxTask, proxmoxTasks } from "./task.js";
import { toBatches } from "./transform.js";

export type { CollectError, CollectOptions } from "./get.js";
export { type ProxmoxConfig, proxmoxConfigSchema } from "./schema.js";
export { SOURCE, toBatches } from "./transform.js";
export { type ProxmoxEntry, proxmoxEntrySchema, type ProxmoxSection, proxmoxSectionSchema } from "./config.js";
export { ingestProxmoxBatches, isClusterScope, type ProxmoxFlags, proxmoxTask, type ProxmoxTaskOptions, proxmoxTasks, resolveProxmox } from "./task.js";

export async function collectProxmox(config: ProxmoxConfig, options: CollectOptions = {}): Promise<{ batches: ObservationBatch[]; errors: CollectError[] }> {
  const checked = proxmoxConfigSchema.safeParse(config);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new UsageError(`invalid Proxmox configuration: ${issue.path.join(".") || "(root)"}: ${issue.message}`, { where: "proxmox" });
  }
  const { snapshot, errors } = await readProxmox(checked.data, options);
  const batches = snapshot ? toBatches(snapshot) : [];
  options.onProgress?.(
    `proxmox: ${batches.length} scope(s) collected, ${batches.filter((b) => b.complete).length} complete, ${batches.reduce((n, b) => n + b.observations.length, 0)} observations, ${errors.length} error(s)`,
  );
  return { batches, errors };
}

const ENV = {
  url: "PROXMOX_URL",
  tokenId: "PROXMOX_TOKEN_ID",
  tokenSecret: "PROXMOX_TOKEN_SECRET",
  caFile: "PROXMOX_CA_FILE",
  insecure: "PROXMOX_INSECURE",
  concurrency: "PROXMOX_CONCURRENCY",
} as const;

/** The configuration from PROXMOX_URL, PROXMOX_TOKEN_ID, PROXMOX_TOKEN_SECRET, PROXMOX_CA_FILE, PROXMOX_INSECURE (1/true) and PROXMOX_CONCURRENCY. */
export function proxmoxConfigFromEnv(env: Record<string, string | undefined> = process.env): ProxmoxConfig {
  const value = (name: string): string | undefined => (env[name] === "" ? undefined : env[name]);
  const insecure = value(ENV.insecure);
  const concurrency = value(ENV.concurrency);
  const raw = {
    url: value(ENV.url),
    tokenId: value(ENV.tokenId),
    tokenSecret: value(ENV.tokenSecret),
    caFile: value(ENV.caFile),
    insecure: insecure === undefined ? undefined : /^(1|true|yes)$/i.test(insecure),
    concurrency: concurrency === undefined ? undefined : Number(concurrency),
  };
  const checked = proxmoxConfigSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0]!;
  const field = issue.path[0] as keyof typeof ENV | undefined;
  const name = field ? ENV[field] : "PROXMOX_*";
  throw new UsageError(issue.code === "invalid_type" ? `${name} is not set` : `${name} is invalid: expected ${issue.message}`, {
    where: "environment",
    hint: "set PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET (an API token: Datacenter → Permissions → API Tokens)",
  });
}

export const implementation: SourceImplementation = {
  async ingest(_command, { options }) {
    return { kind: "live", tasks: (context) => proxmoxTasks(context, options as ProxmoxFlags) };
  },
  async discover(section, where, context) {
    const configured = section as ProxmoxSection;
    return entries(configured).map((entry, i) => proxmoxTask({ entry, where: `${where}${Array.isArray(configured) ? `[${i}]` : ""}`, resolver: context.resolver }));
  },
};
