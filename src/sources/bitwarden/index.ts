/**
 * Bitwarden / Vaultwarden: credentials (logins, secure notes, SSH keys) as `credential` CIs with
 * metadata only — never a secret — read through the `bw` CLI, a running `bw serve`, or an
 * unencrypted JSON export. Each credential AUTHENTICATES_TO the systems its URIs and `cmdb_ci`
 * field name. See README.md.
 */
import type { SourceDefinition } from "../contract.js";

export const bitwardenSource = {
  name: "bitwarden",
  reads: "api",
  records: [{ name: "bitwarden", scopes: "bitwarden:<account>, with ?<filter> when filtered" }],
  output: "runs",
  description: "read credentials' metadata (never their secrets) from Bitwarden or Vaultwarden: the bw CLI (BW_SESSION), a running bw serve, or an unencrypted export",
  env: { BW_SESSION: "the session key of an unlocked vault: export BW_SESSION=$(bw unlock --raw)" },
  options: [
    { flags: "--organization <name|id>", description: "only this organization's items" },
    { flags: "--collection <name|id>", description: "only this collection's items" },
    { flags: "--folder <name|id>", description: "only this folder's items" },
    { flags: "--bw-serve <url>", description: "read through a running `bw serve` (e.g. http://localhost:8087) instead of the bw CLI" },
    { flags: "--from-export <file>", description: "read an unencrypted JSON export (bw export --format json) instead" },
    { flags: "--bw <command>", description: "the bw executable (default: bw on PATH, else node_modules/.bin/bw)" },
  ],
  config: {
    schema: async () => (await import("./schema.js")).bitwardenConfigSchema,
    description: "credentials' metadata from Bitwarden / Vaultwarden (the bw CLI with BW_SESSION, bw serve, or an export)",
  },
  load: async () => (await import("./source.js")).implementation,
} as const satisfies SourceDefinition;
