/**
 * Which CI id each cluster of observations gets. A cluster keeps the id its observations had;
 * when it holds the observations of several CIs, the oldest id survives and the others are merged
 * into it; when a CI's observations fall into several clusters, the one holding most of them keeps
 * the id and the rest are split off under new ids. Observations no longer reported follow their
 * CI. Pure.
 */
export interface AssignNode {
  present: boolean;
  /** The CI this observation belonged to, unless its identity was replaced (a reused vmid, a new instance id). */
  claim: string | undefined;
  /** The CI it was stored on, claimed or not. */
  stored: string | undefined;
  /** Carries a usable strong key: its claim outweighs that of names and addresses. */
  strong: boolean;
}

export interface Assignment {
  ciOf: string[];
  /** Ids created for clusters no stored CI could claim. */
  created: Set<string>;
  /** CI id → the id it was merged into. */
  merged: Map<string, string>;
  /** New id → the stored CIs its observations were split from. */
  splitFrom: Map<string, string[]>;
}

export function assignIds(
  nodes: readonly AssignNode[],
  root: readonly number[],
  createdAt: (id: string) => number,
  newId: (node: number) => string,
): Assignment {
  const groups = new Map<number, number[]>();
  root.forEach((r, i) => {
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  });

  interface Claim {
    group: number;
    id: string;
    present: number;
    total: number;
    strong: boolean;
  }
  const claims: Claim[] = [];
  const liveGroups: number[] = [];
  for (const [r, members] of groups) {
    if (!members.some((m) => nodes[m]!.present)) continue;
    liveGroups.push(r);
    const count = new Map<string, { present: number; total: number; strong: boolean }>();
    for (const m of members) {
      const id = nodes[m]!.claim;
      if (!id) continue;
      const c = count.get(id) ?? { present: 0, total: 0, strong: false };
      c.total++;
      if (nodes[m]!.present) c.present++;
      if (nodes[m]!.present && nodes[m]!.strong) c.strong = true;
      count.set(id, c);
    }
    for (const [id, c] of count) claims.push({ group: r, id, ...c });
  }
  // A CI known by strong keys keeps its id over one known only by a name or an address (the
  // inventory entry moves to the replacement instance; it does not drag the old id along); among
  // equals the oldest id survives.
  claims.sort(
    (a, b) =>
      Number(b.strong) - Number(a.strong) ||
      createdAt(a.id) - createdAt(b.id) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
      b.present - a.present ||
      b.total - a.total ||
      a.group - b.group,
  );

  const claimsOf = new Map<string, Claim[]>();
  for (const c of claims) {
    const list = claimsOf.get(c.id);
    if (list) list.push(c);
    else claimsOf.set(c.id, [c]);
  }
  const idOfGroup = new Map<number, string>();
  const groupOfId = new Map<string, number>();
  for (const c of claims) {
    if (idOfGroup.has(c.group) || groupOfId.has(c.id)) continue;
    // Of the clusters that claim one id, the one holding most of its observations keeps it.
    const rival = claimsOf
      .get(c.id)!
      .find((o) => !idOfGroup.has(o.group) && (o.present > c.present || (o.present === c.present && o.total > c.total)));
    const winner = rival ?? c;
    idOfGroup.set(winner.group, winner.id);
    groupOfId.set(winner.id, winner.group);
  }

  const created = new Set<string>();
  const splitFrom = new Map<string, string[]>();
  for (const r of liveGroups.sort((a, b) => a - b)) {
    if (idOfGroup.has(r)) continue;
    const members = groups.get(r)!;
    const first = members.find((m) => nodes[m]!.present) ?? members[0]!;
    const id = newId(first);
    idOfGroup.set(r, id);
    groupOfId.set(id, r);
    created.add(id);
    const from = [...new Set(members.map((m) => nodes[m]!.claim).filter((c): c is string => c !== undefined))].sort();
    if (from.length > 0) splitFrom.set(id, from);
  }

  // A stored CI no cluster kept, all of whose observations joined other clusters, was merged into
  // the one holding most of them. One that keeps observations of its own (no longer reported)
  // stays, and what joined elsewhere moved.
  const keepsOwn = new Set<string>();
  root.forEach((r, i) => {
    const own = nodes[i]!.stored ?? nodes[i]!.claim;
    if (own && !idOfGroup.has(r)) keepsOwn.add(own);
  });
  const merged = new Map<string, string>();
  const votes = new Map<string, Map<string, number>>();
  root.forEach((r, i) => {
    const claim = nodes[i]!.claim;
    const target = idOfGroup.get(r);
    if (!claim || !target || groupOfId.has(claim) || keepsOwn.has(claim) || !nodes[i]!.present) return;
    const v = votes.get(claim) ?? new Map<string, number>();
    v.set(target, (v.get(target) ?? 0) + 1);
    votes.set(claim, v);
  });
  for (const [id, v] of votes) {
    const [target] = [...v.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
    merged.set(id, target);
  }

  const ciOf = root.map((r, i) => {
    const own = idOfGroup.get(r);
    if (own) return own;
    // Not reported: stays with its CI, or follows it where it was merged.
    const stored = nodes[i]!.stored ?? nodes[i]!.claim!;
    return merged.get(stored) ?? stored;
  });
  return { ciOf, created, merged, splitFrom };
}
