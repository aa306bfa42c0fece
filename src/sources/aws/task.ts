import { entries } from "../../config/fields.js";
import { type Collected, type DiscoverContext, type IngestContext, ingestInOrder, type LiveTask } from "../../discover/task.js";
import { CmdbError } from "../../util/errors.js";
import type { Ec2Entry, Ec2Section } from "./config.js";
import { type Ec2Config, ec2ConfigSchema } from "./schema.js";
import { collectEc2 } from "./source.js";
import { SOURCE } from "./transform.js";

export interface Ec2TaskOptions {
  entry: Ec2Entry;
  where: string;
  env?: NodeJS.ProcessEnv;
}

/** The region and call of an EC2 error (`aws eu-west-1 DescribeVpcs`). */
const ERROR_WHERE = /^aws (\S+) (\w+)$/;

/**
 * One account's EC2, every region at once (the source bounds the calls). Batches carry the profile
 * in their meta, so that a later run whose regions all failed can record the failure against the
 * scopes this profile's account had.
 */
export function ec2Task({ entry, where, env = process.env }: Ec2TaskOptions): LiveTask {
  const profile = entry.profile ?? env.AWS_PROFILE ?? "default";
  const { name, ...rest } = entry;
  const label = `ec2 ${name ?? profile}`;
  return {
    source: "ec2",
    label,
    waitingOn: entry.regions ? `waiting on ${entry.regions.length} region(s)` : "waiting on DescribeRegions",
    async collect({ signal, onProgress }) {
      const checked = ec2ConfigSchema.safeParse(rest);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw new CmdbError(issue.message, { where: `${where}.${issue.path.join(".")}`, exitCode: 2 });
      }
      const config: Ec2Config = checked.data;
      const collected = await collectEc2(config, { ...(signal ? { signal } : {}), onProgress: (m) => onProgress(m.replace(/^ec2: /, "")) });
      return { ...collected, batches: collected.batches.map((b) => ({ ...b, meta: { ...b.meta, profile } })) };
    },
    ingest: (collected, context) => ingestInOrder([...collected.batches].sort((a, b) => a.scope.localeCompare(b.scope)), context),
    failedScopes: (collected, context) => ec2FailedScopes(collected, context, profile, entry.regions),
  };
}

async function ec2FailedScopes(collected: Collected | undefined, context: IngestContext, profile: string, configured: string[] | undefined): Promise<string[]> {
  const answered = new Set((collected?.batches ?? []).map((b) => b.meta?.region));
  const failed = new Set<string>();
  let regionsUnknown = collected === undefined;
  for (const error of collected?.errors ?? []) {
    const m = ERROR_WHERE.exec(error.where);
    if (!m) continue;
    if (m[2] === "DescribeRegions") regionsUnknown = true;
    else if (!answered.has(m[1])) failed.add(m[1]!);
  }
  if (regionsUnknown) for (const region of configured ?? []) if (!answered.has(region)) failed.add(region);
  const known = (await context.store.scopesOf(context.store.engine, SOURCE)).filter((s) => s.meta.profile === profile);
  const scopes = new Set<string>();
  for (const region of failed) {
    const mine = known.filter((s) => s.meta.region === region).map((s) => s.scope);
    for (const scope of mine.length > 0 ? mine : [`aws:${profile}/${region}`]) scopes.add(scope);
  }
  // The regions themselves are unknown: every scope this profile had failed with them.
  if (regionsUnknown && !configured) for (const scope of known.length > 0 ? known.map((s) => s.scope) : [`aws:${profile}`]) scopes.add(scope);
  return [...scopes].sort();
}

export interface Ec2Flags {
  region: string[];
  profile?: string;
  concurrency?: number;
}

/** `cmdb ingest ec2`: the configuration's accounts (or the default credential chain's), with --region / --profile / --concurrency over them. */
export async function ec2Tasks(ctx: DiscoverContext, flags: Ec2Flags): Promise<LiveTask[]> {
  const configured = ctx.config.sources?.ec2 as Ec2Section | undefined;
  let list = entries(configured).map((entry, i) => ({ entry, where: `${ctx.configPath}: sources.ec2${Array.isArray(configured) ? `[${i}]` : ""}` }));
  if (flags.profile) list = list.filter(({ entry }) => entry.profile === flags.profile);
  if (list.length === 0) list = [{ entry: flags.profile ? { profile: flags.profile } : {}, where: "command line" }];
  return list.map(({ entry, where }) => {
    const merged: Ec2Entry = {
      ...entry,
      ...(flags.region.length > 0 ? { regions: flags.region } : {}),
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    };
    return ec2Task({ entry: merged, where, env: ctx.env });
  });
}
