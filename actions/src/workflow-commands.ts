import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";

/**
 * The runner's file and stdout protocols (workflow commands), written the way the runner parses
 * them: a value is data, never a command, whatever it holds.
 */

/** A message: `%`, CR and LF are the runner's delimiters, so they travel percent-encoded. */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A property value (title=, file=): also `:` and `,`, which end a property. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export type AnnotationLevel = "error" | "warning" | "notice";

/** `::warning title=…::message` */
export function annotation(level: AnnotationLevel, message: string, properties: Record<string, string | undefined> = {}): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== "")
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(",");
  return `::${level}${props ? ` ${props}` : ""}::${escapeData(message)}`;
}

/**
 * One step output in $GITHUB_OUTPUT, in the heredoc form the runner reads for any value: the
 * delimiter is random, so no value can end it early and inject another output.
 */
export function outputRecord(name: string, value: string): string {
  let delimiter = `ghadelimiter_${randomUUID()}`;
  while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

export function setOutput(file: string | undefined, name: string, value: string): void {
  if (!file) return;
  appendFileSync(file, outputRecord(name, value));
}

export function appendSummary(file: string | undefined, markdown: string): void {
  if (!file || markdown === "") return;
  appendFileSync(file, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
}
