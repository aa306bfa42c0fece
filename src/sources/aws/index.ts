/**
 * AWS EC2: instances, VPCs, subnets, security groups, volumes and network interfaces, read live
 * with the SDK's default credential chain, one batch per account and region. The folder is aws/,
 * the source is named ec2 (`cmdb ingest ec2`, `sources.ec2`). The code loads on first use
 * (source.ts). See README.md.
 */
import type { SourceDefinition } from "../contract.js";

export const ec2Source = {
  name: "ec2",
  description: "read AWS EC2 with the SDK's default credential chain (environment, profile, SSO, instance role)",
  reads: "api",
  env: {
    AWS_PROFILE: "shared-config profile (the SDK's default credential chain also reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)",
    AWS_REGION: "the home region, where DescribeRegions is asked (the SDK's default chain; else us-east-1)",
    AWS_ENDPOINT_URL_EC2: "a custom EC2 endpoint (also AWS_ENDPOINT_URL)",
  },
  records: [{ name: "ec2", scopes: "aws:<account>/<region>", precedence: 20, live: true }],
  options: [
    { flags: "--region <region>", description: "a region to read (repeatable; default: the configuration's, else every enabled region)", value: "list" },
    { flags: "--profile <name>", description: "shared-config profile (default: $AWS_PROFILE)" },
    { flags: "--concurrency <n>", description: "paginated listings at once (default 8)", value: "count" },
  ],
  output: "summary",
  config: { schema: async () => (await import("./config.js")).ec2SectionSchema, description: "AWS EC2 accounts: one entry or a list (one per profile)" },
  load: async () => (await import("./source.js")).implementation,
} as const satisfies SourceDefinition;
