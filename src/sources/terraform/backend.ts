import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { CmdbError, UsageError } from "../../util/errors.js";
import type { ReadOptions } from "./get.js";

/** Where the state of a configuration directory lives, as `readTerraformInput` reads it. */
export interface DirectoryState {
  /** A path, `s3://bucket/key` or an http(s) URL (credentials, if any, in its userinfo). */
  spec: string;
  /** What to read it with (the S3 backend's region and endpoint). */
  read: Pick<ReadOptions, "s3">;
  /** The backend type, `local` when the configuration declares none. */
  backend: string;
  /** The file that declares the backend (relative to the directory), absent for the implicit local backend. */
  declaredIn?: string;
  workspace: string;
}

const PIPE_HINT = "run `terraform state pull | cmdb ingest terraform - --workspace NAME` there instead (or `tofu state pull`)";

type HclParser = { parseToObject(text: string): [Record<string, unknown> | null, unknown] };

/**
 * Reads the `.tf` files of a configuration directory the way `terraform init` finds its backend:
 * the `terraform { backend "TYPE" { … } }` block, completed and overridden by what the last
 * `terraform init` recorded in `.terraform/terraform.tfstate` (it includes `-backend-config` values). The workspace is the one
 * named, else $TF_WORKSPACE, else the one `terraform workspace select` recorded in
 * `.terraform/environment`, else `default`.
 */
export async function stateOfDirectory(dir: string, options: { workspace?: string; env?: NodeJS.ProcessEnv } = {}): Promise<DirectoryState> {
  const env = options.env ?? process.env;
  const { default: hcl } = (await import("hcl2-parser")) as unknown as { default: HclParser };
  const files = configurationFiles(dir);
  const declared: { type: string; config: Record<string, unknown>; file: string }[] = [];
  for (const file of files) {
    const text = readFileSync(join(dir, file), "utf8");
    const parsed = parseHcl(hcl, text, file);
    for (const block of asList(parsed.terraform)) {
      const backends = (block as Record<string, unknown>).backend as Record<string, unknown> | undefined;
      for (const [type, bodies] of Object.entries(backends ?? {})) {
        for (const body of asList(bodies)) declared.push({ type, config: (body ?? {}) as Record<string, unknown>, file });
      }
      if ((block as Record<string, unknown>).cloud !== undefined) declared.push({ type: "cloud", config: {}, file });
    }
  }
  if (declared.length > 1) {
    throw new CmdbError(`the configuration declares ${declared.length} backends (${declared.map((d) => `"${d.type}" in ${d.file}`).join(", ")}); Terraform allows one`, {
      where: dir,
      hint: "keep one backend block",
    });
  }
  const workspace = options.workspace ?? (env.TF_WORKSPACE || selectedWorkspace(dir) || "default");
  const found = declared[0];
  const type = found?.type ?? "local";
  // What the last `terraform init` recorded is the effective configuration: -backend-config values override the block's.
  const config = { ...definedValues(found?.config ?? {}), ...recordedConfig(dir, type) };
  const where = found ? `${join(dir, found.file)}: backend "${type}"` : dir;
  const base = { backend: type, workspace, ...(found ? { declaredIn: found.file } : {}) };
  switch (type) {
    case "local":
      return { ...base, spec: localPath(dir, config, workspace, where), read: {} };
    case "s3":
      return { ...base, ...s3State(config, workspace, where) };
    case "http":
      return { ...base, spec: httpAddress(config, workspace, where), read: {} };
    default:
      throw new CmdbError(`the "${type}" backend is not one cmdb reads (it reads local, s3 and http)`, {
        where: found ? `${join(dir, found.file)}` : dir,
        hint: PIPE_HINT,
      });
  }
}

function configurationFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError("is not a directory", { where: dir, hint: "--dir names the Terraform configuration directory" });
    names = readdirSync(dir).sort();
  } catch (error) {
    if (error instanceof CmdbError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === "ENOENT" ? "does not exist" : `cannot read the directory (${code ?? (error as Error).message})`, {
      where: dir,
      hint: "--dir names the Terraform configuration directory",
    });
  }
  // Terraform reads the .tf files of the directory itself, not of its subdirectories.
  const files = names.filter((n) => n.endsWith(".tf") && statSync(join(dir, n)).isFile());
  if (files.length === 0) {
    const json = names.some((n) => n.endsWith(".tf.json"));
    throw new UsageError(json ? "holds only .tf.json files, which cmdb does not read" : "holds no .tf files", {
      where: dir,
      hint: json ? PIPE_HINT : "--dir names the directory where you run `terraform apply`",
    });
  }
  return files;
}

/** Parses one file; a syntax error is located by parsing the file's top-level blocks one by one. */
function parseHcl(hcl: HclParser, text: string, file: string): Record<string, unknown> {
  const [parsed] = hcl.parseToObject(text);
  if (parsed && typeof parsed === "object") return parsed;
  const line = locateHclError(text, (chunk) => {
    const [ok] = hcl.parseToObject(chunk);
    return Boolean(ok && typeof ok === "object");
  });
  throw new CmdbError(line ? `not valid HCL (${line.why})` : "not valid HCL", {
    where: line ? `${file}:${line.line}` : file,
    hint: "run `terraform validate` there for the exact error",
  });
}

/**
 * The line of a syntax error. hcl2-parser reports no position, so the text is cut into its
 * top-level blocks (a small scanner that knows strings, interpolations, comments and heredocs)
 * and each block is parsed alone: the first that fails is named by its first line. A block that
 * never closes is named by the line that opens it. Exported for its tests.
 */
export function locateHclError(text: string, parses: (chunk: string) => boolean): { line: number; why: string } | undefined {
  const lines = text.split("\n");
  const chunks: { from: number; to: number; head: number }[] = [];
  const stack: ("{" | "(" | "[" | "interp" | "string")[] = [];
  let line = 1;
  let chunkStart = 1;
  let head = 0;
  let openedAt = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const top = stack[stack.length - 1];
    if (ch === "\n") {
      line++;
      continue;
    }
    if (top === "string") {
      if (ch === "\\") i++;
      else if (ch === '"') stack.pop();
      else if ((ch === "$" || ch === "%") && text[i + 1] === "{") {
        if (text[i - 1] === ch) continue;
        stack.push("interp");
        i++;
      }
      continue;
    }
    if (ch === "#" || (ch === "/" && text[i + 1] === "/")) {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
      continue;
    }
    if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (let j = i; j < stop; j++) if (text[j] === "\n") line++;
      i = stop - 1;
      continue;
    }
    if (ch === "<" && text[i + 1] === "<") {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(text.slice(i, i + 200));
      if (m) {
        const marker = m[1]!;
        let j = line; // lines[] is 0-based: lines[line] is the line after the heredoc's opening
        while (j < lines.length && lines[j]!.trim() !== marker) j++;
        const consumed = Math.min(j, lines.length - 1);
        i = lines.slice(0, consumed + 1).join("\n").length - 1;
        line = consumed + 1;
        continue;
      }
    }
    if (ch === '"') stack.push("string");
    else if (ch === "{" || ch === "(" || ch === "[") {
      if (stack.length === 0 && head === 0) head = line;
      if (stack.length === 0) openedAt = line;
      stack.push(ch);
    } else if (ch === "}" || ch === ")" || ch === "]") {
      if (top === "interp" && ch === "}") {
        stack.pop();
        continue;
      }
      if (stack.length === 0) return { line, why: `"${ch}" closes nothing` };
      stack.pop();
      if (stack.length === 0) {
        chunks.push({ from: chunkStart, to: line, head: head || chunkStart });
        chunkStart = line + 1;
        head = 0;
      }
    }
  }
  for (const chunk of chunks) {
    if (!parses(lines.slice(chunk.from - 1, chunk.to).join("\n"))) return { line: chunk.head, why: "in the block that starts here" };
  }
  if (stack.length > 0) return { line: openedAt, why: stack[stack.length - 1] === "string" ? "a string that starts in this block never ends" : "a block opened here is never closed" };
  const rest = lines.slice(chunkStart - 1).join("\n");
  if (rest.trim() !== "" && !parses(rest)) {
    const first = lines.findIndex((l, n) => n >= chunkStart - 1 && l.trim() !== "" && !/^\s*(#|\/\/)/.test(l));
    return { line: first + 1, why: "here" };
  }
  return undefined;
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Backend blocks cannot use variables: a `${…}` value is a configuration Terraform itself would refuse. */
function definedValues(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) if (value !== null && value !== undefined) out[name] = value;
  return out;
}

/** What `terraform init` recorded for this backend type (it includes `-backend-config` values). */
function recordedConfig(dir: string, type: string): Record<string, unknown> {
  const path = join(dir, ".terraform", "terraform.tfstate");
  if (!existsSync(path)) return {};
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as { backend?: { type?: string; config?: Record<string, unknown> } };
    if (doc.backend?.type !== type || !doc.backend.config) return {};
    return definedValues(doc.backend.config);
  } catch {
    // A damaged cache is Terraform's to report at the next `init`; the .tf files still name the backend.
    return {};
  }
}

function selectedWorkspace(dir: string): string | undefined {
  const path = join(dir, ".terraform", "environment");
  if (!existsSync(path)) return undefined;
  return readFileSync(path, "utf8").trim() || undefined;
}

function text(config: Record<string, unknown>, name: string, where: string): string | undefined {
  const value = config[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new CmdbError(`${name} must be a string`, { where });
  if (value.includes("${")) {
    throw new CmdbError(`${name} = ${JSON.stringify(value)} uses an expression, which a backend block cannot`, {
      where,
      hint: "give the value literally, or with -backend-config at `terraform init`",
    });
  }
  return value;
}

function required(config: Record<string, unknown>, name: string, where: string): string {
  const value = text(config, name, where);
  if (!value) {
    throw new CmdbError(`sets no ${name}`, {
      where,
      hint: `a partial configuration is completed by \`terraform init -backend-config=…\`: run it there so .terraform/terraform.tfstate records ${name}, or ${PIPE_HINT}`,
    });
  }
  return value;
}

function localPath(dir: string, config: Record<string, unknown>, workspace: string, where: string): string {
  const inDir = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  if (workspace === "default") return inDir(text(config, "path", where) ?? "terraform.tfstate");
  return join(inDir(text(config, "workspace_dir", where) ?? "terraform.tfstate.d"), workspace, "terraform.tfstate");
}

function s3State(config: Record<string, unknown>, workspace: string, where: string): { spec: string; read: Pick<ReadOptions, "s3"> } {
  const bucket = required(config, "bucket", where);
  const key = required(config, "key", where);
  const prefix = text(config, "workspace_key_prefix", where) ?? "env:";
  const endpoints = config.endpoints;
  const listed = Array.isArray(endpoints) ? endpoints[0] : endpoints;
  const endpoint =
    (listed && typeof listed === "object" ? text(listed as Record<string, unknown>, "s3", where) : undefined) ?? text(config, "endpoint", where);
  const region = text(config, "region", where);
  const objectKey = workspace === "default" ? key : `${prefix}/${workspace}/${key}`;
  return {
    spec: `s3://${bucket}/${objectKey}`,
    read: { s3: { ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}) } },
  };
}

function httpAddress(config: Record<string, unknown>, workspace: string, where: string): string {
  if (workspace !== "default") {
    throw new CmdbError(`the http backend has no workspaces, but the workspace is "${workspace}"`, {
      where,
      hint: "select the default workspace, or pass --workspace default",
    });
  }
  const address = required(config, "address", where);
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new CmdbError("address is not a URL", { where });
  }
  const username = text(config, "username", where);
  const password = text(config, "password", where);
  if (username) url.username = encodeURIComponent(username);
  if (password) url.password = encodeURIComponent(password);
  return url.toString();
}
