/**
 * A realistic Terraform state (format version 4) with exactly N managed resource instances, for
 * benchmarks: AWS network and application stacks in modules (count and for_each), EBS volumes with
 * attachments, RDS, ALB with Route 53 records, S3 buckets, Proxmox VMs and LXCs, and resources of
 * types cmdb does not know. Deterministic for a seed.
 *
 *   node test/bench/gen-tfstate.mjs N [seed] [serial] > state.tfstate
 */
import { pathToFileURL } from "node:url";

const AWS = 'provider["registry.terraform.io/hashicorp/aws"]';
const PVE = 'provider["registry.terraform.io/telmate/proxmox"]';
const REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2"];

/** mulberry32: small, fast and good enough to vary a fixture. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateState(n, { serial = 1, lineage, seed = 1 } = {}) {
  const random = rng(seed);
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const hex = (len) => Array.from({ length: len }, () => "0123456789abcdef"[int(0, 15)]).join("");
  let counter = 0;
  const next = () => ++counter;
  const mac = () => {
    const c = next();
    return `BC:24:11:${((c >> 16) & 255).toString(16).padStart(2, "0")}:${((c >> 8) & 255).toString(16).padStart(2, "0")}:${(c & 255).toString(16).padStart(2, "0")}`.toUpperCase();
  };
  const ip = (prefix) => {
    const c = next();
    return `${prefix}.${(c >> 8) & 255}.${c & 255}`;
  };
  const account = String(100000000000 + int(0, 899999999999));
  const arn = (region, service, resource) => `arn:aws:${service}:${region}:${account}:${resource}`;

  const resources = [];
  let remaining = n;
  const add = (resource) => {
    resources.push(resource);
    remaining -= resource.instances.length;
  };
  const managed = (module, type, name, provider, instances, each) => ({
    ...(module ? { module } : {}),
    mode: "managed",
    type,
    name,
    ...(each ? { each } : {}),
    provider,
    instances,
  });
  const instance = (attributes, extra = {}) => ({
    ...(extra.index_key !== undefined ? { index_key: extra.index_key } : {}),
    schema_version: extra.schema_version ?? 0,
    attributes,
    sensitive_attributes: extra.sensitive ?? [],
    ...(extra.dependencies?.length ? { dependencies: extra.dependencies } : {}),
  });

  let stack = 0;
  let vmid = 100;
  let network;
  while (remaining > 0) {
    stack++;
    const choice = int(0, 9);
    const region = REGIONS[stack % REGIONS.length];
    if ((!network || choice <= 1) && remaining >= 5) {
      const module = `module.network["${region}-${stack}"]`;
      const vpcId = `vpc-${hex(17)}`;
      const subnets = [0, 1, 2].map(() => `subnet-${hex(17)}`);
      const sg = `sg-${hex(17)}`;
      const tags = { Name: `net-${stack}`, Environment: stack % 2 ? "prod" : "staging", Owner: "platform" };
      add(managed(module, "aws_vpc", "this", AWS, [instance({ arn: arn(region, "ec2", `vpc/${vpcId}`), cidr_block: `10.${stack % 250}.0.0/16`, id: vpcId, tags, tags_all: tags }, { schema_version: 1 })]));
      add(
        managed(
          module,
          "aws_subnet",
          "private",
          AWS,
          subnets.map((id, i) =>
            instance(
              { arn: arn(region, "ec2", `subnet/${id}`), availability_zone: `${region}${"abc"[i]}`, cidr_block: `10.${stack % 250}.${i}.0/24`, id, tags: { Name: `net-${stack}-${i}` }, vpc_id: vpcId },
              { index_key: i, schema_version: 1, dependencies: [`${module.replace(/\[.*\]/, "")}.aws_vpc.this`] },
            ),
          ),
          "list",
        ),
      );
      add(managed(module, "aws_security_group", "app", AWS, [instance({ arn: arn(region, "ec2", `security-group/${sg}`), id: sg, name: `app-${stack}`, tags: {}, vpc_id: vpcId }, { schema_version: 1, dependencies: [`${module.replace(/\[.*\]/, "")}.aws_vpc.this`] })]));
      network = { module, region, vpcId, subnets, sg };
    } else if (network && choice <= 3 && remaining >= 3) {
      const count = Math.min(int(1, 4), Math.floor(remaining / 3));
      const module = `module.app["svc-${stack}"]`;
      const cfg = module.replace(/\[.*\]/, "");
      const instances = Array.from({ length: count }, () => `i-${hex(17)}`);
      const volumes = Array.from({ length: count }, () => `vol-${hex(17)}`);
      const netCfg = network.module.replace(/\[.*\]/, "");
      add(
        managed(
          module,
          "aws_instance",
          "this",
          AWS,
          instances.map((id, i) =>
            instance(
              {
                ami: `ami-${hex(17)}`,
                arn: arn(network.region, "ec2", `instance/${id}`),
                availability_zone: `${network.region}${"abc"[i % 3]}`,
                id,
                instance_state: "running",
                instance_type: "t3.medium",
                private_ip: ip("10.200"),
                subnet_id: network.subnets[i % 3],
                tags: { Name: `svc-${stack}-${i}`, Environment: "prod" },
                user_data: null,
                vpc_security_group_ids: [network.sg],
              },
              { index_key: i, schema_version: 1, dependencies: [`${netCfg}.aws_subnet.private`, `${netCfg}.aws_security_group.app`] },
            ),
          ),
          "list",
        ),
      );
      add(managed(module, "aws_ebs_volume", "data", AWS, volumes.map((id, i) => instance({ arn: arn(network.region, "ec2", `volume/${id}`), availability_zone: `${network.region}${"abc"[i % 3]}`, id, size: 50, type: "gp3", tags: { Name: `svc-${stack}-data-${i}` } }, { index_key: i })), "list"));
      add(
        managed(
          module,
          "aws_volume_attachment",
          "data",
          AWS,
          volumes.map((id, i) => instance({ device_name: "/dev/sdf", id: `vai-${int(100000000, 999999999)}`, instance_id: instances[i], volume_id: id }, { index_key: i, dependencies: [`${cfg}.aws_ebs_volume.data`, `${cfg}.aws_instance.this`] })),
          "list",
        ),
      );
    } else if (network && choice === 4 && remaining >= 2) {
      const name = `db-${stack}`;
      add(managed("", "aws_db_subnet_group", name, AWS, [instance({ arn: arn(network.region, "rds", `subgrp:${name}`), id: name, name, subnet_ids: network.subnets })]));
      add(
        managed("", "aws_db_instance", name, AWS, [
          instance(
            { address: `${name}.${hex(12)}.${network.region}.rds.amazonaws.com`, arn: arn(network.region, "rds", `db:${name}`), db_subnet_group_name: name, engine: "postgres", engine_version: "16.3", id: `db-${hex(26).toUpperCase()}`, identifier: name, instance_class: "db.t4g.medium", password: `bench-${hex(16)}`, port: 5432, status: "available", vpc_security_group_ids: [network.sg] },
            { schema_version: 2, sensitive: [[{ type: "get_attr", value: "password" }]], dependencies: [`aws_db_subnet_group.${name}`] },
          ),
        ]),
      );
    } else if (network && choice === 5 && remaining >= 2) {
      const name = `lb-${stack}`;
      const dns = `${name}-${int(1000000000, 1999999999)}.${network.region}.elb.amazonaws.com`;
      const lbArn = arn(network.region, "elasticloadbalancing", `loadbalancer/app/${name}/${hex(16)}`);
      add(managed("", "aws_lb", name, AWS, [instance({ arn: lbArn, dns_name: dns, id: lbArn, load_balancer_type: "application", name, security_groups: [network.sg], subnets: network.subnets })]));
      add(managed("", "aws_route53_record", name, AWS, [instance({ alias: [{ evaluate_target_health: true, name: dns, zone_id: "Z32O12XQLNTSW2" }], fqdn: `${name}.example.org`, id: `Z0EXAMPLE_${name}.example.org_A`, name: `${name}.example.org`, type: "A", zone_id: "Z0EXAMPLE" }, { schema_version: 2, dependencies: [`aws_lb.${name}`] })]));
    } else if (network && choice === 6) {
      const keys = ["logs", "assets", "backups"].slice(0, Math.min(remaining, int(1, 3)));
      add(managed("", "aws_s3_bucket", `b${stack}`, AWS, keys.map((k) => instance({ arn: `arn:aws:s3:::acme-${k}-${stack}`, bucket: `acme-${k}-${stack}`, id: `acme-${k}-${stack}`, region: network.region, tags: { Name: `acme-${k}-${stack}` } }, { index_key: k })), "map"));
    } else if (choice === 7) {
      const count = Math.min(remaining, int(1, 5));
      const node = `pve${int(1, 3)}`;
      add(
        managed(
          "",
          "proxmox_vm_qemu",
          `k8s_${stack}`,
          PVE,
          Array.from({ length: count }, (_, i) => {
            const id = vmid++;
            const name = `k8s-${stack}-worker-${i}`;
            return instance(
              { cipassword: `bench-${hex(12)}`, cores: 4, id: `${node}/qemu/${id}`, ipconfig0: `ip=${ip("192.168")}/24,gw=192.168.0.1`, memory: 8192, name, network: [{ bridge: "vmbr0", macaddr: mac(), model: "virtio", tag: -1 }], smbios: [{ uuid: `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}` }], sockets: 1, tags: "k8s;terraform", target_node: node, vm_state: "running", vmid: id },
              { index_key: name, sensitive: [[{ type: "get_attr", value: "cipassword" }]] },
            );
          }),
          "map",
        ),
      );
    } else if (choice === 8) {
      const count = Math.min(remaining, int(1, 3));
      const node = `pve${int(1, 3)}`;
      add(
        managed(
          "",
          "proxmox_lxc",
          `svc_${stack}`,
          PVE,
          Array.from({ length: count }, (_, i) => {
            const id = vmid++;
            return instance(
              { cores: 1, hostname: `svc-${stack}-${i}`, id: `${node}/lxc/${id}`, memory: 1024, network: [{ bridge: "vmbr0", hwaddr: mac(), ip: `${ip("192.168")}/24`, name: "eth0" }], password: `bench-${hex(12)}`, rootfs: [{ size: "8G", storage: "local-zfs" }], target_node: node, vmid: id },
              { index_key: i, sensitive: [[{ type: "get_attr", value: "password" }]] },
            );
          }),
          "list",
        ),
      );
    } else {
      const kinds = ["null_resource", "random_id", "tls_private_key", "aws_iam_role", "cloudflare_record"];
      const type = kinds[int(0, kinds.length - 1)];
      add(managed("", type, `misc_${stack}`, `provider["registry.terraform.io/hashicorp/${type.split("_")[0]}"]`, [instance({ id: hex(20) })]));
    }
  }

  const seedLineage = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  return {
    version: 4,
    terraform_version: "1.9.8",
    serial,
    lineage: lineage ?? seedLineage,
    outputs: {},
    resources,
    check_results: null,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2]);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write("usage: node test/bench/gen-tfstate.mjs N [seed] [serial] > state.tfstate\n");
    process.exit(2);
  }
  const state = generateState(n, { seed: Number(process.argv[3] ?? 1), serial: Number(process.argv[4] ?? 1) });
  process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
}
