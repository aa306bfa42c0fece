/**
 * Proxmox VE: the cluster, its nodes, storages, QEMU VMs and LXC containers, read live through the
 * API with an API token. The code loads on first use (source.ts). See README.md.
 */
import type { SourceDefinition } from "../contract.js";

export const proxmoxSource = {
  name: "proxmox",
  description: "read a Proxmox VE cluster through its API (PROXMOX_URL, PROXMOX_TOKEN_ID, PROXMOX_TOKEN_SECRET, or sources.proxmox in the configuration)",
  reads: "api",
  env: {
    PROXMOX_URL: "the API endpoint, https://host:8006",
    PROXMOX_TOKEN_ID: "API token id, USER@REALM!TOKENID",
    PROXMOX_TOKEN_SECRET: "API token secret",
    PROXMOX_CA_FILE: "CA certificate that signed the API's certificate",
    PROXMOX_INSECURE: "1, true or yes: do not verify the API's TLS certificate",
  },
  records: [{ name: "proxmox", scopes: "proxmox:<cluster> for the cluster, proxmox:<cluster>/<node> for each node", precedence: 10, live: true }],
  options: [
    { flags: "--url <url>", description: "the API endpoint, https://host:8006 (default: $PROXMOX_URL, else the configuration)" },
    { flags: "--token-id <id>", description: "API token id USER@REALM!TOKENID (default: $PROXMOX_TOKEN_ID); the secret only from $PROXMOX_TOKEN_SECRET or the configuration" },
    { flags: "--ca-file <pem>", description: "CA certificate that signed the API's certificate (default: $PROXMOX_CA_FILE)" },
    { flags: "--insecure", description: "do not verify the API's TLS certificate" },
    { flags: "--concurrency <n>", description: "requests at once (default 8)", value: "count" },
    { flags: "--name <name>", description: "the configuration entry to read (sources.proxmox[].name)" },
  ],
  output: "summary",
  config: { schema: async () => (await import("./config.js")).proxmoxSectionSchema, description: "Proxmox VE clusters: one entry or a list" },
  load: async () => (await import("./source.js")).implementation,
} as const satisfies SourceDefinition;
