import { z } from "zod";

const port = z.number().int().min(1).max(65535);
const hostName = z
  .string()
  .min(1)
  .regex(/^[^\s@/]+$/, "a host name or address, without user@ or spaces");

/** `user@host:port`, `host:port`, `user@host`, `[v6addr]:port` or just `host`. */
const JUMP_TEXT = /^(?:([^@\s]+)@)?(\[[^\]\s]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/;

export const jumpSchema = z.union([
  z
    .string()
    .regex(JUMP_TEXT, "a jump host as user@host:port")
    .transform((text) => {
      const [, user, host, p] = JUMP_TEXT.exec(text)!;
      return {
        host: host!.replace(/^\[(.*)\]$/, "$1"),
        ...(p === undefined ? {} : { port: Number(p) }),
        ...(user === undefined ? {} : { user }),
      };
    })
    .pipe(z.object({ host: hostName, port: port.optional(), user: z.string().optional() })),
  z.strictObject({ host: hostName, port: port.optional(), user: z.string().min(1).optional(), identityFile: z.string().min(1).optional() }),
]);

export const sshHostSchema = z.strictObject({
  host: hostName,
  port: port.optional(),
  user: z.string().min(1).optional(),
  /** The CI name (an inventory hostname); defaults to the host. */
  name: z.string().min(1).optional(),
  identityFile: z.string().min(1).optional(),
  jump: jumpSchema.optional(),
});

export const sshConfigSchema = z.strictObject({
  hosts: z.array(sshHostSchema),
  user: z.string().min(1).optional(),
  identityFiles: z.array(z.string().min(1)).optional(),
  /** Authenticate with the keys of the ssh-agent at SSH_AUTH_SOCK (default: when SSH_AUTH_SOCK is set). */
  useAgent: z.boolean().optional(),
  knownHostsFile: z.string().min(1).optional(),
  /** Like OpenSSH StrictHostKeyChecking=accept-new: record unknown host keys, still refuse changed ones. */
  acceptNew: z.boolean().optional(),
  concurrency: z.number().int().min(1).max(1000).optional(),
  timeoutMs: z.number().int().min(1).optional(),
});

export type SshConfig = z.input<typeof sshConfigSchema>;
export type SshConfigParsed = z.output<typeof sshConfigSchema>;
export type SshHost = z.output<typeof sshHostSchema>;
export type SshJump = z.output<typeof jumpSchema>;
