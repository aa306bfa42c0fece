#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { describeError } from "../util/errors.js";
import { redactText } from "../util/redact.js";
import { terminalLines, terminalSafe } from "../util/terminal.js";
import { registerCommands } from "./commands.js";
import { oneLineUsageErrors } from "./usage.js";
import { quietAwsNodeWarning } from "./warnings.js";

quietAwsNodeWarning();

const program = new Command("cmdb")
  .description("gitops-cmdb: keep a configuration management database true to reality")
  .version(pkg.version, "-V, --version")
  .option("--db <path|url>", "store: a PGlite directory or postgres://… (default: $CMDB_DATABASE_URL, else ./.cmdb)")
  .option("-c, --config <file>", "configuration file (default: $CMDB_CONFIG, else ./cmdb.config.yaml when present)")
  .option("--debug", "print stack traces of errors")
  .exitOverride();

registerCommands(program);
oneLineUsageErrors(program);

// `cmdb ci list | head`: a reader that stops early is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    const code = typeof (error as { exitCode?: unknown }).exitCode === "number" ? (error as { exitCode: number }).exitCode : 1;
    // Errors of drivers and libraries may quote a connection string or a command line: mask their secrets.
    process.stderr.write(`cmdb: ${terminalSafe(redactText(describeError(error)))}\n`);
    if (program.opts().debug && error instanceof Error && error.stack) process.stderr.write(`${terminalLines(redactText(error.stack).split("\n"))}\n`);
    process.exitCode = code;
  }
}
