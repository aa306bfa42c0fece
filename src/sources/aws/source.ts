/**
 * AWS EC2 live discovery: instances, VPCs, subnets, security groups, volumes and network
 * interfaces, one batch per account and region (see README.md). Credentials come from the SDK's
 * default chain (environment, profile, SSO, instance role).
 */
import { entries } from "../../config/fields.js";
import type { ObservationBatch } from "../../model/observation.js";
import type { SourceImplementation } from "../contract.js";
import type { Ec2Section } from "./config.js";
import { UsageError } from "../../util/errors.js";
import { type CollectError, type CollectOptions, readEc2 } from "./get.js";
import { type Ec2Config, ec2ConfigSchema } from "./schema.js";
import { type Ec2Flags, ec2Task, ec2Tasks } from "./task.js";
import { toBatch } from "./transform.js";

export type { CollectError, CollectOptions } from "./get.js";
export { type Ec2Config, ec2ConfigSchema } from "./schema.js";
export { SOURCE, toBatch } from "./transform.js";
export { type Ec2Entry, ec2EntrySchema, type Ec2Section, ec2SectionSchema } from "./config.js";
export { type Ec2Flags, ec2Task, type Ec2TaskOptions, ec2Tasks } from "./task.js";

export async function collectEc2(config: Ec2Config = {}, options: CollectOptions = {}): Promise<{ batches: ObservationBatch[]; errors: CollectError[] }> {
  const checked = ec2ConfigSchema.safeParse(config);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new UsageError(`invalid EC2 configuration: ${issue.path.join(".") || "(root)"}: ${issue.message}`, { where: "ec2" });
  }
  const { snapshots, errors } = await readEc2(checked.data, options);
  const fallbackAccount = checked.data.profile ?? process.env.AWS_PROFILE ?? "default";
  // A region where every call failed says nothing, not even whose it is: it has no batch, only errors.
  const batches = snapshots
    .filter((s) => [s.reservations, s.vpcs, s.subnets, s.securityGroups, s.volumes, s.networkInterfaces].some((l) => l !== undefined))
    .map((s) => toBatch(s, fallbackAccount));
  options.onProgress?.(
    `ec2: ${batches.length} scope(s) collected, ${batches.filter((b) => b.complete).length} complete, ${batches.reduce((n, b) => n + b.observations.length, 0)} observations, ${errors.length} error(s)`,
  );
  return { batches, errors };
}

export const implementation: SourceImplementation = {
  async ingest(_command, { options }) {
    return { kind: "live", tasks: (context) => ec2Tasks(context, options as unknown as Ec2Flags) };
  },
  async discover(section, where, context) {
    const configured = section as Ec2Section;
    return entries(configured).map((entry, i) => ec2Task({ entry, where: `${where}${Array.isArray(configured) ? `[${i}]` : ""}`, env: context.env }));
  },
};
