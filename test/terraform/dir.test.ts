import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import hcl from "hcl2-parser";
import { locateHclError, stateOfDirectory } from "../../src/sources/terraform/backend.js";
import { runCli } from "../helpers/cli.js";
import { REPO_ROOT, TEST_FIXTURES } from "../helpers/corpus.js";
import { failure } from "../helpers/failure.js";

const STATE = readFileSync(join(TEST_FIXTURES, "terraform/proxmox-telmate-module-count.tfstate"), "utf8");
const LINEAGE = JSON.parse(STATE).lineage as string;
const OTHER = readFileSync(join(REPO_ROOT, "examples/terraform/homelab-proxmox.tfstate"), "utf8");
const root = mkdtempSync(join(tmpdir(), "cmdb-tfdir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A configuration directory with these files (paths relative to it). */
function config(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

interface Ingested {
  scope: string;
  outcome: string;
  counts: { seen: number; new: number };
}

async function ingestDir(dir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Ingested> {
  const db = join(root, `db-${Math.random().toString(36).slice(2)}`);
  const r = await runCli(["--db", db, "ingest", "terraform", "--dir", dir, "--json", ...args], { env });
  // stderr may carry the AWS SDK's Node-version notice; the exit code and the JSON say it worked.
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Ingested;
}

const PROVIDERS = `terraform {
  required_providers {
    proxmox = {
      source  = "telmate/proxmox"
      version = "3.0.1-rc4"
    }
  }
}
`;

describe("ingest terraform --dir: the local backend", () => {
  it("without a backend block reads terraform.tfstate in the directory, workspace default", async () => {
    const dir = config("implicit", { "main.tf": PROVIDERS, "terraform.tfstate": STATE, "sub/backend.tf": 'terraform {\n  backend "gcs" {}\n}\n' });
    expect(await stateOfDirectory(dir, { env: {} })).toEqual({ spec: join(dir, "terraform.tfstate"), read: {}, backend: "local", workspace: "default" });
    const result = await ingestDir(dir);
    expect(result).toMatchObject({ scope: `${LINEAGE}/default`, outcome: "success" });
    expect(result.counts.new).toBeGreaterThan(1);
  });

  it("follows path and workspace_dir, and the workspace `terraform workspace select` recorded", async () => {
    const dir = config("local-ws", {
      "versions.tf": PROVIDERS,
      "backend.tf": 'terraform {\n  backend "local" {\n    path          = "states/home.tfstate"\n    workspace_dir = "ws"\n  }\n}\n',
      "states/home.tfstate": OTHER,
      "ws/staging lab/terraform.tfstate": STATE,
      ".terraform/environment": "staging lab",
    });
    expect(await stateOfDirectory(dir, { env: {} })).toMatchObject({ spec: join(dir, "ws/staging lab/terraform.tfstate"), workspace: "staging lab", declaredIn: "backend.tf" });
    expect((await stateOfDirectory(dir, { env: { TF_WORKSPACE: "qa" } })).spec).toBe(join(dir, "ws/qa/terraform.tfstate"));
    expect((await stateOfDirectory(dir, { workspace: "default", env: { TF_WORKSPACE: "qa" } })).spec).toBe(join(dir, "states/home.tfstate"));

    expect((await ingestDir(dir)).scope).toBe(`${LINEAGE}/staging lab`);
  });

  it("a missing workspace state is named", async () => {
    const dir = config("local-missing", { "main.tf": "terraform {\n  backend \"local\" {}\n}\n" });
    const r = await runCli(["--db", join(root, "db-missing"), "ingest", "terraform", "--dir", dir, "--workspace", "prod"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "terraform.tfstate.d/prod/terraform.tfstate")}: does not exist`);
  });
});

function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: { method: string; url: string; headers: IncomingMessage["headers"] }[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handler(req, res);
  });
  return new Promise<{ base: string; seen: typeof seen; close: () => void }>((done) =>
    server.listen(0, "127.0.0.1", () => done({ base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => server.close() })),
  );
}

describe("ingest terraform --dir: the s3 backend, against a local S3 stand-in", () => {
  let s3: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s3 = await serve((req, res) => {
      const path = decodeURIComponent((req.url ?? "").split("?")[0]!);
      const objects: Record<string, string> = { "/tf-states/envs/prod/homelab/terraform.tfstate": STATE, "/tf-states/homelab/terraform.tfstate": OTHER };
      const body = req.method === "GET" ? objects[path] : undefined;
      if (body !== undefined && /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/s3\/aws4_request/.test(req.headers.authorization ?? "")) {
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
        return;
      }
      res.writeHead(404, { "content-type": "application/xml" }).end("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>");
    });
  });
  afterAll(() => s3.close());
  const awsEnv = () => ({
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_PROFILE: undefined,
    AWS_ENDPOINT_URL: undefined,
    AWS_ENDPOINT_URL_S3: undefined,
    AWS_CONFIG_FILE: join(root, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(root, "no-aws-credentials"),
  });

  it("reads bucket, key, region, endpoints.s3 and workspace_key_prefix; a workspace's object is <prefix>/<workspace>/<key>", async () => {
    const dir = config("s3", {
      "main.tf": `terraform {
  backend "s3" {
    bucket               = "tf-states"
    key                  = "homelab/terraform.tfstate"
    region               = "eu-central-1"
    workspace_key_prefix = "envs"
    use_path_style       = true
    endpoints = {
      s3 = "${s3.base}"
    }
  }
}
`,
      ".terraform/environment": "prod\n",
    });
    expect(await stateOfDirectory(dir, { env: {} })).toEqual({
      spec: "s3://tf-states/envs/prod/homelab/terraform.tfstate",
      read: { s3: { region: "eu-central-1", endpoint: s3.base } },
      backend: "s3",
      declaredIn: "main.tf",
      workspace: "prod",
    });
    s3.seen.length = 0;
    expect(await ingestDir(dir, [], awsEnv())).toMatchObject({ scope: `${LINEAGE}/prod`, outcome: "success" });
    expect(s3.seen.map((r) => `${r.method} ${decodeURIComponent(r.url.split("?")[0]!)}`)).toEqual(["GET /tf-states/envs/prod/homelab/terraform.tfstate"]);
  });

  it("a partial configuration is completed by what `terraform init -backend-config` recorded; the default workspace's key is the key", async () => {
    const dir = config("s3-partial", {
      "main.tf": 'terraform {\n  backend "s3" {\n    key = "overridden.tfstate"\n  }\n}\n',
      ".terraform/terraform.tfstate": JSON.stringify({
        version: 3,
        backend: { type: "s3", config: { bucket: "tf-states", key: "homelab/terraform.tfstate", region: "eu-central-1", endpoint: s3.base, workspace_key_prefix: null } },
      }),
    });
    expect((await stateOfDirectory(dir, { env: {} })).spec).toBe("s3://tf-states/homelab/terraform.tfstate");
    expect(await ingestDir(dir, [], awsEnv())).toMatchObject({ scope: `${JSON.parse(OTHER).lineage}/default` });
  });

  it("a bucket given nowhere is named with what to do", async () => {
    const dir = config("s3-none", { "main.tf": 'terraform {\n  backend "s3" {\n    key = "a/terraform.tfstate"\n  }\n}\n' });
    const e = await failure(stateOfDirectory(dir, { env: {} }));
    expect(e.where).toBe(`${join(dir, "main.tf")}: backend "s3"`);
    expect(e.message).toBe("sets no bucket");
    expect(e.hint).toContain("terraform init -backend-config");
  });
});

describe("ingest terraform --dir: the http backend", () => {
  let http: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    http = await serve((req, res) => {
      const ok = req.headers.authorization === `Basic ${Buffer.from("ci:pa ss").toString("base64")}`;
      if (req.method === "GET" && req.url === "/state/homelab" && ok) res.writeHead(200, { "content-type": "application/json" }).end(STATE);
      else res.writeHead(ok ? 404 : 401).end();
    });
  });
  afterAll(() => http.close());

  it("GETs the address with the block's credentials, which never appear in what cmdb prints", async () => {
    const dir = config("http", {
      "main.tf": `terraform {\n  backend "http" {\n    address  = "${http.base}/state/homelab"\n    username = "ci"\n    password = "pa ss"\n    lock_address = "${http.base}/lock/homelab"\n  }\n}\n`,
    });
    const db = join(root, "db-http");
    const r = await runCli(["--db", db, "ingest", "terraform", "--dir", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`terraform ${LINEAGE}/default: `);
    expect(`${r.stdout}${r.stderr}`).not.toContain("pa ss");
    expect(http.seen.map((s) => `${s.method} ${s.url}`)).toEqual(["GET /state/homelab"]);
  });

  it("has no workspaces", async () => {
    const dir = config("http-ws", { "main.tf": `terraform {\n  backend "http" {\n    address = "${http.base}/state/homelab"\n  }\n}\n` });
    const e = await failure(stateOfDirectory(dir, { workspace: "prod", env: {} }));
    expect(e.message).toBe('the http backend has no workspaces, but the workspace is "prod"');
  });
});

describe("ingest terraform --dir: what it does not read", () => {
  for (const [name, block] of [
    ["gcs", 'backend "gcs" {\n    bucket = "tf"\n  }'],
    ["remote", 'backend "remote" {\n    organization = "acme"\n  }'],
    ["azurerm", 'backend "azurerm" {}'],
    ["pg", 'backend "pg" {\n    conn_str = "postgres://u:secret@db/tf"\n  }'],
    ["cloud", 'cloud {\n    organization = "acme"\n  }'],
  ] as const) {
    it(`the ${name} backend gets an error naming it and the pipe to use instead`, async () => {
      const dir = config(`unsupported-${name}`, { "main.tf": PROVIDERS, "backend.tf": `terraform {\n  ${block}\n}\n` });
      const e = await failure(stateOfDirectory(dir, { env: {} }));
      expect(e.message).toBe(`the "${name}" backend is not one cmdb reads (it reads local, s3 and http)`);
      expect(e.where).toBe(join(dir, "backend.tf"));
      expect(e.hint).toContain("terraform state pull | cmdb ingest terraform -");
    });
  }

  it("the CLI says so with exit 1 and opens no store", async () => {
    const dir = config("unsupported-cli", { "main.tf": 'terraform {\n  backend "consul" {\n    path = "tf/state"\n  }\n}\n' });
    const db = join(root, "db-never");
    const r = await runCli(["--db", db, "ingest", "terraform", "--dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the "consul" backend is not one cmdb reads');
    expect(r.stderr).toContain("terraform state pull | cmdb ingest terraform -");
    expect(existsSync(db)).toBe(false);
  });

  it("a state and --dir together are a usage error; so is a directory without .tf files", async () => {
    const both = await runCli(["ingest", "terraform", "x.tfstate", "--dir", root]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give either a state (x.tfstate) or --dir, not both");
    const empty = config("empty", { "README.md": "nothing\n" });
    const e = await failure(stateOfDirectory(empty, { env: {} }));
    expect([e.where, e.message, e.exitCode]).toEqual([empty, "holds no .tf files", 2]);
    const missing = await failure(stateOfDirectory(join(root, "nope"), { env: {} }));
    expect(missing.message).toBe("does not exist");
  });

  it("two backend blocks are refused", async () => {
    const dir = config("two", { "a.tf": 'terraform {\n  backend "s3" {}\n}\n', "b.tf": 'terraform {\n  backend "local" {}\n}\n' });
    expect((await failure(stateOfDirectory(dir, { env: {} }))).message).toBe('the configuration declares 2 backends ("s3" in a.tf, "local" in b.tf); Terraform allows one');
  });
});

describe("bad HCL names the file and the line", () => {
  const parses = (chunk: string) => {
    const [ok] = (hcl as unknown as { parseToObject(t: string): [unknown, unknown] }).parseToObject(chunk);
    return Boolean(ok);
  };

  it("a block with a broken attribute is named by its first line", async () => {
    const text = [
      "# providers",
      'variable "x" {',
      '  default = "a { b"',
      "  description = <<-EOT",
      "    text with } and { and \"quotes",
      "  EOT",
      "}",
      "",
      'resource "null_resource" "a" {',
      "  triggers = {",
      "    a = ",
      "  }",
      "}",
    ].join("\n");
    expect(locateHclError(text, parses)).toEqual({ line: 9, why: "in the block that starts here" });
    const dir = config("bad-hcl", { "good.tf": PROVIDERS, "main.tf": text });
    const e = await failure(stateOfDirectory(dir, { env: {} }));
    expect([e.where, e.message]).toEqual(["main.tf:9", "not valid HCL (in the block that starts here)"]);
  });

  it("a block never closed is named by the line that opens it; a stray brace by its own line", () => {
    const unclosed = ['locals {', `  a = "\${var.x}"`, "}", "", 'terraform {', '  backend "s3" {', '    bucket = "b"', "  }"].join("\n");
    expect(locateHclError(unclosed, parses)).toEqual({ line: 5, why: "a block opened here is never closed" });
    expect(locateHclError('locals {\n  a = 1\n}\n}\n', parses)).toEqual({ line: 4, why: '"}" closes nothing' });
    expect(locateHclError('locals {\n  a = "$${x} %{ if true }y%{ endif }"\n}\n', parses)).toBeUndefined();
  });
});
