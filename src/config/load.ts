import { existsSync, readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { fileProblem, UsageError } from "../util/errors.js";
import { type ConfigFile, configSchema } from "./schema.js";

export const DEFAULT_CONFIG_FILE = "cmdb.config.yaml";

/** Reads the configuration file named by --config, CMDB_CONFIG, or ./cmdb.config.yaml if present. */
export function loadConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { config: ConfigFile; path?: string } {
  const path = flag ?? env.CMDB_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (!path) return { config: {} };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`the configuration file ${fileProblem(error, "read") ?? `cannot be read (${(error as Error).message})`}`, { where: path });
  }
  return { config: parseConfig(text, path), path };
}

export function parseConfig(text: string, path: string): ConfigFile {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = first.linePos?.[0];
    throw new UsageError(`invalid YAML: ${first.message.split("\n")[0]}`, { where: line ? `${path}:${line.line}:${line.col}` : path });
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const { path: at, message } = explainIssue(result.error.issues[0]!);
    throw new UsageError(`${at.length > 0 ? formatPath(at) : "(top level)"}: ${message}`, { where: path });
  }
  return result.data;
}

type Issue = z.core.$ZodIssue;

/** `sources.proxmox[0].url`: the spelling a reader finds in the file. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((step, i) => (typeof step === "number" ? `[${step}]` : `${i === 0 ? "" : "."}${String(step)}`)).join("");
}

/**
 * The issue a reader can act on. A union that failed names no branch; when one branch got further
 * into the value (a list entry whose field is wrong), that branch's issue is the one meant.
 */
export function explainIssue(issue: Issue): { path: PropertyKey[]; message: string } {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return { path: [...issue.path], message: issue.message };
  const branches = issue.errors.map((branch) => branch.map(explainIssue));
  const depth = (b: { path: PropertyKey[] }[]): number => Math.max(...b.map((i) => i.path.length));
  const deepest = branches.reduce((best, b) => (depth(b) > depth(best) ? b : best));
  if (depth(deepest) > 0) {
    const inner = deepest[0]!;
    return { path: [...issue.path, ...inner.path], message: inner.message };
  }
  if (issue.message !== "Invalid input") return { path: [...issue.path], message: issue.message };
  const said = [...new Set(branches.map((b) => b[0]!.message.replace(/^Invalid input: /, "")))];
  return { path: [...issue.path], message: said.join(", or ") };
}

