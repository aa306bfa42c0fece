import type { Command } from "commander";
import type { IngestResult } from "../reconcile/ingest.js";
import { terminalLines } from "../util/terminal.js";
import { registerSourceIngest } from "./ingest-source.js";

export function summarizeIngest(r: IngestResult): string {
  const c = r.counts;
  const parts = [`${c.seen} seen`, `${c.new} new`, `${c.changed} changed`, `${c.gone} gone`];
  if (c.missing) parts.push(`${c.missing} now missing`);
  if (c.retired) parts.push(`${c.retired} retired`);
  parts.push(`${c.relationshipsAdded} relationships added`, `${c.relationshipsRemoved} removed`);
  const head = `${r.source} ${r.scope}: ${parts.join(", ")} (${r.outcome}, ${r.runId}, ${r.durationMs} ms)`;
  return terminalLines([head, ...r.warnings.map((w) => `  warning: ${w}`)]);
}

/** `cmdb ingest <source>`: one source, one run, one transaction. */
export function registerIngest(program: Command): void {
  const ingest = program.command("ingest").description("ingest one source into the CMDB");

  registerSourceIngest(ingest);
}
