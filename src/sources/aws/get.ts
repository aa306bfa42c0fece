import type { CollectError, CollectOptions } from "../collect.js";
import {
  DescribeRegionsCommand,
  EC2Client,
  type EC2ClientConfig,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  paginateDescribeVolumes,
  paginateDescribeVpcs,
} from "@aws-sdk/client-ec2";
import { createLimiter, type Limiter } from "../../util/concurrency.js";
import { CmdbError } from "../../util/errors.js";
import {
  type Ec2Config,
  instanceSchema,
  networkInterfaceSchema,
  parseItems,
  reservationSchema,
  securityGroupSchema,
  subnetSchema,
  volumeSchema,
  vpcSchema,
} from "./schema.js";
import type { RegionSnapshot } from "./transform.js";

export type { CollectError, CollectOptions };

const DEFAULT_CONCURRENCY = 8;
/** The SDK's standard retry mode backs off exponentially with jitter on throttling (RequestLimitExceeded, 429) and 5xx. */
const MAX_ATTEMPTS = 6;
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const FALLBACK_REGION = "us-east-1";

interface Context {
  config: Ec2Config;
  options: CollectOptions;
  limit: Limiter;
  errors: CollectError[];
  progress: (message: string) => void;
}

export async function readEc2(config: Ec2Config, options: CollectOptions = {}): Promise<{ snapshots: RegionSnapshot[]; errors: CollectError[] }> {
  const context: Context = {
    config,
    options,
    limit: createLimiter(config.concurrency ?? DEFAULT_CONCURRENCY),
    errors: [],
    progress: options.onProgress ?? (() => {}),
  };
  const regions = config.regions ?? (await enabledRegions(context));
  if (!regions) return { snapshots: [], errors: context.errors };
  context.progress(`ec2: reading ${regions.length} region(s): ${regions.join(", ")} (up to ${config.concurrency ?? DEFAULT_CONCURRENCY} calls at once)`);
  let done = 0;
  const snapshots = await Promise.all(
    regions.map(async (region) => {
      const snapshot = await readRegion(context, region);
      done++;
      context.progress(
        `ec2: ${region} ${snapshot.failures.length === 0 ? "read" : `read with ${snapshot.failures.length} failed call(s)`} (${done}/${regions.length} regions; waiting on ${context.limit.active + context.limit.pending} call(s))`,
      );
      return snapshot;
    }),
  );
  return { snapshots, errors: context.errors };
}

function client(context: Context, region?: string): EC2Client {
  const settings: EC2ClientConfig = { maxAttempts: MAX_ATTEMPTS, retryMode: "standard" };
  if (region) settings.region = region;
  if (context.config.profile) settings.profile = context.config.profile;
  if (context.config.endpoint) settings.endpoint = context.config.endpoint;
  const ec2 = new EC2Client(settings);
  // Placed inside the SDK's retry loop, so that it sees every attempt and can say what is being waited on.
  ec2.middlewareStack.add(
    (next, ctx) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const name = (error as { name?: string }).name ?? "error";
        if ((status && RETRYABLE_STATUS.has(status)) || /Throttl|RequestLimitExceeded|TooManyRequests/.test(name)) {
          context.progress(`ec2: ${region ?? "home region"} ${ctx.commandName ?? "call"} answered ${name}${status ? ` (HTTP ${status})` : ""}; the SDK retries with backoff`);
        }
        throw error;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "cmdbRetryProgress" },
  );
  return ec2;
}

async function enabledRegions(context: Context): Promise<string[] | undefined> {
  const home = client(context);
  const region = await home.config.region().catch(() => FALLBACK_REGION);
  home.destroy();
  const ec2 = client(context, region);
  context.progress(`ec2: waiting on ${region} for the enabled regions (DescribeRegions)`);
  try {
    const answer = await context.limit(() => ec2.send(new DescribeRegionsCommand({}), { abortSignal: context.options.signal }));
    const names = (answer.Regions ?? []).map((r) => r.RegionName).filter((n): n is string => typeof n === "string");
    return names.sort();
  } catch (error) {
    context.errors.push({ where: `aws ${region} DescribeRegions`, message: describeFailure(error) });
    return undefined;
  } finally {
    ec2.destroy();
  }
}

async function readRegion(context: Context, region: string): Promise<RegionSnapshot> {
  const ec2 = client(context, region);
  const snapshot: RegionSnapshot = { region, failures: [] };
  const pageConfig = { client: ec2 };
  const signal = context.options.signal;
  // Each paginated listing holds one slot for its pages, which come one after another anyway.
  const list = async <T>(call: string, pages: () => AsyncIterable<unknown>, pick: (page: unknown) => unknown[] | undefined, parse: (items: unknown[], where: string) => T[]): Promise<T[] | undefined> => {
    const where = `aws ${region} ${call}`;
    try {
      return await context.limit(async () => {
        const out: T[] = [];
        for await (const page of pages()) {
          if (signal?.aborted) throw signal.reason;
          out.push(...parse(pick(page) ?? [], where));
        }
        return out;
      });
    } catch (error) {
      context.errors.push({ where, message: describeFailure(error) });
      snapshot.failures.push(`${call} in ${region}`);
      return undefined;
    }
  };
  const opts = { abortSignal: signal };
  const [reservations, vpcs, subnets, securityGroups, volumes, networkInterfaces] = await Promise.all([
    list("DescribeInstances", () => paginateDescribeInstances({ ...pageConfig, pageSize: 1000 }, {}, opts), (p) => (p as { Reservations?: unknown[] }).Reservations, (items, where) =>
      parseItems(reservationSchema, items, where, "Reservations").map((r) => ({ ...r, Instances: parseItems(instanceSchema, r.Instances ?? [], where, "Instances") })),
    ),
    list("DescribeVpcs", () => paginateDescribeVpcs({ ...pageConfig, pageSize: 1000 }, {}, opts), (p) => (p as { Vpcs?: unknown[] }).Vpcs, (items, where) => parseItems(vpcSchema, items, where, "Vpcs")),
    list("DescribeSubnets", () => paginateDescribeSubnets({ ...pageConfig, pageSize: 1000 }, {}, opts), (p) => (p as { Subnets?: unknown[] }).Subnets, (items, where) =>
      parseItems(subnetSchema, items, where, "Subnets"),
    ),
    list("DescribeSecurityGroups", () => paginateDescribeSecurityGroups({ ...pageConfig, pageSize: 1000 }, {}, opts), (p) => (p as { SecurityGroups?: unknown[] }).SecurityGroups, (items, where) =>
      parseItems(securityGroupSchema, items, where, "SecurityGroups"),
    ),
    list("DescribeVolumes", () => paginateDescribeVolumes({ ...pageConfig, pageSize: 500 }, {}, opts), (p) => (p as { Volumes?: unknown[] }).Volumes, (items, where) =>
      parseItems(volumeSchema, items, where, "Volumes"),
    ),
    list("DescribeNetworkInterfaces", () => paginateDescribeNetworkInterfaces({ ...pageConfig, pageSize: 1000 }, {}, opts), (p) => (p as { NetworkInterfaces?: unknown[] }).NetworkInterfaces, (items, where) =>
      parseItems(networkInterfaceSchema, items, where, "NetworkInterfaces"),
    ),
  ]);
  ec2.destroy();
  return { ...snapshot, reservations, vpcs, subnets, securityGroups, volumes, networkInterfaces };
}

const MAX_MESSAGE = 300;

/** One sentence: the AWS error code and message, with what to do for missing credentials. */
export function describeFailure(error: unknown): string {
  if (error instanceof CmdbError) return error.message;
  const name = (error as { name?: string }).name;
  // The SDK's own messages can run to several lines (a deserialization error adds where to find the
  // raw response) and echo what it could not parse (a 2 MB value): one line, cut short.
  const whole = (error instanceof Error ? error.message : String(error)).split("\n")[0]!.trim();
  const message = whole.length > MAX_MESSAGE ? `${whole.slice(0, MAX_MESSAGE)}… (${whole.length} characters)` : whole;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === "CredentialsProviderError") {
    return `${message} (configure the default credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the profile option, SSO, or an instance role)`;
  }
  return `${name && name !== "Error" ? `${name}: ` : ""}${message}${status ? ` (HTTP ${status})` : ""}`;
}
