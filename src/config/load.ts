import { existsSync, readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { UsageError } from "../util/errors.js";
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
    throw new UsageError(`cannot read the configuration file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { where: path });
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
    const issue = result.error.issues[0]!;
    const at = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    throw new UsageError(`${at}: ${issue.message}`, { where: path });
  }
  return result.data;
}

