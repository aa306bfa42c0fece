/**
 * Terraform state: every managed resource instance of a workspace's state (a file, stdin, an HTTP
 * backend, S3) as a CI with its dependencies. The code loads on first use (source.ts). See README.md.
 */
import type { SourceDefinition } from "../contract.js";

export const terraformSource = {
  name: "terraform",
  description: "ingest Terraform state: a file, - for stdin, an HTTP backend URL, or s3://bucket/key",
  reads: "files",
  env: {
    TF_WORKSPACE: "the workspace when --workspace names none (default: default)",
    TF_HTTP_USERNAME: "basic auth user of an HTTP backend whose URL names none",
    TF_HTTP_PASSWORD: "basic auth password of an HTTP backend whose URL names none",
    AWS_ENDPOINT_URL_S3: "a custom S3 endpoint for s3:// states (also AWS_ENDPOINT_URL), addressed path-style",
  },
  records: [{ name: "terraform", scopes: "<lineage>/<workspace> (show-json/<workspace> for `terraform show -json` output)", precedence: 60 }],
  argument: { name: "[state]", description: "terraform.tfstate, `terraform state pull` or `terraform show -json` output", default: "terraform.tfstate" },
  options: [
    { flags: "--workspace <name>", description: "the Terraform workspace (default: $TF_WORKSPACE or default)" },
    { flags: "--proxmox-cluster <name>", description: "the Proxmox cluster the state's guests live in, so they join live discovery by proxmox.vm key" },
    { flags: "--force", description: "ingest an older serial, or a new lineage for a known workspace" },
    { flags: "--dir <dir>", description: "read the state the configuration in DIR names (its backend block: local, s3 or http) instead of [state]" },
    { flags: "--destroying <hook-id>", description: "the cmdb-register hook being destroyed: leave it and what it watches out, so they go gone" },
  ],
  output: "runs",
  load: async () => (await import("./source.js")).implementation,
} as const satisfies SourceDefinition;
