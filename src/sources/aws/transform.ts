import { KEY } from "../../model/attributes.js";
import { type IdentityKey, keyString, macKey, normalizeMac, strong, weak } from "../../model/keys.js";
import type { Observation, ObservationBatch, RelationshipDraft } from "../../model/observation.js";
import type { RelationshipType } from "../../model/relationships.js";
import { redactByName } from "../../util/redact.js";
import type { Instance, NetworkInterface, Permission, Reservation, SecurityGroup, Subnet, Volume, Vpc } from "./schema.js";

/** The source name (precedence, runs); the CIs' provider stays "aws". */
export const SOURCE = "ec2";
export const PROVIDER = "aws";

/** What one region answered; a list is undefined when its call failed. */
export interface RegionSnapshot {
  region: string;
  reservations?: Reservation[];
  vpcs?: Vpc[];
  subnets?: Subnet[];
  securityGroups?: SecurityGroup[];
  volumes?: Volume[];
  networkInterfaces?: NetworkInterface[];
  /** Calls that failed: the region's scope is then incomplete. */
  failures: string[];
}

/** Instances in these states are gone or going; leaving them out lets staleness retire them. */
const GONE = new Set(["terminated"]);

/** The account that owns what the region answered, from the first owner id any list carries. */
export function accountOf(snapshot: RegionSnapshot): string | undefined {
  const owners = [
    ...(snapshot.reservations ?? []).map((r) => r.OwnerId),
    ...(snapshot.vpcs ?? []).map((v) => v.OwnerId),
    ...(snapshot.subnets ?? []).map((s) => s.OwnerId),
    ...(snapshot.securityGroups ?? []).map((g) => g.OwnerId),
    ...(snapshot.networkInterfaces ?? []).map((n) => n.OwnerId),
  ];
  return owners.find((o): o is string => typeof o === "string" && /^\d{12}$/.test(o));
}

export const regionScope = (account: string, region: string): string => `${PROVIDER}:${account}/${region}`;

/** One batch per account and region; `fallbackAccount` names the scope when no answer carried an owner id. */
export function toBatch(snapshot: RegionSnapshot, fallbackAccount: string): ObservationBatch {
  const found = accountOf(snapshot);
  const account = found ?? fallbackAccount;
  const { region } = snapshot;
  const observations: Observation[] = [];
  const relationships: RelationshipDraft[] = [];
  const refs = new Set<string>();
  const add = (o: Observation): void => {
    observations.push(o);
    refs.add(o.ref);
  };
  const base = { provider: PROVIDER, region };

  for (const vpc of snapshot.vpcs ?? []) {
    const t = tagFields(vpc.Tags);
    add({
      ref: `vpc/${vpc.VpcId}`,
      type: "vpc",
      name: t.name ?? vpc.VpcId,
      ...base,
      ...t.fields,
      keys: [strong(KEY.awsVpc, vpc.VpcId)],
      ...(vpc.State ? { state: vpc.State } : {}),
      attributes: clean({
        vpc_id: vpc.VpcId,
        account,
        cidr_block: vpc.CidrBlock,
        cidr_blocks: list((vpc.CidrBlockAssociationSet ?? []).map((c) => c.CidrBlock)),
        ipv6_cidr_blocks: list((vpc.Ipv6CidrBlockAssociationSet ?? []).map((c) => c.Ipv6CidrBlock)),
        is_default: vpc.IsDefault,
        dhcp_options_id: vpc.DhcpOptionsId,
        instance_tenancy: vpc.InstanceTenancy,
      }),
    });
  }
  for (const subnet of snapshot.subnets ?? []) {
    const t = tagFields(subnet.Tags);
    add({
      ref: `subnet/${subnet.SubnetId}`,
      type: "subnet",
      name: t.name ?? subnet.SubnetId,
      ...base,
      ...(subnet.AvailabilityZone ? { zone: subnet.AvailabilityZone } : {}),
      ...t.fields,
      keys: [strong(KEY.awsSubnet, subnet.SubnetId)],
      ...(subnet.State ? { state: subnet.State } : {}),
      attributes: clean({
        subnet_id: subnet.SubnetId,
        account,
        vpc_id: subnet.VpcId,
        cidr_block: subnet.CidrBlock,
        ipv6_cidr_blocks: list((subnet.Ipv6CidrBlockAssociationSet ?? []).map((c) => c.Ipv6CidrBlock)),
        available_ip_count: subnet.AvailableIpAddressCount,
        default_for_az: subnet.DefaultForAz,
        map_public_ip_on_launch: subnet.MapPublicIpOnLaunch,
      }),
    });
  }
  for (const group of snapshot.securityGroups ?? []) {
    const t = tagFields(group.Tags);
    add({
      ref: `sg/${group.GroupId}`,
      type: "security_group",
      name: t.name ?? group.GroupName ?? group.GroupId,
      ...base,
      ...t.fields,
      keys: [strong(KEY.awsSecurityGroup, group.GroupId)],
      attributes: clean({
        group_id: group.GroupId,
        group_name: group.GroupName,
        description: group.Description,
        account,
        vpc_id: group.VpcId,
        ingress: (group.IpPermissions ?? []).map(rule),
        egress: (group.IpPermissionsEgress ?? []).map(rule),
      }),
    });
  }

  const instances = (snapshot.reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => !GONE.has(i.State?.Name ?? ""));
  for (const instance of instances) add(instanceObservation(instance, region, account));

  for (const volume of snapshot.volumes ?? []) {
    const t = tagFields(volume.Tags);
    add({
      ref: `volume/${volume.VolumeId}`,
      type: "block_storage",
      name: t.name ?? volume.VolumeId,
      ...base,
      ...(volume.AvailabilityZone ? { zone: volume.AvailabilityZone } : {}),
      ...t.fields,
      keys: [strong(KEY.awsVolume, volume.VolumeId)],
      ...(volume.State ? { state: volume.State } : {}),
      attributes: clean({
        volume_id: volume.VolumeId,
        account,
        size_gb: volume.Size,
        volume_type: volume.VolumeType,
        iops: volume.Iops,
        throughput_mbps: volume.Throughput,
        encrypted: volume.Encrypted,
        kms_key_id: volume.KmsKeyId,
        snapshot_id: volume.SnapshotId || undefined,
        multi_attach: volume.MultiAttachEnabled,
        attachments: list(
          (volume.Attachments ?? []).map((a) => (a.InstanceId ? clean({ instance_id: a.InstanceId, device: a.Device, state: a.State, delete_on_termination: a.DeleteOnTermination }) : undefined)),
        ),
      }),
    });
  }
  for (const eni of snapshot.networkInterfaces ?? []) {
    const t = tagFields(eni.TagSet);
    const mac = eni.MacAddress ? (normalizeMac(eni.MacAddress) ?? eni.MacAddress.toLowerCase()) : undefined;
    add({
      ref: `eni/${eni.NetworkInterfaceId}`,
      type: "network_interface",
      name: t.name ?? eni.NetworkInterfaceId,
      ...base,
      ...(eni.AvailabilityZone ? { zone: eni.AvailabilityZone } : {}),
      ...t.fields,
      // Not the MAC as a key: it identifies the instance the interface is attached to, and two CIs cannot share it.
      keys: [strong(KEY.awsEni, eni.NetworkInterfaceId)],
      ...(eni.Status ? { state: eni.Status } : {}),
      attributes: clean({
        eni_id: eni.NetworkInterfaceId,
        account,
        mac,
        interface_type: eni.InterfaceType,
        description: eni.Description || undefined,
        subnet_id: eni.SubnetId,
        vpc_id: eni.VpcId,
        ip_addresses: list([...(eni.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress), eni.Association?.PublicIp]),
        security_groups: list((eni.Groups ?? []).map((g) => g.GroupId)),
        requester_managed: eni.RequesterManaged,
        attached_to: eni.Attachment?.InstanceId,
        device_index: eni.Attachment?.DeviceIndex,
      }),
    });
  }

  const link = (type: RelationshipType, from: string, kind: "vpc" | "subnet" | "sg" | "instance", id: string | undefined): void => {
    if (!id) return;
    const scheme = { vpc: KEY.awsVpc, subnet: KEY.awsSubnet, sg: KEY.awsSecurityGroup, instance: KEY.awsInstance }[kind];
    const ref = `${kind}/${id}`;
    relationships.push({ type, from, to: refs.has(ref) ? { ref } : { key: keyString(strong(scheme, id)) } });
  };
  for (const subnet of snapshot.subnets ?? []) link("MEMBER_OF", `subnet/${subnet.SubnetId}`, "vpc", subnet.VpcId);
  for (const group of snapshot.securityGroups ?? []) link("MEMBER_OF", `sg/${group.GroupId}`, "vpc", group.VpcId);
  for (const instance of instances) {
    const from = `instance/${instance.InstanceId}`;
    link("MEMBER_OF", from, "subnet", instance.SubnetId);
    for (const id of list((instance.SecurityGroups ?? []).map((g) => g.GroupId)) ?? []) link("PROTECTED_BY", from, "sg", id);
  }
  for (const volume of snapshot.volumes ?? []) {
    for (const id of list((volume.Attachments ?? []).map((a) => a.InstanceId)) ?? []) link("ATTACHED_TO", `volume/${volume.VolumeId}`, "instance", id);
  }
  for (const eni of snapshot.networkInterfaces ?? []) {
    link("ATTACHED_TO", `eni/${eni.NetworkInterfaceId}`, "instance", eni.Attachment?.InstanceId);
    link("MEMBER_OF", `eni/${eni.NetworkInterfaceId}`, "subnet", eni.SubnetId);
  }

  const warnings = snapshot.failures.map((f) => `not collected: ${f}`);
  if (!found) warnings.push(`no answer named the owning account; the scope is named after "${fallbackAccount}"`);
  return {
    source: SOURCE,
    scope: regionScope(account, region),
    complete: snapshot.failures.length === 0,
    observations,
    relationships,
    meta: { account, region, accountFrom: found ? "owner-id" : "fallback" },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export function instanceObservation(instance: Instance, region: string, account: string): Observation {
  const t = tagFields(instance.Tags);
  const enis = [...(instance.NetworkInterfaces ?? [])].sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
  const interfaces = enis.map((eni) =>
    clean({
      name: eni.NetworkInterfaceId ?? `device-${eni.Attachment?.DeviceIndex ?? 0}`,
      mac: eni.MacAddress ? (normalizeMac(eni.MacAddress) ?? eni.MacAddress.toLowerCase()) : undefined,
      ips: list([...(eni.PrivateIpAddresses ?? []).flatMap((p) => [p.PrivateIpAddress, p.Association?.PublicIp]), ...(eni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address)]),
      device_index: eni.Attachment?.DeviceIndex,
      subnet_id: eni.SubnetId,
    }),
  );
  const macs = list(enis.map((e) => (e.MacAddress ? normalizeMac(e.MacAddress) : undefined)));
  const ips = list([instance.PrivateIpAddress, instance.PublicIpAddress, ...interfaces.flatMap((i) => (i.ips as string[] | undefined) ?? [])]);

  const keys: IdentityKey[] = [strong(KEY.awsInstance, instance.InstanceId)];
  for (const mac of macs ?? []) keys.push(macKey(mac)!);
  if (t.name && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(t.name)) keys.push(weak(KEY.hostname, t.name.toLowerCase()));
  if (instance.PrivateDnsName) keys.push(weak(KEY.fqdn, instance.PrivateDnsName.toLowerCase()));
  for (const ip of list([instance.PrivateIpAddress, instance.PublicIpAddress]) ?? []) keys.push(weak(KEY.ip, ip));

  const arch = instance.Architecture === "arm64" ? "aarch64" : instance.Architecture;
  return {
    ref: `instance/${instance.InstanceId}`,
    type: "virtual_machine",
    name: t.name ?? instance.InstanceId,
    provider: PROVIDER,
    region,
    ...(instance.Placement?.AvailabilityZone ? { zone: instance.Placement.AvailabilityZone } : {}),
    ...t.fields,
    keys,
    ...(instance.State?.Name ? { state: instance.State.Name } : {}),
    attributes: redactByName(
      clean({
        instance_id: instance.InstanceId,
        account,
        instance_type: instance.InstanceType,
        image_id: instance.ImageId,
        private_ip: instance.PrivateIpAddress,
        public_ip: instance.PublicIpAddress,
        private_dns: instance.PrivateDnsName || undefined,
        public_dns: instance.PublicDnsName || undefined,
        hostname: instance.PrivateDnsName ? instance.PrivateDnsName.split(".")[0] : undefined,
        fqdn: instance.PrivateDnsName || undefined,
        ip_addresses: ips,
        mac_addresses: macs,
        interfaces,
        vpc_id: instance.VpcId,
        subnet_id: instance.SubnetId,
        security_groups: list((instance.SecurityGroups ?? []).map((g) => g.GroupId)),
        architecture: arch,
        platform: instance.PlatformDetails ?? instance.Platform,
        cpu_cores: instance.CpuOptions?.CoreCount,
        threads_per_core: instance.CpuOptions?.ThreadsPerCore,
        launch_time: instance.LaunchTime?.toISOString(),
        key_name: instance.KeyName,
        iam_instance_profile: instance.IamInstanceProfile?.Arn,
        root_device: instance.RootDeviceName,
        volumes: list((instance.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId)),
        virtualization_type: instance.Hypervisor,
        virtualization_role: "guest",
      }),
    ),
  };
}

/** Name, Environment (or Env) and Owner tags become the CI's fields; all tags are kept as tags. */
export function tagFields(tags: { Key?: string; Value?: string }[] | undefined): { name?: string; fields: { tags?: Record<string, string>; environment?: string; owner?: string } } {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key) record[tag.Key] = tag.Value ?? "";
  const pick = (...names: string[]): string | undefined => {
    for (const [key, value] of Object.entries(record)) if (names.includes(key.toLowerCase()) && value !== "") return value;
    return undefined;
  };
  const name = pick("name");
  const environment = pick("environment", "env");
  const owner = pick("owner");
  const fields: { tags?: Record<string, string>; environment?: string; owner?: string } = {};
  if (Object.keys(record).length > 0) fields.tags = redactByName(record);
  if (environment) fields.environment = environment;
  if (owner) fields.owner = owner;
  return { ...(name ? { name } : {}), fields };
}

function rule(p: Permission): Record<string, unknown> {
  return clean({
    protocol: p.IpProtocol === "-1" ? "all" : p.IpProtocol,
    from_port: p.FromPort,
    to_port: p.ToPort,
    cidrs: list((p.IpRanges ?? []).map((r) => r.CidrIp)),
    ipv6_cidrs: list((p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)),
    groups: list((p.UserIdGroupPairs ?? []).map((g) => g.GroupId)),
    prefix_lists: list((p.PrefixListIds ?? []).map((g) => g.PrefixListId)),
  });
}

/** Distinct, defined values in first-seen order; undefined when there are none. */
function list<T>(values: (T | undefined | null | "")[]): T[] | undefined {
  const out = [...new Set(values.filter((v): v is T => v !== undefined && v !== null && v !== ""))];
  return out.length > 0 ? out : undefined;
}

function clean(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));
}
