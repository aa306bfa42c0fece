import { z } from "zod";
import { SECRET_REF_PATTERN } from "../secrets/ref.js";
import { ec2ConfigSchema } from "../sources/aws/schema.js";
import type { SourceConfig, SourceDefinition } from "../sources/contract.js";
import { SOURCES } from "../sources/registry.js";
import { proxmoxConfigSchema } from "../sources/proxmox/schema.js";
import { sshHostSchema } from "../sources/ssh/schema.js";
import { durationSchema } from "./duration.js";

/**
 * The `sources:` section of cmdb.config.yaml: what `cmdb discover` collects. Values that are secrets
 * may be references (`${ENV_NAME}`, `bw://item/field`), resolved when a run starts; each source's
 * own schema checks the resolved values again.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the reference syntax itself, not a template
const REF_HELP = "or a secret reference: ${ENV_NAME} or bw://item/field";

function secretOr<S extends z.ZodType>(literal: S, expected: string, description: string) {
  // The message on both the union and its reference branch: zod reports either, depending on how far each got.
  const error = `expected ${expected}, ${REF_HELP}`;
  return z.union([z.string().regex(SECRET_REF_PATTERN, error), literal], { error }).describe(`${description} (${REF_HELP})`);
}

const proxmox = proxmoxConfigSchema.shape;

export const proxmoxEntrySchema = z
  .strictObject({
    name: z.string().min(1).optional().describe("a label for progress and the summary (default: the URL's host); the scope is the cluster's own name"),
    url: secretOr(proxmox.url, "a URL such as https://pve.example.org:8006", "the API endpoint, https://host:8006"),
    tokenId: secretOr(proxmox.tokenId, "an API token id of the form USER@REALM!TOKENID", "API token id, USER@REALM!TOKENID"),
    tokenSecret: secretOr(proxmox.tokenSecret, "the API token secret (a UUID)", "API token secret"),
    caFile: proxmox.caFile.describe("PEM CA that signed the API's certificate (on a node: /etc/pve/pve-root-ca.pem)"),
    insecure: proxmox.insecure.describe("skip TLS verification (never the default)"),
    concurrency: proxmox.concurrency.describe("requests at once (default 8)"),
  })
  .describe("a Proxmox VE cluster or standalone node, read with an API token");

export const ec2EntrySchema = ec2ConfigSchema
  .extend({ name: z.string().min(1).optional().describe("a label for progress and the summary (default: the profile, else ec2)") })
  .describe("AWS EC2 of one account (the credentials' or the profile's)");

/** `user@host:port`, `host:port`, `user@host`, `[v6addr]:port` or `host`. */
export const SSH_TARGET = /^(?:([^@\s/]+)@)?(\[[^\]\s/]+\]|[^:@\s[\]/]+)(?::(\d{1,5}))?$/;

export const sshTargetSchema = z
  .string()
  .regex(SSH_TARGET, "a host as user@host:port (user and port optional)")
  .transform((text) => {
    const [, user, host, port] = SSH_TARGET.exec(text)!;
    return { host: host!.replace(/^\[(.*)\]$/, "$1"), ...(port === undefined ? {} : { port: Number(port) }), ...(user === undefined ? {} : { user }) };
  })
  .pipe(sshHostSchema);

export const sshSectionSchema = z
  .strictObject({
    hosts: z.array(z.union([sshTargetSchema, sshHostSchema])).optional().describe("hosts as user@host:port, or { host, port, user, name, identityFile, jump }"),
    fromCmdb: z
      .union([z.literal(true), z.string().min(1)])
      .optional()
      .describe("also log in to CIs from the CMDB: true for every active machine the ansible source reports, or a filter such as source=ansible,environment=prod,tag=web"),
    user: z.string().min(1).optional().describe("login user (default: the local user)"),
    identityFiles: z.array(z.string().min(1)).optional().describe("private key files (default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa)"),
    useAgent: z.boolean().optional().describe("use the ssh-agent at SSH_AUTH_SOCK (default: when set)"),
    knownHostsFile: z.string().min(1).optional().describe("known_hosts file (default ~/.ssh/known_hosts)"),
    acceptNew: z.boolean().optional().describe("record unknown host keys (StrictHostKeyChecking=accept-new); changed keys are still refused"),
    jump: z.string().min(1).optional().describe("jump host for every host without its own, user@host:port"),
    concurrency: z.number().int().min(1).max(1000).optional().describe("hosts at once (default 10)"),
    timeout: durationSchema.optional().describe("per host: connection, login and script together (default 30s)"),
  })
  .describe("Linux hosts discovered over SSH");

function oneOrMany<S extends z.ZodType>(entry: S) {
  return z.union([entry, z.array(entry).min(1)]);
}

type Configured = Extract<(typeof SOURCES)[number], { config: SourceConfig }>;
type Sections = { [S in Configured as S["name"]]: z.ZodOptional<S["config"]["schema"]> };

/** `sources.<name>` for every source of the registry that has a configuration section, in its order. */
function sections(): Sections {
  const shape: Record<string, z.ZodType> = {};
  for (const source of SOURCES as readonly SourceDefinition[]) {
    if (!source.config) continue;
    const section = source.config.schema.optional();
    shape[source.name] = source.config.description ? section.describe(source.config.description) : section;
  }
  return shape as Sections;
}

export const sourcesSchema = z
  .strictObject({
    proxmox: oneOrMany(proxmoxEntrySchema).optional().describe("Proxmox VE clusters: one entry or a list"),
    ec2: oneOrMany(ec2EntrySchema).optional().describe("AWS EC2 accounts: one entry or a list (one per profile)"),
    ssh: sshSectionSchema.optional(),
    ...sections(),
  })
  .describe("what `cmdb discover` collects");

export type SourcesConfig = z.output<typeof sourcesSchema>;
export type ProxmoxEntry = z.output<typeof proxmoxEntrySchema>;
export type Ec2Entry = z.output<typeof ec2EntrySchema>;
export type SshSection = z.output<typeof sshSectionSchema>;

export function entries<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
