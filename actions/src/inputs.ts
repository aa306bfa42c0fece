import { isAbsolute, join } from "node:path";

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const FAIL_ON = ["none", "any", ...SEVERITIES] as const;
export type FailOn = (typeof FAIL_ON)[number];

export interface ActionInputs {
  command: string[];
  databaseUrl: string;
  config: string;
  repository: string;
  token: string;
  dryRun: boolean;
  failOn: FailOn;
  snapshot: string;
}

/** A bad input: the action fails with this one sentence and writes nothing else. */
export class InputError extends Error {}

/** What the runner sets for input `name`: INPUT_ + the name upper-cased, spaces as underscores (dashes stay). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[inputVariable(name)] ?? "").trim();
}

function bool(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = input(env, name).toLowerCase();
  if (value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new InputError(`input ${name}: expected true or false, got ${JSON.stringify(value)}`);
}

/**
 * Splits the `command` input as a shell would split plain words and quotes, without a shell: no
 * variable, glob or command substitution ever happens here.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && (text[i + 1] === '"' || text[i + 1] === "\\")) word += text[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new InputError(`input command: unterminated ${quote} quote in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}

export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const raw = input(env, "command");
  const command = splitCommand(raw);
  if (command[0] === "cmdb") command.shift();
  if (command.length === 0) throw new InputError("input command is empty: name a cmdb command, e.g. `drift --github`");
  const failOn = (input(env, "fail-on") || "none").toLowerCase();
  if (!(FAIL_ON as readonly string[]).includes(failOn)) throw new InputError(`input fail-on: expected one of ${FAIL_ON.join(", ")}, got ${JSON.stringify(failOn)}`);
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const snapshot = input(env, "snapshot");
  return {
    command,
    databaseUrl: input(env, "database-url"),
    config: input(env, "config"),
    repository: input(env, "github-repository") || (env.GITHUB_REPOSITORY ?? ""),
    token: input(env, "token"),
    dryRun: bool(env, "dry-run"),
    failOn: failOn as FailOn,
    snapshot: snapshot === "" || isAbsolute(snapshot) ? snapshot : join(workspace, snapshot),
  };
}
