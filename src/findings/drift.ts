import type { StoredObservation } from "../reconcile/types.js";
import { liveRecords } from "../sources/registry.js";
import type { DriftCi, DriftScope } from "../store/findings.js";
import { isSecretName, REDACTED } from "../util/redact.js";
import { fingerprint, strongestKey } from "./fingerprint.js";
import { compare, type LiveScope, mappingForKind, mappingForLive } from "./mappings.js";
import { type SeverityRule, severityOf } from "./severity.js";
import type { Diff, Finding, FindingKind } from "./types.js";

/** Sources that declare (IaC), list (inventory) and see (live discovery). */
export const DECLARING_SOURCE = "terraform";
export const INVENTORY_SOURCE = "ansible";
export const LIVE_SOURCES: ReadonlySet<string> = new Set(liveRecords());
/** Live machines for inventory checks; hypervisor nodes are the platform an inventory's hosts run on. */
const MACHINES: ReadonlySet<string> = new Set(["virtual_machine", "container", "server"]);


export interface DriftSettings {
  now: Date;
  /** Milliseconds a source's complete run stays fresh; `defaultLifetime` for the others. */
  lifetime: Record<string, number>;
  defaultLifetime: number;
  /** A CI no source has seen for this long is `stale`. */
  staleAfter: number;
  severity: readonly SeverityRule[];
}

export type { DriftCi, DriftScope };

export const DEFAULT_LIVE_LIFETIME = 86_400_000;
export const DEFAULT_STALE_AFTER = 7 * 86_400_000;

export interface CoverageRow {
  source: string;
  scope: string;
  machines: number;
  managedMachines: number;
  cis: number;
  managedCis: number;
}

export interface Coverage {
  /** Share (0..1) of live machines, and of all live CIs, that a Terraform state declares; null when there are none. */
  machines: number | null;
  cis: number | null;
  scopes: CoverageRow[];
}

export interface DriftResult {
  findings: Finding[];
  /** `kind\0ciId` pairs that could not be evaluated this time (stale or partial live data): their open findings stay open. */
  held: Set<string>;
  /** The strongest keys of the CIs in `held`. */
  heldKeys: Set<string>;
  coverage: Coverage;
}

export const heldKey = (kind: FindingKind, ciId: string) => `${kind}\u0000${ciId}`;

/** Drift over the whole store's CIs. Pure: the store's rows in, findings out. */
export function computeDrift(cis: readonly DriftCi[], scopeList: readonly DriftScope[], settings: DriftSettings): DriftResult {
  const scopes = new Map(scopeList.map((s) => [`${s.source}\u0000${s.scope}`, s]));
  const liveScopes: LiveScope[] = scopeList.map((s) => ({ source: s.source, scope: s.scope }));
  const hasDeclarations = scopeList.some((s) => s.source === DECLARING_SOURCE);
  const declaredKeys = new Set<string>();
  for (const { keys, observations } of cis) {
    if (observations.some((o) => o.status === "present" && o.source === DECLARING_SOURCE && o.attributes.link_kind === undefined)) for (const k of keys) declaredKeys.add(k);
  }
  const fresh = (source: string, scope: string): boolean => {
    const s = scopes.get(`${source}\u0000${scope}`);
    if (!s?.lastCompleteAt) return false;
    const lifetime = settings.lifetime[source] ?? settings.defaultLifetime;
    return settings.now.getTime() - s.lastCompleteAt.getTime() <= lifetime;
  };
  const completeAndFresh = (source: string, scope: string) => fresh(source, scope) && scopes.get(`${source}\u0000${scope}`)!.lastRunComplete;

  const findings: Finding[] = [];
  const held = new Set<string>();
  const heldKeys = new Set<string>();
  const unit = (o: StoredObservation) => coverageUnit(o.source, o.scope);

  // Which live scopes an inventory covers: those where it lists at least one machine a live source sees.
  const inventoriesOfUnit = new Map<string, Set<string>>();
  const unitsOfInventory = new Map<string, Set<string>>();
  for (const { ci, observations } of cis) {
    if (!MACHINES.has(ci.type)) continue;
    const present = observations.filter((o) => o.status === "present");
    const inventories = present.filter((o) => o.source === INVENTORY_SOURCE).map((o) => o.scope);
    if (inventories.length === 0) continue;
    for (const o of present.filter((x) => LIVE_SOURCES.has(x.source))) {
      for (const inv of inventories) {
        add(inventoriesOfUnit, unit(o), inv);
        add(unitsOfInventory, inv, unit(o));
      }
    }
  }

  for (const entry of cis) {
    const { ci } = entry;
    if (ci.status === "retired") continue;
    const key = strongestKey(entry.keys, `ci:${ci.id}`);
    const ref = { id: ci.id, name: ci.name, type: ci.type, keys: entry.keys };
    const emit = (kind: FindingKind, message: string, sources: { source: string; scope: string }[], attribute?: string, diffs?: Diff[]) => {
      const base = { kind, ci: ref, ...(attribute !== undefined ? { attribute } : {}) };
      findings.push({
        fingerprint: fingerprint(kind, key, attribute),
        kind,
        severity: severityOf(base, settings.severity),
        ci: ref,
        key,
        ...(attribute !== undefined ? { attribute } : {}),
        ...(diffs ? { diffs } : {}),
        message,
        sources: uniqueSources(sources),
      });
    };
    const heldBefore = held.size;
    const present = entry.observations.filter((o) => o.status === "present");
    const declared = present.filter((o) => o.source === DECLARING_SOURCE && o.attributes.link_kind === undefined);
    const live = present.filter((o) => LIVE_SOURCES.has(o.source));

    // stale: no source has seen the CI for too long.
    const lastSeen = Math.max(...entry.observations.map((o) => o.lastSeen.getTime()));
    if (entry.observations.length > 0 && settings.now.getTime() - lastSeen > settings.staleAfter) {
      const newest = entry.observations.find((o) => o.lastSeen.getTime() === lastSeen)!;
      emit("stale", `no source has seen ${ci.name} since ${new Date(lastSeen).toISOString()}`, [{ source: newest.source, scope: newest.scope }], "seen");
    }

    // changed and missing: each declaration against its live source.
    const changed = new Map<string, Diff[]>();
    const changedSources: { source: string; scope: string }[] = [];
    for (const d of declared) {
      const mapping = mappingForKind(d.attributes.kind);
      if (!mapping) continue;
      const seen = live.filter((o) => o.source === mapping.liveSource);
      if (seen.length === 0) {
        const covering = mapping.covering(d, liveScopes);
        if (!covering) continue;
        if (!covering.every((s) => completeAndFresh(s.source, s.scope))) {
          held.add(heldKey("missing", ci.id));
          continue;
        }
        emit("missing", `${ci.name} is declared in Terraform (${d.ref}) but ${mapping.liveSource} does not report it`, [
          { source: d.source, scope: d.scope },
          ...covering,
        ]);
        continue;
      }
      const want = mapping.declared(d);
      for (const l of seen) {
        if (!fresh(l.source, l.scope)) {
          held.add(heldKey("changed", ci.id));
          emit("stale", `live data of ${ci.name} from ${l.source} (${l.scope}) is stale: drift is not claimed on it`, [{ source: l.source, scope: l.scope }], `live:${l.source}`);
          continue;
        }
        for (const diff of compare(want, mapping.live(l))) {
          const secret = isSecretName(diff.attribute.split(".").pop()!);
          const list = changed.get(diff.attribute) ?? [];
          list.push({ attribute: diff.attribute, declared: secret ? REDACTED : diff.declared, live: secret ? REDACTED : diff.live, source: l.source });
          changed.set(diff.attribute, list);
          changedSources.push({ source: d.source, scope: d.scope }, { source: l.source, scope: l.scope });
        }
      }
    }
    for (const [attribute, diffs] of changed) {
      emit("changed", `${ci.name}: ${attribute} is ${show(diffs[0]!.live)} live, ${show(diffs[0]!.declared)} declared`, changedSources, attribute, diffs);
    }

    // unmanaged: live, of a kind Terraform manages, in no state.
    if (declared.length === 0 && hasDeclarations) {
      const candidates = live.filter((o) => mappingForLive(o.source, o.type)?.manageable(o, declaredKeys));
      if (candidates.some((o) => fresh(o.source, o.scope))) {
        emit(
          "unmanaged",
          `${ci.name} (${ci.type}) runs in ${candidates.map((o) => o.scope).join(", ")} but no Terraform state declares it`,
          candidates.map((o) => ({ source: o.source, scope: o.scope })),
        );
      } else if (candidates.length > 0) held.add(heldKey("unmanaged", ci.id));
    }

    if (held.size > heldBefore) heldKeys.add(key);
    if (!MACHINES.has(ci.type) || ci.attributes.template === true) continue;
    const inventory = present.filter((o) => o.source === INVENTORY_SOURCE);
    // not-in-inventory: a live machine where an inventory covers its scope, in no inventory.
    if (inventory.length === 0 && live.length > 0) {
      const covering = new Set(live.flatMap((o) => [...(inventoriesOfUnit.get(unit(o)) ?? [])]));
      if (covering.size > 0) {
        if (live.some((o) => fresh(o.source, o.scope))) {
          emit(
            "not-in-inventory",
            `${ci.name} runs in ${live.map((o) => o.scope).join(", ")} but no Ansible inventory covering it lists it`,
            [...live.map((o) => ({ source: o.source, scope: o.scope })), ...[...covering].map((scope) => ({ source: INVENTORY_SOURCE, scope }))],
          );
        } else held.add(heldKey("not-in-inventory", ci.id));
      }
    }
    // inventory-orphan: listed in an inventory, reported by no live source that covers it.
    if (inventory.length > 0 && live.length === 0) {
      const units = new Set(inventory.flatMap((o) => [...(unitsOfInventory.get(o.scope) ?? [])]));
      if (units.size > 0) {
        const unitScopes = scopeList.filter((s) => LIVE_SOURCES.has(s.source) && units.has(coverageUnit(s.source, s.scope)));
        if (unitScopes.every((s) => completeAndFresh(s.source, s.scope))) {
          emit(
            "inventory-orphan",
            `${ci.name} is listed in ${inventory.map((o) => o.scope).join(", ")} but no live source reports it`,
            inventory.map((o) => ({ source: o.source, scope: o.scope })),
          );
        } else held.add(heldKey("inventory-orphan", ci.id));
      }
    }
    if (held.size > heldBefore) heldKeys.add(key);
  }

  const unique = [...new Map(findings.map((f) => [f.fingerprint, f])).values()];
  unique.sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      a.kind.localeCompare(b.kind) ||
      a.ci.name.localeCompare(b.ci.name) ||
      (a.attribute ?? "").localeCompare(b.attribute ?? "") ||
      a.fingerprint.localeCompare(b.fingerprint),
  );
  return { findings: unique, held, heldKeys, coverage: coverage(cis, hasDeclarations) };
}

const SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"];

/** Proxmox node scopes belong to their cluster, EC2 regions to their account: an inventory covers the whole. */
export function coverageUnit(source: string, scope: string): string {
  if (source === "proxmox") return `proxmox:${scope.replace(/^proxmox:/, "").split("/")[0]}`;
  if (source === "ec2") return `ec2:${scope.replace(/^aws:/, "").split("/")[0]}`;
  return `${source}:*`;
}

function coverage(cis: readonly DriftCi[], hasDeclarations: boolean): Coverage {
  const rows = new Map<string, CoverageRow>();
  let machines = 0;
  let managedMachines = 0;
  let all = 0;
  let managedAll = 0;
  for (const { ci, observations } of cis) {
    if (ci.status === "retired") continue;
    const present = observations.filter((o) => o.status === "present");
    const live = present.filter((o) => o.source === "proxmox" || o.source === "ec2");
    if (live.length === 0) continue;
    const managed = present.some((o) => o.source === DECLARING_SOURCE && o.attributes.link_kind === undefined);
    const machine = MACHINES.has(ci.type) && ci.attributes.template !== true;
    all++;
    if (managed) managedAll++;
    if (machine) {
      machines++;
      if (managed) managedMachines++;
    }
    for (const o of live) {
      const id = `${o.source}\u0000${o.scope}`;
      const row = rows.get(id) ?? { source: o.source, scope: o.scope, machines: 0, managedMachines: 0, cis: 0, managedCis: 0 };
      row.cis++;
      if (managed) row.managedCis++;
      if (machine) {
        row.machines++;
        if (managed) row.managedMachines++;
      }
      rows.set(id, row);
    }
  }
  const share = (n: number, d: number) => (d === 0 || !hasDeclarations ? (d === 0 ? null : 0) : n / d);
  return {
    machines: share(managedMachines, machines),
    cis: share(managedAll, all),
    scopes: [...rows.values()].sort((a, b) => a.source.localeCompare(b.source) || a.scope.localeCompare(b.scope)),
  };
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(value);
  map.set(key, set);
}

function uniqueSources(list: { source: string; scope: string }[]): { source: string; scope: string }[] {
  const seen = new Map<string, { source: string; scope: string }>();
  for (const s of list) seen.set(`${s.source}\u0000${s.scope}`, s);
  return [...seen.values()];
}

export function show(value: unknown): string {
  if (value === null || value === undefined) return "absent";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  if (typeof value === "object") {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${show(v)}`)
      .join(" ");
  }
  return String(value);
}
