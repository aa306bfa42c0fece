import { z } from "zod";
import { durationSchema } from "../../config/duration.js";
import { sshHostSchema } from "./schema.js";

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

/** The section `sources.ssh` of cmdb.config.yaml. */
export type SshSection = z.output<typeof sshSectionSchema>;
