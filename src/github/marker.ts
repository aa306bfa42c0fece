import { createHash } from "node:crypto";

/**
 * The hidden marker at the end of an issue body: which group the issue stands for, the hash of the
 * content last written, and the items (finding fingerprints) it listed. Finding an issue again,
 * deciding whether to write, and knowing what a person acknowledged all read it.
 */
export interface Marker {
  /** Namespace: drift, rotation, … — one sync never touches another's issues. */
  ns: string;
  key: string;
  hash: string;
  items: string[];
}

const PREFIX = "<!-- cmdb-sync ";
const SUFFIX = " -->";

export function renderMarker(marker: Marker): string {
  // `>` escaped so that no value can end the HTML comment early.
  return `${PREFIX}${JSON.stringify(marker).replace(/>/g, "\\u003e")}${SUFFIX}`;
}

export function parseMarker(body: string | null | undefined): Marker | undefined {
  if (!body) return undefined;
  const start = body.lastIndexOf(PREFIX);
  if (start < 0) return undefined;
  const end = body.indexOf(SUFFIX, start + PREFIX.length);
  if (end < 0) return undefined;
  try {
    const m = JSON.parse(body.slice(start + PREFIX.length, end)) as Partial<Marker>;
    if (typeof m.ns !== "string" || typeof m.key !== "string" || typeof m.hash !== "string" || !Array.isArray(m.items)) return undefined;
    return { ns: m.ns, key: m.key, hash: m.hash, items: m.items.filter((i): i is string => typeof i === "string") };
  } catch {
    return undefined;
  }
}

/** What is written: title, labels and body. The marker is not part of it. */
export function contentHash(title: string, labels: readonly string[], body: string): string {
  return createHash("sha256")
    .update(`${title}\n${[...labels].sort().join(",")}\n${body}`)
    .digest("hex")
    .slice(0, 24);
}

export function withMarker(body: string, marker: Marker): string {
  return `${body.trimEnd()}\n\n${renderMarker(marker)}\n`;
}
