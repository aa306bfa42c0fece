import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readTerraformInput } from "../../src/sources/terraform/source.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import { failure } from "../helpers/failure.js";

const STATE = readFileSync(join(TEST_FIXTURES, "terraform/proxmox-telmate-module-count.tfstate"), "utf8");

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

async function serve(handler: (req: IncomingMessage, res: import("node:http").ServerResponse) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((done) => server.close(() => done())) };
}

const savedEnv = { ...process.env };
afterEach(() => {
  for (const name of ["TF_HTTP_USERNAME", "TF_HTTP_PASSWORD", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"]) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

describe("readTerraformInput: files and stdin", () => {
  it("reads a state file and names it as origin", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmdb-tf-"));
    const path = join(dir, "terraform.tfstate");
    writeFileSync(path, STATE);
    expect(await readTerraformInput(path)).toEqual({ text: STATE, origin: path });
  });

  it("says plainly when the file does not exist", async () => {
    const e = await failure(readTerraformInput("/nonexistent/terraform.tfstate"));
    expect(e.where).toBe("/nonexistent/terraform.tfstate");
    expect(e.message).toBe("does not exist");
  });

  it("refuses a state over the size limit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmdb-tf-"));
    const path = join(dir, "big.tfstate");
    writeFileSync(path, STATE);
    expect((await failure(readTerraformInput(path, { maxBytes: 100 }))).message).toMatch(/more than the limit of 100/);
  });

  it("reads `-` from stdin", async () => {
    const stdin = Readable.from([Buffer.from(STATE.slice(0, 100)), Buffer.from(STATE.slice(100))]);
    expect(await readTerraformInput("-", { stdin })).toEqual({ text: STATE, origin: "stdin" });
  });
});

describe("readTerraformInput: Terraform's HTTP backend", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  const auth = `Basic ${Buffer.from("ci:s3cret-pw").toString("base64")}`;
  beforeAll(async () => {
    server = await serve((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (path === "/state/prod") {
        if (req.headers.authorization !== auth) {
          res.writeHead(401, { "www-authenticate": 'Basic realm="tf"' }).end("unauthorized");
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end(STATE);
      } else if (path === "/state/new") res.writeHead(204).end();
      else if (path === "/state/blank") res.writeHead(200, { "content-type": "application/json" }).end("");
      else if (path === "/state/broken") res.writeHead(500).end("boom");
      else res.writeHead(404).end("not found");
    });
  });
  afterAll(() => server.close());

  it("GETs the state with basic auth from TF_HTTP_USERNAME / TF_HTTP_PASSWORD", async () => {
    process.env.TF_HTTP_USERNAME = "ci";
    process.env.TF_HTTP_PASSWORD = "s3cret-pw";
    const got = await readTerraformInput(`${server.base}/state/prod?ref=main`);
    expect(got).toEqual({ text: STATE, origin: `${server.base}/state/prod` });
    const last = server.seen.at(-1)!;
    expect(last.method).toBe("GET");
    expect(last.url).toBe("/state/prod?ref=main");
    expect(last.headers.authorization).toBe(auth);
  });

  it("takes credentials from the URL and keeps them out of origin", async () => {
    const got = await readTerraformInput(`${server.base.replace("http://", "http://ci:s3cret-pw@")}/state/prod`);
    expect(got.origin).toBe(`${server.base}/state/prod`);
    expect(got.text).toBe(STATE);
  });

  it("names URL and status on a refusal, without the credentials", async () => {
    const e = await failure(readTerraformInput(`${server.base.replace("http://", "http://ci:wrong-pw@")}/state/prod`));
    expect(e.where).toBe(`${server.base}/state/prod`);
    expect(e.message).toMatch(/HTTP 401/);
    expect(e.hint).toMatch(/TF_HTTP_USERNAME/);
    expect(e.describe()).not.toContain("wrong-pw");
  });

  it("says there is no state at a URL answering 404, 204 or an empty body", async () => {
    for (const path of ["/state/none", "/state/new", "/state/blank"]) {
      const e = await failure(readTerraformInput(`${server.base}${path}`));
      expect(e.message).toMatch(/^no state at URL/);
      expect(e.where).toBe(`${server.base}${path}`);
    }
  });

  it("names URL and status of a server error", async () => {
    const e = await failure(readTerraformInput(`${server.base}/state/broken`));
    expect(e.message).toMatch(/HTTP 500/);
    expect(e.where).toBe(`${server.base}/state/broken`);
  });

  it("says when the backend cannot be reached", async () => {
    const closed = await serve(() => undefined);
    await closed.close();
    const e = await failure(readTerraformInput(`${closed.base}/state`));
    expect(e.message).toMatch(/cannot reach the state backend/);
  });
});

describe("readTerraformInput: S3", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve((req, res) => {
      if (req.method === "GET" && req.url?.split("?")[0] === "/tf-states/env/prod/terraform.tfstate") {
        res
          .writeHead(200, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(STATE),
            etag: '"3858f62230ac3c915f300c664312c11f"',
            "last-modified": "Tue, 01 Jul 2025 10:00:00 GMT",
          })
          .end(STATE);
        return;
      }
      res
        .writeHead(404, { "content-type": "application/xml" })
        .end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>missing</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>');
    });
  });
  afterAll(() => server.close());

  const useLocalS3 = () => {
    process.env.AWS_ENDPOINT_URL_S3 = server.base;
    process.env.AWS_REGION = "eu-west-1";
    process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
    process.env.AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    delete process.env.AWS_PROFILE;
  };

  it("GETs the object path-style from the custom endpoint with a SigV4 signature for the region", async () => {
    useLocalS3();
    const got = await readTerraformInput("s3://tf-states/env/prod/terraform.tfstate");
    expect(got).toEqual({ text: STATE, origin: "s3://tf-states/env/prod/terraform.tfstate" });
    const request = server.seen.at(-1)!;
    expect(request.method).toBe("GET");
    expect(request.url.split("?")[0]).toBe("/tf-states/env/prod/terraform.tfstate");
    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request/);
    expect(request.headers["x-amz-content-sha256"]).toBeDefined();
  });

  it("honours AWS_ENDPOINT_URL when no S3-specific endpoint is set", async () => {
    useLocalS3();
    delete process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL = server.base;
    expect((await readTerraformInput("s3://tf-states/env/prod/terraform.tfstate")).text).toBe(STATE);
  });

  it("says there is no state when the key does not exist", async () => {
    useLocalS3();
    const e = await failure(readTerraformInput("s3://tf-states/missing.tfstate"));
    expect(e.where).toBe("s3://tf-states/missing.tfstate");
    expect(e.message).toMatch(/^no state at URL \(NoSuchKey\)/);
  });

  it("rejects an s3 address without a key", async () => {
    const e = await failure(readTerraformInput("s3://only-bucket"));
    expect(e.message).toMatch(/expected s3:\/\/bucket\/key/);
  });
});
