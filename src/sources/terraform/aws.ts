import { KEY } from "../../model/attributes.js";
import type { CiType } from "../../model/ci-types.js";
import { type IdentityKey, keyString, strong, weak } from "../../model/keys.js";
import type { RelationshipType } from "../../model/relationships.js";
import {
  block,
  ipOf,
  list,
  num,
  regionFromArn,
  regionFromZone,
  str,
  strings,
  tagsFrom,
  unique,
  type Values,
} from "./fields.js";
import type { Edge, MapContext, Mapped, Mapper } from "./mapping.js";

const key = (scheme: string, value: string) => ({ key: `${scheme}:${value}` });

function edgesTo(type: RelationshipType, scheme: string, ids: Iterable<string>): Edge[] {
  return unique(ids).map((id) => ({ type, to: key(scheme, id) }));
}

/** Fields every AWS resource shares: Name tag, tags, region from the ARN or the zone. */
function base(ctx: MapContext, type: CiType, keys: IdentityKey[], naturalName?: string): Mapped {
  const v = ctx.values;
  const tags = tagsFrom(v.tags);
  const zone = str(v.availability_zone);
  return {
    type,
    keys,
    name: tags?.Name ?? naturalName ?? ctx.label,
    region: regionFromArn(v.arn) ?? regionFromZone(zone) ?? str(v.region),
    ...(zone ? { zone } : {}),
    ...(tags ? { tags } : {}),
    vocab: {},
    edges: [],
  };
}

function securityGroups(v: Values): string[] {
  return [...strings(v.vpc_security_group_ids), ...strings(v.security_groups).filter((s) => s.startsWith("sg-"))];
}

const instance: Mapper = (ctx) => {
  const v = ctx.values;
  const id = str(v.id);
  if (!id) return undefined;
  const ips = unique([ipOf(v.private_ip), ipOf(v.public_ip)].filter((ip): ip is string => ip !== undefined));
  const dns = [str(v.private_dns), str(v.public_dns)].filter((d): d is string => d !== undefined);
  const m = base(ctx, "virtual_machine", [
    strong(KEY.awsInstance, id),
    ...ips.map((ip) => weak(KEY.ip, ip)),
    ...dns.map((d) => weak(KEY.fqdn, d.toLowerCase())),
  ]);
  const cores = num(v.cpu_core_count) ?? num(block(v.cpu_options)?.core_count);
  const threads = num(v.cpu_threads_per_core) ?? num(block(v.cpu_options)?.threads_per_core);
  m.state = str(v.instance_state);
  m.vocab = {
    ...(cores !== undefined ? { cpu_cores: cores } : {}),
    ...(threads !== undefined ? { cpu_threads_per_core: threads } : {}),
    ...(ips.length ? { ip_addresses: ips } : {}),
    ...(str(v.instance_type) ? { instance_type: str(v.instance_type) } : {}),
    ...(str(v.ami) ? { image: str(v.ami) } : {}),
    virtualization_role: "guest",
  };
  m.edges = [
    ...edgesTo("MEMBER_OF", KEY.awsSubnet, strings([v.subnet_id])),
    ...edgesTo("PROTECTED_BY", KEY.awsSecurityGroup, securityGroups(v)),
  ];
  return m;
};

const vpc: Mapper = (ctx) => {
  const id = str(ctx.values.id);
  if (!id) return undefined;
  const m = base(ctx, "vpc", [strong(KEY.awsVpc, id)]);
  m.vocab = { ...(str(ctx.values.cidr_block) ? { cidr: str(ctx.values.cidr_block) } : {}) };
  return m;
};

const subnet: Mapper = (ctx) => {
  const id = str(ctx.values.id);
  if (!id) return undefined;
  const m = base(ctx, "subnet", [strong(KEY.awsSubnet, id)]);
  m.vocab = { ...(str(ctx.values.cidr_block) ? { cidr: str(ctx.values.cidr_block) } : {}) };
  m.edges = edgesTo("MEMBER_OF", KEY.awsVpc, strings([ctx.values.vpc_id]));
  return m;
};

const securityGroup: Mapper = (ctx) => {
  const id = str(ctx.values.id);
  if (!id) return undefined;
  const m = base(ctx, "security_group", [strong(KEY.awsSecurityGroup, id)], str(ctx.values.name));
  m.edges = edgesTo("MEMBER_OF", KEY.awsVpc, strings([ctx.values.vpc_id]));
  return m;
};

const volume: Mapper = (ctx) => {
  const id = str(ctx.values.id);
  if (!id) return undefined;
  const m = base(ctx, "block_storage", [strong(KEY.awsVolume, id)]);
  const size = num(ctx.values.size);
  m.vocab = {
    ...(size !== undefined ? { size_gb: size } : {}),
    ...(str(ctx.values.type) ? { volume_type: str(ctx.values.type) } : {}),
  };
  return m;
};

const dbInstance: Mapper = (ctx) => {
  const v = ctx.values;
  const arn = str(v.arn);
  if (!arn) return undefined;
  const m = base(ctx, "database", [strong(KEY.awsArn, arn)], str(v.identifier) ?? str(v.id));
  const endpoint = str(v.address);
  if (endpoint) m.keys.push(weak(KEY.fqdn, endpoint.toLowerCase()));
  m.state = str(v.status);
  m.vocab = {
    ...(str(v.engine) ? { engine: str(v.engine) } : {}),
    ...(str(v.engine_version) ? { engine_version: str(v.engine_version) } : {}),
    ...(str(v.instance_class) ? { instance_class: str(v.instance_class) } : {}),
    ...(num(v.port) !== undefined ? { port: num(v.port) } : {}),
  };
  const group = str(v.db_subnet_group_name);
  m.edges = [
    ...edgesTo("PROTECTED_BY", KEY.awsSecurityGroup, securityGroups(v)),
    ...edgesTo("MEMBER_OF", KEY.awsSubnet, (group && ctx.index.dbSubnetGroups.get(group)) || []),
  ];
  return m;
};

const loadBalancer: Mapper = (ctx) => {
  const v = ctx.values;
  const arn = str(v.arn);
  if (!arn) return undefined;
  const m = base(ctx, "load_balancer", [strong(KEY.awsArn, arn)], str(v.name));
  const dns = str(v.dns_name);
  if (dns) m.keys.push(weak(KEY.fqdn, dns.toLowerCase()));
  m.vocab = {
    ...(str(v.load_balancer_type) ? { load_balancer_type: str(v.load_balancer_type) } : {}),
    ...(str(v.scheme) ? { scheme: str(v.scheme) } : {}),
  };
  const subnets = [...strings(v.subnets), ...list(v.subnet_mapping).flatMap((s) => strings([block(s)?.subnet_id]))];
  m.edges = [
    ...edgesTo("MEMBER_OF", KEY.awsSubnet, subnets),
    ...edgesTo("PROTECTED_BY", KEY.awsSecurityGroup, strings(v.security_groups)),
  ];
  return m;
};

/** Classic ELB: an ARN only in newer providers, so it may have no strong key at all. */
const classicLoadBalancer: Mapper = (ctx) => {
  const v = ctx.values;
  const arn = str(v.arn);
  const m = base(ctx, "load_balancer", arn ? [strong(KEY.awsArn, arn)] : [], str(v.name));
  const dns = str(v.dns_name);
  if (dns) m.keys.push(weak(KEY.fqdn, dns.toLowerCase()));
  m.edges = [
    ...edgesTo("MEMBER_OF", KEY.awsSubnet, strings(v.subnets)),
    ...edgesTo("PROTECTED_BY", KEY.awsSecurityGroup, strings(v.security_groups)),
    ...edgesTo("ROUTES_TO", KEY.awsInstance, strings(v.instances)),
  ];
  return m;
};

const bucket: Mapper = (ctx) => {
  const name = str(ctx.values.bucket) ?? str(ctx.values.id);
  if (!name) return undefined;
  return base(ctx, "object_storage", [strong(KEY.awsS3, name)], name);
};

const route53Record: Mapper = (ctx) => {
  const v = ctx.values;
  const id = str(v.id);
  if (!id) return undefined;
  const fqdn = str(v.fqdn) ?? str(v.name);
  const m = base(ctx, "dns_record", [strong(KEY.awsRoute53, id)], fqdn);
  m.region = undefined;
  if (fqdn) m.keys.push(weak(KEY.fqdn, fqdn.toLowerCase().replace(/\.$/, "")));
  m.vocab = {
    ...(str(v.type) ? { record_type: str(v.type) } : {}),
    ...(strings(v.records).length ? { records: strings(v.records) } : {}),
  };
  const aliases = list(v.alias).flatMap((a) => strings([block(a)?.name]));
  m.resolves = unique([
    ...aliases.map((name) => `${KEY.fqdn}:${name.toLowerCase().replace(/\.$/, "").replace(/^dualstack\./, "")}`),
    ...strings(v.records)
      .map(ipOf)
      .filter((ip): ip is string => ip !== undefined)
      .map((ip) => `${KEY.ip}:${ip}`),
  ]);
  return m;
};

const eip: Mapper = (ctx) => {
  const v = ctx.values;
  const id = str(v.allocation_id) ?? str(v.id);
  if (!id) return undefined;
  const ip = ipOf(v.public_ip);
  const m = base(ctx, "ip_address", [strong(KEY.awsEip, id), ...(ip ? [weak(KEY.ip, ip)] : [])], ip);
  m.edges = [
    ...edgesTo("ATTACHED_TO", KEY.awsInstance, strings([v.instance])),
    ...edgesTo("ATTACHED_TO", KEY.awsEni, strings([v.network_interface])),
  ];
  return m;
};

const networkInterface: Mapper = (ctx) => {
  const id = str(ctx.values.id);
  if (!id) return undefined;
  const m = base(ctx, "network_interface", [strong(KEY.awsEni, id)]);
  const ips = strings(ctx.values.private_ips).map(ipOf).filter((ip): ip is string => ip !== undefined);
  m.vocab = { ...(ips.length ? { ip_addresses: ips } : {}) };
  m.edges = [
    ...edgesTo("MEMBER_OF", KEY.awsSubnet, strings([ctx.values.subnet_id])),
    ...edgesTo("PROTECTED_BY", KEY.awsSecurityGroup, strings(ctx.values.security_groups)),
  ];
  return m;
};

/**
 * Link resources only connect two CIs. Each joins the CI it manages (the volume, the elastic IP,
 * the network interface, the security group) through that CI's strong key, and carries the edge.
 */
function link(type: CiType, scheme: string, idField: string, edges: (v: Values) => Edge[]): Mapper {
  return (ctx) => {
    const id = str(ctx.values[idField]);
    if (!id) return undefined;
    const joined = strong(scheme, id);
    return { type, keys: [joined], vocab: {}, edges: edges(ctx.values), joins: keyString(joined) };
  };
}

const attachedToInstanceOrEni = (v: Values): Edge[] => {
  const instanceId = str(v.instance_id) ?? str(v.instance);
  if (instanceId) return edgesTo("ATTACHED_TO", KEY.awsInstance, [instanceId]);
  return edgesTo("ATTACHED_TO", KEY.awsEni, strings([v.network_interface_id]));
};

export const AWS_MAPPERS: Record<string, Mapper> = {
  aws_instance: instance,
  aws_spot_instance_request: instance,
  aws_vpc: vpc,
  aws_default_vpc: vpc,
  aws_subnet: subnet,
  aws_default_subnet: subnet,
  aws_security_group: securityGroup,
  aws_default_security_group: securityGroup,
  aws_ebs_volume: volume,
  aws_db_instance: dbInstance,
  aws_lb: loadBalancer,
  aws_alb: loadBalancer,
  aws_elb: classicLoadBalancer,
  aws_s3_bucket: bucket,
  aws_route53_record: route53Record,
  aws_eip: eip,
  aws_network_interface: networkInterface,
};

/** Link types: never CIs of their own (see README). */
export const AWS_LINKS: Record<string, Mapper> = {
  aws_volume_attachment: link("block_storage", KEY.awsVolume, "volume_id", (v) =>
    edgesTo("ATTACHED_TO", KEY.awsInstance, strings([v.instance_id])),
  ),
  aws_eip_association: link("ip_address", KEY.awsEip, "allocation_id", attachedToInstanceOrEni),
  aws_network_interface_attachment: link("network_interface", KEY.awsEni, "network_interface_id", (v) =>
    edgesTo("ATTACHED_TO", KEY.awsInstance, strings([v.instance_id])),
  ),
  aws_network_interface_sg_attachment: link("network_interface", KEY.awsEni, "network_interface_id", (v) =>
    edgesTo("PROTECTED_BY", KEY.awsSecurityGroup, strings([v.security_group_id])),
  ),
  aws_security_group_rule: link("security_group", KEY.awsSecurityGroup, "security_group_id", () => []),
  aws_vpc_security_group_ingress_rule: link("security_group", KEY.awsSecurityGroup, "security_group_id", () => []),
  aws_vpc_security_group_egress_rule: link("security_group", KEY.awsSecurityGroup, "security_group_id", () => []),
};
