import { z } from "zod";
import { oneOrMany, secretOr } from "../../config/fields.js";
import { proxmoxConfigSchema } from "./schema.js";

/** The section `sources.proxmox` of cmdb.config.yaml: one entry or a list; secrets may be references. */
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

export const proxmoxSectionSchema = oneOrMany(proxmoxEntrySchema);

export type ProxmoxEntry = z.output<typeof proxmoxEntrySchema>;
export type ProxmoxSection = z.output<typeof proxmoxSectionSchema>;
