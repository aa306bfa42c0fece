import type { CiType } from "../model/ci-types.js";
import type { StoredObservation } from "../reconcile/types.js";
import { bool, idSet, int, mac, sizeGb, tagSet, text } from "./normalize.js";

/**
 * Per-type comparable attributes: what a Terraform declaration and a live source both say about one
 * thing, each normalized to one spelling. Drift compares these, never raw attribute dumps: a raw
 * diff reports every computed field and every spelling difference as drift.
 */
export interface Comparable {
  /** Attribute path → normalized value. `null` means "known to be absent" (a declared disk the VM lacks). */
  values: Record<string, unknown>;
  /** Families (the path's first segment) this side knows completely, so a path it lacks is absent, not unknown. */
  known: Set<string>;
}

export interface LiveScope {
  source: string;
  scope: string;
}

export interface DriftMapping {
  name: string;
  /** Terraform resource types it compares. */
  kinds: readonly string[];
  /** The live source that reports the real thing. */
  liveSource: string;
  /** CI types that source reports for such things (for `unmanaged`). */
  liveTypes: readonly CiType[];
  declared(o: StoredObservation): Comparable;
  live(o: StoredObservation): Comparable;
  /**
   * False for live things no one declares on their own (templates, default VPCs, the root volume of
   * a declared instance): never `unmanaged`. `declaredKeys` holds every key of declared CIs.
   */
  manageable(o: StoredObservation, declaredKeys: ReadonlySet<string>): boolean;
  /**
   * The live scopes whose complete, fresh collection would have reported this declared thing: only
   * then may it be called `missing`. Undefined when no collected scope covers it.
   */
  covering(declared: StoredObservation, scopes: LiveScope[]): LiveScope[] | undefined;
}

const values = (o: StoredObservation): Record<string, unknown> => (o.attributes.values as Record<string, unknown> | undefined) ?? {};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === "object") : []);

function put(out: Comparable, path: string, value: unknown): void {
  if (value !== undefined) out.values[path] = value;
}

const empty = (): Comparable => ({ values: {}, known: new Set() });

type Disk = { name: string; size_gb?: number | string };
type Nic = { name: string; mac?: string; bridge?: string; firewall?: boolean };

/** Disks that hold data; EFI vars, TPM state and cloud-init drives are the platform's, not drift. */
const DATA_DISK = /^(scsi|virtio|sata|ide|nvme)\d+$|^(rootfs|mp\d+)$/;

function guestCommon(o: StoredObservation, out: Comparable): void {
  const a = o.attributes;
  put(out, "name", text(a.hostname) ?? text(o.fields.name));
  const cores = int(a.cpu_cores);
  if (cores !== undefined) put(out, "cpu.vcpus", cores * (int(a.cpu_sockets) ?? 1));
  put(out, "memory_mb", int(a.memory_mb));
  if (Array.isArray(a.disks)) {
    out.known.add("disks");
    for (const d of a.disks as Disk[]) if (DATA_DISK.test(d.name)) put(out, `disks.${d.name}.size_gb`, sizeGb(d.size_gb) ?? null);
  }
}

function guestNics(out: Comparable, nics: Nic[]): void {
  out.known.add("network");
  for (const n of nics) {
    put(out, `network.${n.name}.bridge`, text(n.bridge) ?? null);
    put(out, `network.${n.name}.mac`, mac(n.mac) ?? null);
    if (n.firewall !== undefined) put(out, `network.${n.name}.firewall`, n.firewall);
  }
}

const proxmoxGuest: DriftMapping = {
  name: "proxmox guest",
  kinds: ["proxmox_vm_qemu", "proxmox_lxc", "proxmox_virtual_environment_vm", "proxmox_virtual_environment_container"],
  liveSource: "proxmox",
  liveTypes: ["virtual_machine", "container"],
  declared(o) {
    const out = empty();
    const v = values(o);
    guestCommon(o, out);
    if ("tags" in v) out.values.tags = tagSet(o.fields.tags ?? []) ?? [];
    put(out, "onboot", bool(v.onboot ?? v.on_boot));
    if (Array.isArray(o.attributes.interfaces)) {
      const raw = list(v.network ?? v.network_device ?? v.network_interface);
      const nics = (o.attributes.interfaces as Nic[]).map((n, i) => ({ ...n, firewall: bool(raw[i]?.firewall) }));
      guestNics(out, nics);
    }
    return out;
  },
  live(o) {
    const out = empty();
    const a = o.attributes;
    guestCommon(o, out);
    if ("tags" in a) out.values.tags = tagSet(a.tags ?? []) ?? [];
    put(out, "onboot", bool(a.onboot));
    if (Array.isArray(a.interfaces)) guestNics(out, (a.interfaces as Nic[]).map((n) => ({ ...n, firewall: n.firewall === true })));
    return out;
  },
  manageable: (o) => o.attributes.template !== true,
  covering(declared, scopes) {
    const key = declared.keys.find((k) => k.startsWith("proxmox.vm:"));
    if (!key) return undefined;
    const cluster = key.slice("proxmox.vm:".length).replace(/\/\d+$/, "");
    const mine = scopes.filter((s) => s.source === "proxmox" && (s.scope === `proxmox:${cluster}` || s.scope.startsWith(`proxmox:${cluster}/`)));
    return mine.some((s) => s.scope === `proxmox:${cluster}`) ? mine : undefined;
  },
};

/** `aws:` tags are AWS's own (CloudFormation, autoscaling): never declared, never drift. */
const awsTags = (tags: unknown) => tagSet(tags ?? {}, (k) => k.startsWith("aws:")) ?? [];

/** The account and region of a declared AWS resource: the ARN says both; the region field says where. */
function awsCovering(declared: StoredObservation, scopes: LiveScope[]): LiveScope[] | undefined {
  const arn = /^arn:aws[a-z-]*:[^:]+:([^:]*):(\d{12}):/.exec(text(values(declared).arn) ?? "");
  const region = declared.fields.region ?? arn?.[1];
  if (!region) return undefined;
  const found = scopes.filter(
    (s) => s.source === "ec2" && (arn ? s.scope === `aws:${arn[2]}/${region}` : s.scope.startsWith("aws:") && s.scope.endsWith(`/${region}`)),
  );
  return found.length > 0 ? found : undefined;
}

const ec2Instance: DriftMapping = {
  name: "EC2 instance",
  kinds: ["aws_instance", "aws_spot_instance_request"],
  liveSource: "ec2",
  liveTypes: ["virtual_machine"],
  declared(o) {
    const out = empty();
    const v = values(o);
    put(out, "instance_type", text(v.instance_type));
    put(out, "ami", text(v.ami));
    put(out, "subnet", text(v.subnet_id));
    put(out, "security_groups", idSet(v.vpc_security_group_ids));
    if (v.tags_all !== undefined || v.tags !== undefined) out.values.tags = awsTags(v.tags_all ?? v.tags);
    return out;
  },
  live(o) {
    const out = empty();
    const a = o.attributes;
    put(out, "instance_type", text(a.instance_type));
    put(out, "ami", text(a.image_id));
    put(out, "subnet", text(a.subnet_id));
    put(out, "security_groups", idSet(a.security_groups) ?? []);
    out.values.tags = awsTags(o.fields.tags);
    return out;
  },
  manageable: () => true,
  covering: awsCovering,
};

const ebsVolume: DriftMapping = {
  name: "EBS volume",
  kinds: ["aws_ebs_volume"],
  liveSource: "ec2",
  liveTypes: ["block_storage"],
  declared(o) {
    const out = empty();
    const v = values(o);
    put(out, "size_gb", sizeGb(v.size));
    put(out, "volume_type", text(v.type));
    if (v.tags_all !== undefined || v.tags !== undefined) out.values.tags = awsTags(v.tags_all ?? v.tags);
    return out;
  },
  live(o) {
    const out = empty();
    put(out, "size_gb", sizeGb(o.attributes.size_gb));
    put(out, "volume_type", text(o.attributes.volume_type));
    out.values.tags = awsTags(o.fields.tags);
    return out;
  },
  // A volume attached to a declared instance is that instance's block device (root_block_device, ebs_block_device).
  manageable: (o, declaredKeys) =>
    !list(o.attributes.attachments).some((a) => typeof a.instance_id === "string" && declaredKeys.has(`aws.instance:${a.instance_id}`)),
  covering: awsCovering,
};

function network(name: string, kinds: string[], type: CiType, isDefault: (o: StoredObservation) => boolean): DriftMapping {
  return {
    name,
    kinds,
    liveSource: "ec2",
    liveTypes: [type],
    declared(o) {
      const out = empty();
      const v = values(o);
      put(out, "cidr_block", text(v.cidr_block));
      if (v.tags_all !== undefined || v.tags !== undefined) out.values.tags = awsTags(v.tags_all ?? v.tags);
      return out;
    },
    live(o) {
      const out = empty();
      put(out, "cidr_block", text(o.attributes.cidr_block));
      out.values.tags = awsTags(o.fields.tags);
      return out;
    },
    manageable: (o) => !isDefault(o),
    covering: awsCovering,
  };
}

const securityGroup: DriftMapping = {
  name: "security group",
  kinds: ["aws_security_group"],
  liveSource: "ec2",
  liveTypes: ["security_group"],
  declared(o) {
    const out = empty();
    const v = values(o);
    put(out, "name", text(v.name));
    if (v.tags_all !== undefined || v.tags !== undefined) out.values.tags = awsTags(v.tags_all ?? v.tags);
    return out;
  },
  live(o) {
    const out = empty();
    put(out, "name", text(o.attributes.group_name));
    out.values.tags = awsTags(o.fields.tags);
    return out;
  },
  manageable: (o) => o.attributes.group_name !== "default",
  covering: awsCovering,
};

export const DRIFT_MAPPINGS: readonly DriftMapping[] = [
  proxmoxGuest,
  ec2Instance,
  ebsVolume,
  network("VPC", ["aws_vpc"], "vpc", (o) => o.attributes.is_default === true),
  network("subnet", ["aws_subnet"], "subnet", (o) => o.attributes.default_for_az === true),
  securityGroup,
];

const byKind = new Map(DRIFT_MAPPINGS.flatMap((m) => m.kinds.map((k) => [k, m] as const)));

export function mappingForKind(kind: unknown): DriftMapping | undefined {
  return typeof kind === "string" ? byKind.get(kind) : undefined;
}

export function mappingForLive(source: string, type: CiType): DriftMapping | undefined {
  return DRIFT_MAPPINGS.find((m) => m.liveSource === source && m.liveTypes.includes(type));
}

/**
 * The attributes whose normalized values differ. A path only one side knows is compared only when
 * the other side knows its family; a whole disk or NIC that only one side has is one difference.
 */
export function compare(declared: Comparable, live: Comparable): { attribute: string; declared: unknown; live: unknown }[] {
  const out: { attribute: string; declared: unknown; live: unknown }[] = [];
  const wholes = new Map<string, { declared: Record<string, unknown> | null; live: Record<string, unknown> | null }>();
  const paths = new Set([...Object.keys(declared.values), ...Object.keys(live.values)]);
  for (const path of [...paths].sort()) {
    const family = path.split(".")[0]!;
    const d = declared.values[path];
    const l = live.values[path];
    if (d === undefined && l === undefined) continue;
    const entity = path.slice(0, path.lastIndexOf("."));
    const leaf = path.slice(path.lastIndexOf(".") + 1);
    if (d === undefined) {
      // Drift when the whole thing it belongs to is undeclared (a disk or NIC added by hand), not
      // when the declaration merely leaves one of its attributes unsaid.
      if (!declared.known.has(family) || hasEntity(declared, path)) continue;
      if (entity.includes(".")) {
        const w = wholes.get(entity) ?? { declared: null, live: {} };
        w.live![leaf] = l;
        wholes.set(entity, w);
        continue;
      }
    } else if (l === undefined) {
      if (!live.known.has(family)) continue;
      if (entity.includes(".") && !hasEntity(live, path)) {
        const w = wholes.get(entity) ?? { declared: {}, live: null };
        w.declared![leaf] = d;
        wholes.set(entity, w);
        continue;
      }
    }
    if (JSON.stringify(d ?? null) !== JSON.stringify(l ?? null)) out.push({ attribute: path, declared: d ?? null, live: l ?? null });
  }
  for (const [entity, w] of wholes) out.push({ attribute: entity, declared: w.declared, live: w.live });
  return out.sort((a, b) => a.attribute.localeCompare(b.attribute));
}

/** Whether `side` says anything of the disk or NIC that `path` belongs to. */
function hasEntity(side: Comparable, path: string): boolean {
  const entity = `${path.slice(0, path.lastIndexOf("."))}.`;
  return entity !== "." && Object.keys(side.values).some((p) => p.startsWith(entity));
}
