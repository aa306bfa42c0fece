/**
 * SSH: logs in to Linux hosts (key files or ssh-agent, host keys checked against known_hosts,
 * optionally through a jump host), runs one discovery script per host, one batch per host. The
 * code loads on first use (source.ts). See README.md.
 */
import type { SourceDefinition } from "../contract.js";

export const sshSource = {
  name: "ssh",
  description: "log in to Linux hosts over SSH and read what they are",
  reads: "hosts",
  env: { SSH_AUTH_SOCK: "the ssh-agent to authenticate with (used when set, unless sources.ssh.useAgent is false)" },
  records: [{ name: "ssh", scopes: "ssh:<host name>", precedence: 30, live: true }],
  options: [
    { flags: "--host <user@host:port>", description: "a host to read (repeatable; default: sources.ssh.hosts in the configuration)", value: "list" },
    { flags: "--from-cmdb [filter]", description: "also every machine the CMDB knows: the ansible source's by default, or a filter such as environment=prod,tag=web" },
    { flags: "-i, --identity <file>", description: "private key file (repeatable)", value: "list" },
    { flags: "--user <name>", description: "login user for hosts that name none (default: the local user)" },
    { flags: "--known-hosts <file>", description: "known_hosts file (default ~/.ssh/known_hosts)" },
    { flags: "--accept-new", description: "record unknown host keys (changed keys are still refused)" },
    { flags: "--jump <user@host:port>", description: "jump host for every host" },
    { flags: "--concurrency <n>", description: "hosts at once (default 10)", value: "count" },
    { flags: "--timeout <duration>", description: "per host: connection, login and script together (default 30s)" },
  ],
  output: "summary",
  config: { schema: async () => (await import("./config.js")).sshSectionSchema },
  load: async () => (await import("./source.js")).implementation,
} as const satisfies SourceDefinition;
