import { type Command, InvalidArgumentError } from "commander";

const failOn = (value: string) => {
  if (!["any", "none", "critical", "high", "medium", "low", "info"].includes(value)) {
    throw new InvalidArgumentError("expected any, none, critical, high, medium, low or info");
  }
  return value;
};

const repo = (value: string) => {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(value)) throw new InvalidArgumentError("expected OWNER/REPO");
  return value;
};

/** `cmdb drift`: declared vs live, inventory vs live, stale CIs; optionally kept as GitHub issues. */
export function registerDrift(program: Command): void {
  program
    .command("drift")
    .description("drift findings: changed, missing, unmanaged, not-in-inventory, inventory-orphan, stale (exit 1 when any reach --fail-on)")
    .option("--json", "print JSON: { findings: [...], coverage, ... }")
    .option("--markdown", "print a Markdown report")
    .option("--fail-on <severity>", "exit 1 when a finding is at or above this severity (any, none, critical, high, medium, low, info)", failOn, "any")
    .option("--ignore-file <file>", "ignore rules (default drift.ignoreFile, else ./.cmdbignore when present)")
    .option("--github <owner/repo>", "keep one GitHub issue per drifted CI and a dashboard issue (token from GITHUB_TOKEN or GH_TOKEN)", repo)
    .option("--sarif <file>", "also write SARIF for GitHub code scanning: findings on Terraform-managed CIs, on the line of their resource block (needs --tf-dir)")
    .option("--tf-dir <dir>", "the Terraform configuration the SARIF locations point into (relative to the repository root)")
    .option("--dry-run", "record nothing and write nothing to GitHub: print every create, update, comment and close instead")
    .action(async (opts, command: Command) => {
      const { runDrift } = await import("./drift-run.js");
      await runDrift(command, opts);
    });
}
