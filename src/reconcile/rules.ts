import { MACHINE_TYPES } from "../model/ci-types.js";
import { KEY } from "../model/attributes.js";

/**
 * Identification rules, as data (ServiceNow IRE's identification rules): per CI type, the key
 * schemes in rank order. A key joins two things only if no scheme of equal or higher rank that
 * both carry contradicts it; when keys point at several CIs, the highest-ranked agreeing key
 * decides.
 *
 * A scheme is single-valued when one thing has exactly one value of it (an instance id, an SMBIOS
 * UUID): two different values are a contradiction. Multi-valued schemes (MACs, addresses, names
 * that have aliases) never contradict by differing; they only join.
 */
export interface SchemeRule {
  scheme: string;
  single: boolean;
  /** A different value under the same source ref means a new thing in the old slot (a reused vmid, a replaced instance). */
  replaces?: boolean;
  /** Names a slot that outlives what fills it (a vmid): agreeing on it says nothing about identity over time. */
  slot?: boolean;
}

export type IdentityRules = Record<string, readonly SchemeRule[]>;

const provider = (scheme: string): SchemeRule => ({ scheme, single: true, replaces: true });

const PROVIDER_IDS: SchemeRule[] = [
  provider(KEY.awsInstance),
  { scheme: KEY.proxmoxVm, single: true, slot: true },
  provider(KEY.proxmoxNode),
  provider(KEY.awsVpc),
  provider(KEY.awsSubnet),
  provider(KEY.awsSecurityGroup),
  provider(KEY.awsVolume),
  provider(KEY.awsEni),
  provider(KEY.awsArn),
  provider(KEY.awsS3),
  provider(KEY.awsRoute53),
  provider(KEY.awsEip),
  provider(KEY.proxmoxCluster),
  provider(KEY.proxmoxStorage),
  provider(KEY.terraformWorkspace),
  provider(KEY.ansibleGroup),
];

/** For machines: provider id > SMBIOS UUID > machine-id > serial > MAC > vmid > FQDN > hostname > IP. */
export const MACHINE_RULES: readonly SchemeRule[] = [
  ...PROVIDER_IDS,
  { scheme: KEY.smbiosUuid, single: true, replaces: true },
  { scheme: KEY.machineId, single: true, replaces: true },
  { scheme: KEY.serial, single: true },
  { scheme: KEY.mac, single: false },
  { scheme: KEY.proxmoxVmid, single: true, slot: true },
  { scheme: KEY.fqdn, single: false },
  { scheme: KEY.hostname, single: false },
  { scheme: KEY.ip, single: false },
];

/** Everything else: its provider ids first, then names and addresses. */
export const DEFAULT_RULES: readonly SchemeRule[] = [...PROVIDER_IDS, { scheme: KEY.fqdn, single: false }, { scheme: KEY.ip, single: false }];

/**
 * Keys to find a CI by, never to identify one: a Terraform address is unique only within its
 * workspace, and `null_resource.bootstrap` in two workspaces are two things.
 */
export const LOOKUP_ONLY: ReadonlySet<string> = new Set([KEY.terraform]);

export const schemeOf = (key: string): string => key.slice(0, key.indexOf(":"));

/** The rules in force: built in, reordered or extended per type by `identity.rules` in the config. */
export class RuleBook {
  private readonly cache = new Map<string, Map<string, { rank: number; rule: SchemeRule }>>();

  constructor(private readonly overrides: Record<string, string[]> = {}) {}

  /** The ranked schemes for a CI type: a configured order first, then the built-in ones it does not name. */
  rulesFor(type: string): readonly SchemeRule[] {
    const base = MACHINE_TYPES.has(type as never) ? MACHINE_RULES : DEFAULT_RULES;
    const configured = this.overrides[type] ?? (MACHINE_TYPES.has(type as never) ? this.overrides.machine : undefined);
    if (!configured) return base;
    const known = new Map([...MACHINE_RULES, ...DEFAULT_RULES].map((r) => [r.scheme, r]));
    const named = configured.map((scheme) => known.get(scheme) ?? { scheme, single: false });
    return [...named, ...base.filter((r) => !configured.includes(r.scheme))];
  }

  /**
   * A scheme's rank for a type (0 is the highest) and whether it is single-valued. A scheme the
   * rules do not name ranks after the single-valued ones and counts as single when the source calls
   * it strong (an id of a system we do not know), and ranks last and multi-valued when weak.
   */
  describe(type: string, scheme: string, strong: boolean): { rank: number; single: boolean; replaces: boolean; slot: boolean } {
    const entry = this.table(type).get(scheme);
    if (entry) return { rank: entry.rank, single: entry.rule.single, replaces: entry.rule.replaces === true, slot: entry.rule.slot === true };
    const rules = this.rulesFor(type);
    if (!strong) return { rank: rules.length + 1, single: false, replaces: false, slot: false };
    let lastSingle = -1;
    rules.forEach((r, i) => {
      if (r.single) lastSingle = i;
    });
    return { rank: lastSingle + 0.5, single: true, replaces: false, slot: false };
  }

  private table(type: string): Map<string, { rank: number; rule: SchemeRule }> {
    let t = this.cache.get(type);
    if (!t) {
      t = new Map(this.rulesFor(type).map((rule, rank) => [rule.scheme, { rank, rule }]));
      this.cache.set(type, t);
    }
    return t;
  }
}
