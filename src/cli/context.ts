import type { Command } from "commander";

/** Global options, read from the root command (they come before the subcommand: `cmdb --db X ci list`). */
export interface GlobalOptions {
  db?: string;
  config?: string;
  debug?: boolean;
  json?: boolean;
}

export function globals(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  return root.opts<GlobalOptions>();
}

/** Writes data for humans or, with --json, as JSON on stdout. */
export function print(data: unknown, json: boolean, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : ensureNewline(human()));
}

function ensureNewline(text: string): string {
  return text.length === 0 || text.endsWith("\n") ? text : `${text}\n`;
}
