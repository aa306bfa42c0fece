import { readFile, stat } from "node:fs/promises";
import { CmdbError, fileProblem } from "../../util/errors.js";
import { idleSignal, seconds, TIMEOUTS, timeoutMs } from "../../util/timeouts.js";

/** A state larger than this is refused rather than read into memory; `maxBytes` overrides it. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export interface ReadOptions {
  stdin?: NodeJS.ReadableStream;
  maxBytes?: number;
  /** For `s3://`: the region and endpoint an S3 backend block names; the environment's otherwise. */
  s3?: { region?: string; endpoint?: string };
}

/**
 * Reads a state from a file path, `-` (stdin), Terraform's HTTP backend (`http(s)://…`, GET, basic
 * auth from TF_HTTP_USERNAME / TF_HTTP_PASSWORD or the URL) or S3 (`s3://bucket/key`, the AWS default
 * credential chain and region, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL with path-style addressing).
 * `origin` names where it came from, without credentials or query string.
 */
export async function readTerraformInput(spec: string, opts: ReadOptions = {}): Promise<{ text: string; origin: string }> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (spec === "-") {
    const bytes = await readStream(opts.stdin ?? process.stdin, maxBytes, "stdin");
    return { text: bytes.toString("utf8"), origin: "stdin" };
  }
  if (/^https?:\/\//i.test(spec)) return readHttp(spec, maxBytes);
  if (/^s3:\/\//i.test(spec)) return readS3(spec, maxBytes, opts.s3);
  return readLocal(spec, maxBytes);
}

async function readLocal(path: string, maxBytes: number): Promise<{ text: string; origin: string }> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new CmdbError("is a directory, not a state file", { where: path, hint: "name the .tfstate file itself" });
    }
    if (info.size > maxBytes) throw tooLarge(path, info.size, maxBytes);
    return { text: await readFile(path, "utf8"), origin: path };
  } catch (error) {
    if (error instanceof CmdbError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new CmdbError("does not exist", {
        where: path,
        hint: "give the path of terraform.tfstate, `-` for stdin, an http(s):// backend URL or s3://bucket/key",
      });
    }
    const problem = fileProblem(error, "read");
    if (problem) throw new CmdbError(problem, { where: path });
    throw new CmdbError(`cannot read the file: ${(error as Error).message}`, { where: path, cause: error });
  }
}

async function readHttp(spec: string, maxBytes: number): Promise<{ text: string; origin: string }> {
  const url = new URL(spec);
  const username = decodeURIComponent(url.username) || process.env.TF_HTTP_USERNAME || "";
  const password = decodeURIComponent(url.password) || process.env.TF_HTTP_PASSWORD || "";
  url.username = "";
  url.password = "";
  const origin = `${url.protocol}//${url.host}${url.pathname}`;
  const headers: Record<string, string> = { accept: "application/json" };
  if (username || password) {
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  }
  const limit = timeoutMs("http");
  const idle = idleSignal(limit);
  const stalled = (what: string, received?: number) =>
    new CmdbError(`the state backend sent nothing for ${seconds(limit)} ${what}${received === undefined ? "" : ` (after ${received} bytes)`}`, {
      where: origin,
      hint: `check the backend; ${TIMEOUTS.http.env} sets how long to wait`,
    });
  let response: Response;
  try {
    response = await fetch(url, { headers, redirect: "follow", signal: idle.signal });
  } catch (error) {
    idle.done();
    if (idle.fired()) throw stalled("while cmdb waited for its answer");
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new CmdbError(`cannot reach the state backend (${reason})`, { where: origin });
  }
  if (response.status === 404 || response.status === 204) {
    await response.body?.cancel();
    throw noState(origin, `HTTP ${response.status}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const auth = response.status === 401 || response.status === 403;
    throw new CmdbError(`the state backend answered HTTP ${response.status} ${response.statusText}`.trim(), {
      where: origin,
      ...(auth ? { hint: "set TF_HTTP_USERNAME and TF_HTTP_PASSWORD as for Terraform's http backend" } : {}),
    });
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(origin, declared, maxBytes);
  }
  let received = 0;
  let bytes: Buffer;
  try {
    bytes = response.body ? await readStream(response.body, maxBytes, origin, (n) => {
      received = n;
      idle.touch();
    }) : Buffer.alloc(0);
  } catch (error) {
    if (idle.fired()) throw stalled("in the middle of the state", received);
    throw error;
  } finally {
    idle.done();
  }
  if (bytes.length === 0 || bytes.toString("utf8").trim() === "") throw noState(origin, "empty body");
  return { text: bytes.toString("utf8"), origin };
}

async function readS3(spec: string, maxBytes: number, s3: ReadOptions["s3"] = {}): Promise<{ text: string; origin: string }> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/i.exec(spec);
  if (!match) {
    throw new CmdbError("expected s3://bucket/key", { where: spec, hint: "e.g. s3://my-tf-states/prod/terraform.tfstate" });
  }
  const [, bucket, key] = match as unknown as [string, string, string];
  const origin = `s3://${bucket}/${key}`;
  const endpoint = s3.endpoint || process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
  // Loaded only for s3:// states: a post-apply hook reading a local file does not pay for the SDK.
  const { GetObjectCommand, S3Client } = await import("@aws-sdk/client-s3");
  const client = new S3Client({ ...(endpoint ? { endpoint, forcePathStyle: true } : {}), ...(s3.region ? { region: s3.region } : {}) });
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
      throw tooLarge(origin, out.ContentLength, maxBytes);
    }
    const bytes = Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
    if (bytes.length > maxBytes) throw tooLarge(origin, bytes.length, maxBytes);
    if (bytes.toString("utf8").trim() === "") throw noState(origin, "empty object");
    return { text: bytes.toString("utf8"), origin };
  } catch (error) {
    if (error instanceof CmdbError) throw error;
    throw s3Error(error, origin);
  } finally {
    client.destroy();
  }
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** An S3 failure as its cause: unreachable, no credentials, refused credentials, access denied, no such key. */
function s3Error(error: unknown, origin: string): CmdbError {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const message = e.message ?? "";
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
  if (e.name === "NoSuchKey" || e.name === "NoSuchBucket" || status === 404) return noState(origin, e.name ?? "404");
  if (/region is missing|invalid region|region not accepted/i.test(message)) {
    return new CmdbError("no AWS region is configured", { where: origin, hint: "set AWS_REGION (or a region in ~/.aws/config)" });
  }
  if (e.name === "CredentialsProviderError" || /could not load credentials/i.test(message)) {
    return new CmdbError("no AWS credentials found", {
      where: origin,
      hint: "configure the AWS default credential chain (environment, ~/.aws, SSO or an instance role)",
    });
  }
  const network = e.code ? NETWORK_CODES[e.code] : undefined;
  if (network) {
    return new CmdbError(`cannot reach S3: ${network} (${message})`, {
      where: origin,
      hint: endpoint ? "check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL" : "check the network and the bucket's region",
    });
  }
  if (e.name === "AccessDenied" || e.name === "Forbidden" || (status === 403 && !/AccessKey|Signature|Token/.test(e.name ?? ""))) {
    return new CmdbError("access denied to the object (HTTP 403)", { where: origin, hint: "the credentials need s3:GetObject on this key" });
  }
  if (/InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken/.test(e.name ?? "")) {
    return new CmdbError(`S3 refused the credentials (${e.name})`, { where: origin, hint: "check the access key, secret and session token the credential chain finds" });
  }
  const detail = [e.name && e.name !== "Error" && e.name !== "Unknown" ? e.name : "", message && message !== e.name && message !== "UnknownError" ? message : ""].filter(Boolean).join(": ");
  const code = status ? `HTTP ${status}` : "";
  return new CmdbError(`S3 GetObject failed: ${[detail, code].filter(Boolean).join(", ") || "unknown error"}`, { where: origin, cause: error });
}

function noState(origin: string, why: string): CmdbError {
  return new CmdbError(`no state at URL (${why})`, {
    where: origin,
    hint: "the workspace has no state yet, or the address is wrong",
  });
}

function tooLarge(origin: string, size: number, maxBytes: number): CmdbError {
  return new CmdbError(`the state is ${size} bytes, more than the limit of ${maxBytes}`, {
    where: origin,
    hint: "raise the limit (maxBytes) if this state is really that large",
  });
}

async function readStream(stream: AsyncIterable<unknown>, maxBytes: number, origin: string, onChunk?: (size: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    onChunk?.(size);
    if (size > maxBytes) throw tooLarge(origin, size, maxBytes);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
