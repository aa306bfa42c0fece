import { type Argument, type Command, Help, type Option } from "commander";

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Commander's error, reshaped to the house form: `cmdb: ci list: unknown option '--stauts' (did you
 * mean --status?; see `cmdb ci list --help`)`. One line, never the whole help.
 */
export function formatUsageError(text: string, path: string): string {
  const lines = text
    .trim()
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const what = (lines[0] ?? "invalid usage").replace(/^error:\s*/, "");
  const hints = lines.slice(1).map((l) => l.replace(/^\((.*)\)$/, "$1").replace(/^Did you mean/, "did you mean"));
  hints.push(`see \`${path} --help\``);
  const where = path === "cmdb" ? "" : `${path.replace(/^cmdb /, "")}: `;
  return `cmdb: ${where}${what} (${hints.join("; ")})\n`;
}

/** A default says nothing ([] or "") or the description already states it: help shows it once, in words. */
function defaultSaidOnce<T extends Option | Argument>(item: T): T {
  const value = item.defaultValue as unknown;
  const empty = value === "" || (Array.isArray(value) && value.length === 0);
  if (value === undefined || !(empty || /\bdefault\b/i.test(item.description))) return item;
  return Object.assign(Object.create(Object.getPrototypeOf(item)), item, { defaultValue: undefined });
}

const help = {
  optionDescription(this: Help, option: Option) {
    return Help.prototype.optionDescription.call(this, defaultSaidOnce(option));
  },
  argumentDescription(this: Help, argument: Argument) {
    return Help.prototype.argumentDescription.call(this, defaultSaidOnce(argument));
  },
};

/** Every command of the tree prints its usage errors as one line naming itself, and its help states each default once. */
export function oneLineUsageErrors(root: Command): void {
  const visit = (command: Command) => {
    const path = commandPath(command);
    command.configureHelp(help);
    command.showHelpAfterError(false).showSuggestionAfterError(true);
    command.configureOutput({ outputError: (text, write) => write(formatUsageError(text, path)) });
    for (const sub of command.commands) visit(sub);
  };
  visit(root);
}
