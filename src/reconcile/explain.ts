import type { ReconcileSettings } from "../config/schema.js";
import { KeyQuality } from "./key-quality.js";
import { clusterNodes, type IdNode, type LinkOverride } from "./identify.js";
import { LOOKUP_ONLY, RuleBook, schemeOf } from "./rules.js";
import type { IdentityOverride, StoredObservation } from "./types.js";

/** `cmdb ci why`: which keys hold a CI's observations together, at what rank, and which keys were refused and why. Pure. */
export interface IdentityExplanation {
  observations: { source: string; scope: string; ref: string; status: string; keys: string[] }[];
  /** Keys two or more of its observations share, highest rank first, and whether they decided a join. */
  joinedBy: { key: string; rank: number; strength: "strong" | "weak"; observations: string[]; decided: boolean }[];
  refused: { key: string; reason: string; detail: string; observations: string[] }[];
  corrections: { kind: "merge" | "split"; a: string; b: string }[];
}

const label = (o: { source: string; scope: string; ref: string }) => `${o.source}:${o.scope}:${o.ref}`;

export function explainIdentity(
  observations: readonly StoredObservation[],
  sharedKeys: ReadonlyMap<string, string>,
  overrides: readonly IdentityOverride[],
  settings: ReconcileSettings,
): IdentityExplanation {
  const rules = new RuleBook(settings.identity.rules);
  const quality = new KeyQuality(settings.identity.ignoreKeys, sharedKeys);
  const sorted = [...observations].sort((a, b) => (label(a) < label(b) ? -1 : 1));
  const nodes: IdNode[] = sorted.map((o) => ({
    source: o.source,
    scope: o.scope,
    ref: o.ref,
    type: o.type,
    keys: o.keys,
    strongKeys: new Set(o.strongKeys),
    present: o.status === "present",
    inBatch: false,
    firstSeen: o.firstSeen.getTime(),
    lastSeen: o.lastSeen.getTime(),
    prior: o.ciId,
  }));
  const index = new Map(sorted.map((o, i) => [label(o), i]));
  const links: LinkOverride[] = [];
  const corrections: IdentityExplanation["corrections"] = [];
  for (const o of overrides) {
    const a = index.get(label(o.a));
    const b = index.get(label(o.b));
    if (a === undefined && b === undefined) continue;
    corrections.push({ kind: o.kind, a: label(o.a), b: label(o.b) });
    if (a !== undefined && b !== undefined) links.push({ kind: o.kind, a, b });
  }
  const clustering = clusterNodes(nodes, { rules, quality, overrides: links, explain: true });
  const decided = new Set(clustering.joins.map((j) => j.key));

  const holders = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const k of n.keys) {
      if (LOOKUP_ONLY.has(schemeOf(k))) continue;
      holders.set(k, [...(holders.get(k) ?? []), i]);
    }
  });
  const joinedBy: IdentityExplanation["joinedBy"] = [];
  for (const [key, list] of holders) {
    if (list.length < 2 || !quality.verdict(key).usable) continue;
    const strong = list.some((i) => nodes[i]!.strongKeys.has(key));
    joinedBy.push({
      key,
      rank: rules.describe(nodes[list[0]!]!.type, schemeOf(key), strong).rank,
      strength: strong ? "strong" : "weak",
      observations: list.map((i) => label(nodes[i]!)),
      decided: decided.has(key),
    });
  }
  joinedBy.sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : 1));

  const refusedBy = new Map<string, { key: string; reason: string; detail: string; observations: Set<string> }>();
  for (const r of clustering.refused) {
    const id = `${r.key}\u0000${r.reason}`;
    const entry = refusedBy.get(id) ?? { key: r.key, reason: r.reason, detail: r.detail, observations: new Set<string>() };
    entry.observations.add(label(nodes[r.node]!));
    refusedBy.set(id, entry);
  }
  const refused = [...refusedBy.values()]
    .map((r) => ({ ...r, observations: [...r.observations].sort() }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.reason < b.reason ? -1 : 1));

  return {
    observations: sorted.map((o) => ({ source: o.source, scope: o.scope, ref: o.ref, status: o.status, keys: o.keys })),
    joinedBy,
    refused,
    corrections,
  };
}

/** Of the keys the store holds, those the built-in rules or the config refuse, with why: for `cmdb keys --shared`. */
export function refusedKeys(keys: Iterable<string>, settings: ReconcileSettings): { key: string; reason: string; detail: string }[] {
  const quality = new KeyQuality(settings.identity.ignoreKeys, new Map());
  const out: { key: string; reason: string; detail: string }[] = [];
  for (const key of keys) {
    if (LOOKUP_ONLY.has(schemeOf(key))) continue;
    const v = quality.verdict(key);
    if (!v.usable) out.push({ key, reason: v.reason!, detail: v.detail! });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}
