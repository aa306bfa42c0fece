import { type CiType, typesCompatible } from "../model/ci-types.js";
import type { KeyQuality, SharedKey } from "./key-quality.js";
import { LOOKUP_ONLY, type RuleBook, schemeOf } from "./rules.js";

/**
 * Identification: which observations are one real thing. Every observation the batch can touch is
 * a node; keys are processed from the highest-ranked scheme down, and a key joins the clusters of
 * its holders only when no equal- or higher-ranked scheme they both carry contradicts it, their
 * strong keys do not all disagree, and (for weak keys) it is unique. A key whose holders contradict
 * each other is learned as shared and joins nothing, now and later. Deterministic and independent
 * of ingest order: the result depends only on the set of nodes. Pure.
 */
export interface IdNode {
  source: string;
  scope: string;
  ref: string;
  type: CiType;
  keys: readonly string[];
  strongKeys: ReadonlySet<string>;
  present: boolean;
  /** Reported by the batch being planned: "two refs of one scope are two things" counts only these. */
  inBatch: boolean;
  firstSeen: number;
  lastSeen: number;
  /** The CI it was on: where a name or address turns ambiguous, an earlier join that still holds stays. */
  prior?: string;
}

/** A person's correction: these two observations are one thing (merge), or never one (split). */
export interface LinkOverride {
  kind: "merge" | "split";
  a: number;
  b: number;
}

export interface Join {
  a: number;
  b: number;
  key: string;
  rank: number;
}

export interface Refusal {
  node: number;
  key: string;
  reason: "placeholder" | "shared" | "ignored" | "contradicted" | "ambiguous";
  detail: string;
}

export interface Clustering {
  /** A representative node per node: nodes with the same representative are one thing. */
  root: number[];
  joins: Join[];
  refused: Refusal[];
  /** Key values learned in this pass to identify nothing. */
  shared: SharedKey[];
  warnings: string[];
}

export interface ClusterOptions {
  rules: RuleBook;
  quality: KeyQuality;
  overrides?: readonly LinkOverride[];
  /** Collect every refused key per node (for `cmdb ci why`); planning needs only the decisions. */
  explain?: boolean;
}

interface Conflict {
  why: "contradicted" | "scope" | "source" | "type" | "override";
  scheme?: string;
}

class Cluster {
  readonly members: number[] = [];
  /** Usable identity keys by scheme. */
  readonly values = new Map<string, Set<string>>();
  readonly strongSchemes = new Set<string>();
  readonly allKeys = new Set<string>();
  readonly types = new Set<CiType>();
  /** Present nodes of the batch being planned. */
  batch = 0;
  /** Present nodes' weak keys, per source and scheme. */
  readonly bySource = new Map<string, Map<string, Set<string>>>();
  readonly cannot = new Set<number>();
  readonly priors = new Set<string>();

  absorb(other: Cluster): void {
    for (const m of other.members) this.members.push(m);
    for (const [scheme, set] of other.values) addAll(this.values, scheme, set);
    for (const s of other.strongSchemes) this.strongSchemes.add(s);
    for (const k of other.allKeys) this.allKeys.add(k);
    for (const t of other.types) this.types.add(t);
    this.batch += other.batch;
    for (const [source, schemes] of other.bySource) {
      const mine = this.bySource.get(source) ?? new Map<string, Set<string>>();
      for (const [scheme, set] of schemes) addAll(mine, scheme, set);
      this.bySource.set(source, mine);
    }
    for (const c of other.cannot) this.cannot.add(c);
    for (const p of other.priors) this.priors.add(p);
  }
}

function addAll(map: Map<string, Set<string>>, scheme: string, values: Iterable<string>): void {
  let set = map.get(scheme);
  if (!set) {
    set = new Set();
    map.set(scheme, set);
  }
  for (const v of values) set.add(v);
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const v of small) if (large.has(v)) return true;
  return false;
}

function subset(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const v of a) if (!b.has(v)) return false;
  return true;
}

/** The keys of a node that may identify it: weak keys only while it is reported, lookup-only keys never. */
export function identityKeys(node: IdNode): string[] {
  return node.keys.filter((k) => !LOOKUP_ONLY.has(schemeOf(k)) && (node.present || node.strongKeys.has(k)));
}

export function clusterNodes(nodes: readonly IdNode[], options: ClusterOptions): Clustering {
  const { rules, quality } = options;
  const parent = nodes.map((_, i) => i);
  const clusters = new Map<number, Cluster>();
  const refused: Refusal[] = [];
  const shared: SharedKey[] = [];
  const warnings: string[] = [];
  const joins: Join[] = [];
  const holders = new Map<string, number[]>();
  const strongKeys = new Set<string>();

  nodes.forEach((node, i) => {
    const c = new Cluster();
    c.members.push(i);
    c.types.add(node.type);
    if (node.present && node.inBatch) c.batch = 1;
    if (node.prior) c.priors.add(node.prior);
    for (const key of identityKeys(node)) {
      const verdict = quality.verdict(key);
      if (!verdict.usable) {
        if (options.explain) refused.push({ node: i, key, reason: verdict.reason!, detail: verdict.detail! });
        continue;
      }
      const scheme = schemeOf(key);
      const strong = node.strongKeys.has(key);
      addAll(c.values, scheme, [key]);
      c.allKeys.add(key);
      if (strong) {
        c.strongSchemes.add(scheme);
        strongKeys.add(key);
      } else if (node.present) {
        const bySource = c.bySource.get(node.source) ?? new Map<string, Set<string>>();
        addAll(bySource, scheme, [key]);
        c.bySource.set(node.source, bySource);
      }
      const list = holders.get(key);
      if (list) list.push(i);
      else holders.set(key, [i]);
    }
    clusters.set(i, c);
  });

  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[i] !== r) {
      const next = parent[i]!;
      parent[i] = r;
      i = next;
    }
    return r;
  };
  const union = (a: number, b: number): number => {
    const ca = clusters.get(a)!;
    const cb = clusters.get(b)!;
    const [keep, drop] = ca.members.length >= cb.members.length ? [a, b] : [b, a];
    clusters.get(keep)!.absorb(clusters.get(drop)!);
    clusters.delete(drop);
    parent[drop] = keep;
    return keep;
  };

  for (const o of options.overrides ?? []) {
    if (o.kind === "split") {
      clusters.get(o.a)?.cannot.add(o.b);
      clusters.get(o.b)?.cannot.add(o.a);
    }
  }
  for (const o of options.overrides ?? []) {
    if (o.kind !== "merge") continue;
    const ra = find(o.a);
    const rb = find(o.b);
    if (ra !== rb) {
      union(ra, rb);
      joins.push({ a: o.a, b: o.b, key: "cmdb ci merge", rank: -1 });
    }
  }

  const describe = (type: CiType, scheme: string) => rules.describe(type, scheme, strongSchemeSeen(scheme));
  const strongSchemeCache = new Map<string, boolean>();
  function strongSchemeSeen(scheme: string): boolean {
    let v = strongSchemeCache.get(scheme);
    if (v === undefined) {
      v = [...strongKeys].some((k) => schemeOf(k) === scheme);
      strongSchemeCache.set(scheme, v);
    }
    return v;
  }

  const conflict = (a: Cluster, b: Cluster, scheme: string, rank: number, weakJoin: boolean, type: CiType): Conflict | undefined => {
    for (const ta of a.types) for (const tb of b.types) if (!typesCompatible(ta, tb)) return { why: "type" };
    for (const n of a.cannot) if (b.members.includes(n)) return { why: "override" };
    let commonStrong = 0;
    let agreeStrong = 0;
    let disagreeing: string | undefined;
    for (const [other, va] of a.values) {
      const vb = b.values.get(other);
      if (!vb || other === scheme) continue;
      const d = describe(type, other);
      const disjoint = !intersects(va, vb);
      if (d.single && disjoint && d.rank <= rank) return { why: "contradicted", scheme: other };
      if (a.strongSchemes.has(other) && b.strongSchemes.has(other)) {
        commonStrong++;
        if (!disjoint) agreeStrong++;
        else disagreeing ??= other;
      }
    }
    if (commonStrong > 0 && agreeStrong === 0) return { why: "contradicted", scheme: disagreeing! };
    if (weakJoin) {
      if (a.batch > 0 && b.batch > 0) return { why: "scope" };
      for (const [source, sa] of a.bySource) {
        const sb = b.bySource.get(source);
        if (!sb) continue;
        for (const [other, va] of sa) {
          const vb = sb.get(other);
          if (!vb || other === scheme) continue;
          // The same source names the thing differently in two scopes: two things, unless some
          // other source shows one thing carrying both (facts listing both addresses).
          if (!intersects(va, vb) && !subset(vb, a.allKeys) && !subset(va, b.allKeys)) return { why: "source", scheme: other };
        }
      }
    }
    return undefined;
  };

  const ordered = [...holders.entries()]
    .filter(([, list]) => list.length > 1)
    .map(([key, list]) => {
      const scheme = schemeOf(key);
      const type = nodes[list[0]!]!.type;
      return { key, list, scheme, type, rank: describe(type, scheme).rank, strong: strongKeys.has(key) };
    })
    .sort((x, y) => x.rank - y.rank || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));

  let keptApart = 0;
  const keptApartSample: string[] = [];
  const check = (roots: number[], scheme: string, rank: number, weakJoin: boolean, type: CiType) => {
    let contradiction: { pair: [number, number]; conflict: Conflict } | undefined;
    let blocked: Conflict | undefined;
    for (let i = 0; i < roots.length && !contradiction; i++) {
      for (let j = i + 1; j < roots.length; j++) {
        const c = conflict(clusters.get(roots[i]!)!, clusters.get(roots[j]!)!, scheme, rank, weakJoin, type);
        if (!c) continue;
        if (c.why === "contradicted") {
          contradiction = { pair: [roots[i]!, roots[j]!], conflict: c };
          break;
        }
        blocked ??= c;
      }
    }
    return { contradiction, blocked };
  };

  for (const { key, list, scheme, type, rank, strong } of ordered) {
    const roots = [...new Set(list.map(find))].sort((a, b) => a - b);
    if (roots.length < 2) continue;
    const weakJoin = !strong;
    const { contradiction, blocked } = check(roots, scheme, rank, weakJoin, type);
    if (contradiction && !strong) {
      // Names and addresses are reused; a weak value two live things carry is ambiguous, not
      // learned. What it joined before and still may join stays joined.
      if (options.explain) for (const n of list) refused.push({ node: n, key, reason: "contradicted", detail: `its holders disagree on ${contradiction.conflict.scheme}` });
      for (let i = 0; i < roots.length; i++) {
        for (let j = i + 1; j < roots.length; j++) {
          const a = find(roots[i]!);
          const b = find(roots[j]!);
          if (a === b) continue;
          const ca = clusters.get(a)!;
          const cb = clusters.get(b)!;
          if (![...ca.priors].some((p) => cb.priors.has(p))) continue;
          if (conflict(ca, cb, scheme, rank, weakJoin, type)) continue;
          joins.push({ a: ca.members[0]!, b: cb.members[0]!, key, rank });
          union(a, b);
        }
      }
      continue;
    }
    if (contradiction) {
      const evidence = list.map((n) => `${nodes[n]!.source}:${nodes[n]!.scope}:${nodes[n]!.ref}`).sort();
      const reason = `claimed by ${roots.length} things that disagree on ${contradiction.conflict.scheme}`;
      shared.push({ key, reason, evidence });
      for (const n of list) refused.push({ node: n, key, reason: "shared", detail: reason });
      warnings.push(`${key} is ${reason} (${evidence.slice(0, 4).join(", ")}${evidence.length > 4 ? ", …" : ""}); it identifies nothing from now on`);
      continue;
    }
    if (blocked) {
      const detail =
        blocked.why === "scope"
          ? "two things this scope reports"
          : blocked.why === "source"
            ? `one source names them differently in two scopes (${blocked.scheme})`
            : blocked.why === "override"
              ? "a person split them (cmdb ci split)"
              : "their types cannot be one thing";
      if (options.explain) for (const n of list) refused.push({ node: n, key, reason: "ambiguous", detail });
      if (blocked.why === "source" || blocked.why === "override") {
        keptApart++;
        if (keptApartSample.length < 5) keptApartSample.push(key);
      }
      continue;
    }
    let current = roots[0]!;
    for (const next of roots.slice(1)) {
      const c = conflict(clusters.get(current)!, clusters.get(next)!, scheme, rank, weakJoin, type);
      if (c) {
        if (options.explain) for (const n of list) refused.push({ node: n, key, reason: c.why === "contradicted" ? "contradicted" : "ambiguous", detail: `conflicts on ${c.scheme ?? c.why}` });
        break;
      }
      joins.push({ a: clusters.get(current)!.members[0]!, b: clusters.get(next)!.members[0]!, key, rank });
      current = union(current, next);
    }
  }
  if (keptApart > 0) {
    warnings.push(
      `${keptApart} key(s) point at several things that cannot be one (${keptApartSample.join(", ")}${keptApart > keptApartSample.length ? ", …" : ""}); kept apart`,
    );
  }

  return { root: nodes.map((_, i) => find(i)), joins, refused, shared, warnings };
}
