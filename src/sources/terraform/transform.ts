import { KEY } from "../../model/attributes.js";
import { type IdentityKey, keyString, strong, weak } from "../../model/keys.js";
import type { Observation, ObservationBatch, RelationshipDraft } from "../../model/observation.js";
import { configAddress, keySuffix } from "./address.js";
import { AWS_LINKS, AWS_MAPPERS } from "./aws.js";
import { regionFromArn, regionFromZone, str, stringMap, strings, tagValue } from "./fields.js";
import type { Mapped, Mapper, StateIndex, TransformOptions } from "./mapping.js";
import type { ParsedState, StateInstance } from "./parse.js";
import { PROXMOX_MAPPERS } from "./proxmox.js";
import { redactedValues } from "./secrets.js";

export type { TransformOptions } from "./mapping.js";

export const SOURCE = "terraform";
export const WORKSPACE_REF = "workspace";

const MAPPERS: Record<string, Mapper> = { ...AWS_MAPPERS, ...PROXMOX_MAPPERS };

/** Resource types that only link two CIs: their observation joins the CI they manage (README). */
export const LINK_TYPES: ReadonlySet<string> = new Set(Object.keys(AWS_LINKS));

/** `provider["registry.terraform.io/hashicorp/aws"].east`, `provider.aws`, or show -json's `registry.terraform.io/hashicorp/aws`. */
export function parseProvider(text: string, resourceType: string): { name: string; source?: string; alias?: string } {
  const modern = /provider\["([^"]+)"\](?:\.([A-Za-z0-9_-]+))?$/.exec(text);
  if (modern) return { name: modern[1]!.split("/").pop()!, source: modern[1]!, ...(modern[2] ? { alias: modern[2] } : {}) };
  const legacy = /(?:^|\.)provider\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?$/.exec(text);
  if (legacy) return { name: legacy[1]!, ...(legacy[2] ? { alias: legacy[2] } : {}) };
  if (/^[^\s"[\]]+\/[^\s"[\]]+$/.test(text)) return { name: text.split("/").pop()!, source: text };
  return { name: resourceType.split("_")[0]! };
}

/**
 * Turns a parsed state into observations: one per managed resource instance (link resources join
 * the CI they manage), one for the workspace, and the edges between them. Pure.
 */
export function transformTerraform(state: ParsedState, opts: TransformOptions = {}): ObservationBatch {
  const workspace = opts.workspace ?? "default";
  const scope = `${state.lineage ?? "show-json"}/${workspace}`;
  const warnings: string[] = [...(state.notes ?? [])];

  const managed: { instance: StateInstance; values: Record<string, unknown> }[] = [];
  const seen = new Set<string>();
  for (const instance of state.instances) {
    if (instance.mode !== "managed") continue;
    if (instance.deposed !== undefined) {
      warnings.push(
        `${instance.address}: deposed object ${instance.deposed} skipped (the old object of a create_before_destroy replacement, not a CI)`,
      );
      continue;
    }
    if (seen.has(instance.address)) {
      warnings.push(`${instance.address}: appears more than once in the state; only the first object is kept`);
      continue;
    }
    seen.add(instance.address);
    managed.push({ instance, values: redactedValues(instance) });
  }

  const index: StateIndex = { dbSubnetGroups: new Map() };
  for (const { instance, values } of managed) {
    const name = str(values.name);
    if (instance.type === "aws_db_subnet_group" && name) index.dbSubnetGroups.set(name, strings(values.subnet_ids));
  }

  const observations: Observation[] = [];
  const relationships: RelationshipDraft[] = [];
  const pendingResolves: { ref: string; keys: string[] }[] = [];
  const strongOwner = new Map<string, string>();
  const links = new Set<string>();

  for (const { instance, values } of managed) {
    const ref = instance.address;
    const label = `${instance.name}${keySuffix(instance.indexKey)}`;
    const mapper = AWS_LINKS[instance.type] ?? MAPPERS[instance.type];
    const mapped = mapper?.({ instance, values, label, opts, index }) ?? generic(values, label);
    const provider = parseProvider(instance.provider, instance.type);
    const isLink = mapped.joins !== undefined;

    const keys: IdentityKey[] = [];
    const keySeen = new Set<string>();
    for (const key of mapped.keys) {
      const text = keyString(key);
      if (keySeen.has(text)) continue;
      if (key.strength === "strong" && !isLink) {
        const owner = strongOwner.get(text);
        if (owner !== undefined) {
          warnings.push(`${ref}: strong key ${text} is already held by ${owner}; not used for this instance`);
          continue;
        }
        strongOwner.set(text, ref);
      }
      keySeen.add(text);
      keys.push(key);
    }
    keys.push(weak(KEY.terraform, instance.address));

    const state = instance.tainted ? "tainted" : mapped.state;
    const attributes: Record<string, unknown> = isLink
      ? { link_kind: instance.type, joins: mapped.joins, link_values: values }
      : {
          ...mapped.vocab,
          kind: instance.type,
          ...(provider.source ? { provider_source: provider.source } : {}),
          ...(provider.alias ? { provider_alias: provider.alias } : {}),
          values,
        };
    if (state && !isLink) attributes.state = state;

    const tags = mapped.tags;
    const environment = tagValue(tags, ["environment", "env"]);
    const owner = tagValue(tags, ["owner"]);
    observations.push({
      ref,
      type: mapped.type,
      keys,
      attributes,
      ...(isLink ? {} : { name: mapped.name ?? label }),
      provider: provider.name,
      ...(mapped.region ? { region: mapped.region } : {}),
      ...(mapped.zone ? { zone: mapped.zone } : {}),
      ...(tags && !isLink ? { tags } : {}),
      ...(environment && !isLink ? { environment } : {}),
      ...(owner && !isLink ? { owner } : {}),
      ...(state && !isLink ? { state } : {}),
    });
    if (isLink) links.add(ref);
    for (const edge of mapped.edges) relationships.push({ type: edge.type, from: ref, to: edge.to });
    if (mapped.resolves?.length) pendingResolves.push({ ref, keys: mapped.resolves });
    relationships.push({ type: "MANAGED_BY", from: ref, to: { ref: WORKSPACE_REF } });
  }

  // Large states give hundreds of thousands of edges: append in a loop, a spread would overflow the stack.
  for (const edge of dependsOn(managed.map((m) => m.instance), links)) relationships.push(edge);
  for (const edge of resolve(observations, pendingResolves)) relationships.push(edge);

  const lineage = state.lineage;
  const meta = {
    ...(lineage ? { lineage } : {}),
    ...(state.serial !== undefined ? { serial: state.serial } : {}),
    ...(state.terraformVersion ? { terraform_version: state.terraformVersion } : {}),
    workspace,
    format: state.format,
    format_version: state.formatVersion,
  };
  observations.push({
    ref: WORKSPACE_REF,
    type: "terraform_workspace",
    keys: [strong(KEY.terraformWorkspace, scope)],
    name: workspace,
    provider: "terraform",
    attributes: { ...meta, resource_instances: managed.length },
  });

  return {
    source: SOURCE,
    scope,
    complete: true,
    observations,
    relationships,
    meta,
    ...(warnings.length ? { warnings } : {}),
  };
}

function generic(values: Record<string, unknown>, label: string): Mapped {
  const tags = stringMap(values.tags);
  const zone = str(values.availability_zone);
  return {
    type: "generic",
    keys: [],
    name: tags?.Name ?? label,
    region: regionFromArn(values.arn) ?? regionFromZone(zone),
    ...(zone ? { zone } : {}),
    ...(tags ? { tags } : {}),
    vocab: {},
    edges: [],
  };
}

/**
 * DEPENDS_ON from `dependencies`, which name configuration addresses: an edge to every instance of
 * the named resource, but only to those in the same module instance when both sit in one module
 * (`module.vm["a"]` depends on its own sibling, not on `module.vm["b"]`'s). Data sources are not
 * CIs and link resources have their own edge, so neither yields DEPENDS_ON.
 */
/** See dependsOn: beyond this many unpaired instances a resource-level dependency gives no edges. */
export const MAX_UNPAIRED_FANOUT = 12;

/** The instances under one config address, indexed by module and index key, so each lookup costs what it returns. */
class ConfigGroup {
  readonly all: StateInstance[] = [];
  private byModule?: Map<string, StateInstance[]>;
  private byIndex = new Map<string, Map<string, StateInstance[]>>();

  inModule(module: string): StateInstance[] {
    if (!this.byModule) {
      this.byModule = new Map();
      for (const t of this.all) push(this.byModule, t.module, t);
    }
    return this.byModule.get(module) ?? [];
  }

  /** `targets` filtered to the instances with this index key; `scope` names which list `targets` is. */
  paired(scope: string, targets: StateInstance[], indexKey: NonNullable<StateInstance["indexKey"]>): StateInstance[] {
    let index = this.byIndex.get(scope);
    if (!index) {
      index = new Map();
      for (const t of targets) if (t.indexKey !== undefined) push(index, indexId(t.indexKey), t);
      this.byIndex.set(scope, index);
    }
    return index.get(indexId(indexKey)) ?? [];
  }
}

/** `count` index 1 and `for_each` key "1" are different keys. */
const indexId = (key: NonNullable<StateInstance["indexKey"]>) => `${typeof key}:${key}`;

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function dependsOn(instances: StateInstance[], links: Set<string>): RelationshipDraft[] {
  const byConfig = new Map<string, ConfigGroup>();
  for (const instance of instances) {
    const config = configAddress(instance.address);
    let group = byConfig.get(config);
    if (!group) {
      group = new ConfigGroup();
      byConfig.set(config, group);
    }
    group.all.push(instance);
  }
  const out: RelationshipDraft[] = [];
  for (const instance of instances) {
    if (links.has(instance.address)) continue;
    const done = new Set<string>();
    const ownModule = configAddress(instance.module);
    for (const dep of instance.dependencies) {
      const group = byConfig.get(dep);
      if (!group) continue;
      const depModule = dep.includes(".") ? moduleConfigOf(dep) : "";
      const sameModule = ownModule !== "" && depModule === ownModule;
      let targets = sameModule ? group.inModule(instance.module) : group.all;
      // State records dependencies per resource, not per instance. `x[count.index]` and
      // `x[each.key]` are by far the usual references between two expanded resources, so an
      // instance whose index key the target also has depends on that instance only; linking every
      // pair would grow as N×M (millions of edges for two resources of a thousand instances).
      if (instance.indexKey !== undefined && targets.length > 1) {
        const paired = group.paired(sameModule ? `m\u0000${instance.module}` : "all", targets, instance.indexKey);
        if (paired.length > 0) targets = paired;
      }
      // A dependency on a resource of many instances, none paired, says only "one of these": the
      // state does not tell which. Such edges carry no information worth N×M rows; the precise
      // references (subnet_id, vpc_id, security groups…) give their own edges.
      if (targets.length > MAX_UNPAIRED_FANOUT) continue;
      for (const target of targets) {
        if (target.address === instance.address || done.has(target.address)) continue;
        done.add(target.address);
        out.push({ type: "DEPENDS_ON", from: instance.address, to: { ref: target.address } });
      }
    }
  }
  return out;
}

/** `module.a.module.b.aws_x.y` → `module.a.module.b`. */
export function moduleConfigOf(config: string): string {
  const parts = config.split(".");
  let n = 0;
  while (parts[n * 2] === "module" && parts.length > n * 2 + 2) n++;
  return parts.slice(0, n * 2).join(".");
}

function resolve(observations: Observation[], pending: { ref: string; keys: string[] }[]): RelationshipDraft[] {
  if (pending.length === 0) return [];
  const byKey = new Map<string, string[]>();
  for (const o of observations) {
    for (const k of o.keys) {
      const text = keyString(k);
      const refs = byKey.get(text);
      if (refs) refs.push(o.ref);
      else byKey.set(text, [o.ref]);
    }
  }
  const out: RelationshipDraft[] = [];
  for (const { ref, keys } of pending) {
    for (const key of keys) {
      const targets = (byKey.get(key) ?? []).filter((t) => t !== ref);
      if (targets.length === 0) out.push({ type: "RESOLVES_TO", from: ref, to: { key } });
      for (const target of targets) out.push({ type: "RESOLVES_TO", from: ref, to: { ref: target } });
    }
  }
  return out;
}
