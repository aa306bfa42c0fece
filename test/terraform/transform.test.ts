import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keyString } from "../../src/model/keys.js";
import type { Observation, ObservationBatch } from "../../src/model/observation.js";
import { LINK_TYPES, MAX_UNPAIRED_FANOUT, parseTerraformState, transformTerraform } from "../../src/sources/terraform/source.js";
import { corpusDir, REPO_ROOT, TEST_FIXTURES } from "../helpers/corpus.js";

const LOCAL = join(TEST_FIXTURES, "terraform");
const isState = (f: string) => f.endsWith(".tfstate") || (f.endsWith(".json") && f.startsWith("show-json"));

type Raw = Record<string, unknown>;
interface RawInstance {
  address: string;
  module: string;
  type: string;
  deps: string[];
}

/** Managed, current instances counted straight from the raw JSON, with the address Terraform would print. */
function rawInstances(raw: Raw): RawInstance[] {
  const out: RawInstance[] = [];
  const quote = (k: unknown) => (typeof k === "number" ? `[${k}]` : k === undefined || k === null ? "" : `[${JSON.stringify(k)}]`);
  if (raw.version === 4) {
    for (const r of (raw.resources as Raw[]) ?? []) {
      if (r.mode !== "managed") continue;
      const module = (r.module as string) ?? "";
      for (const i of r.instances as Raw[]) {
        if (i.deposed) continue;
        const address = `${module ? `${module}.` : ""}${r.type}.${r.name}${quote(i.index_key)}`;
        out.push({ address, module, type: r.type as string, deps: (i.dependencies as string[]) ?? [] });
      }
    }
  } else if (raw.version === 3) {
    for (const m of raw.modules as Raw[]) {
      const module = (m.path as string[])
        .slice(1)
        .map((p) => `module.${p}`)
        .join(".");
      for (const [key, r] of Object.entries((m.resources as Record<string, Raw>) ?? {})) {
        if (key.startsWith("data.") || !r.primary) continue;
        const [type, name, index] = key.split(".");
        const address = `${module ? `${module}.` : ""}${type}.${name}${index === undefined ? "" : `[${index}]`}`;
        const deps = ((r.depends_on as string[]) ?? []).map((d) => d.replace(/\.(\*|\d+)$/, ""));
        out.push({ address, module, type: r.type as string, deps });
      }
    }
  } else {
    const walk = (m: Raw) => {
      for (const r of (m.resources as Raw[]) ?? []) {
        if (r.mode !== "managed" || r.deposed_key) continue;
        out.push({ address: r.address as string, module: (m.address as string) ?? "", type: r.type as string, deps: (r.depends_on as string[]) ?? [] });
      }
      for (const c of (m.child_modules as Raw[]) ?? []) walk(c);
    };
    const root = (raw.values as Raw | undefined)?.root_module as Raw | undefined;
    if (root) walk(root);
  }
  return out;
}

const stripKeys = (a: string) => a.replace(/\[[^\]]*\]/g, "");
/** The instance's own index key as written (`0`, `"a"`), or undefined for a single instance. */
const indexOf = (address: string): string | undefined => /\[([^\]]*)\]$/.exec(address)?.[1];

function expectedDependsOn(instances: RawInstance[]): number {
  let edges = 0;
  for (const i of instances) {
    if (LINK_TYPES.has(i.type)) continue;
    const hit = new Set<string>();
    const ownIndex = indexOf(i.address);
    for (const dep of i.deps) {
      const depModule = dep.split(".").slice(0, -2).join(".");
      const restrict = i.module !== "" && depModule === stripKeys(i.module);
      let targets = instances.filter((t) => stripKeys(t.address) === dep && !(restrict && t.module !== i.module));
      if (ownIndex !== undefined && targets.length > 1) {
        const paired = targets.filter((t) => indexOf(t.address) === ownIndex);
        if (paired.length > 0) targets = paired;
      }
      if (targets.length > MAX_UNPAIRED_FANOUT) continue;
      for (const t of targets) if (t.address !== i.address) hit.add(t.address);
    }
    edges += hit.size;
  }
  return edges;
}

function checkBatch(file: string, text: string): ObservationBatch {
  const raw = JSON.parse(text) as Raw;
  const batch = transformTerraform(parseTerraformState(text, file), { proxmoxCluster: "lab" });
  const expected = rawInstances(raw);
  const resources = batch.observations.filter((o) => o.ref !== "workspace");

  expect(resources.map((o) => o.ref).sort(), file).toEqual(expected.map((e) => e.address).sort());
  expect(batch.observations.filter((o) => o.type === "terraform_workspace")).toHaveLength(1);
  for (const o of resources) {
    expect(o.keys.map(keyString), `${file} ${o.ref}`).toContain(`terraform:${o.ref}`);
  }
  const strongKeys = resources
    .filter((o) => o.attributes.joins === undefined)
    .flatMap((o) => o.keys.filter((k) => k.strength === "strong").map(keyString));
  expect(new Set(strongKeys).size, `${file}: strong keys unique`).toBe(strongKeys.length);

  const dependsOn = batch.relationships.filter((r) => r.type === "DEPENDS_ON");
  expect(dependsOn.length, `${file}: DEPENDS_ON edges`).toBe(expectedDependsOn(expected));
  const refs = new Set(batch.observations.map((o) => o.ref));
  for (const r of batch.relationships) {
    expect(refs.has(r.from), `${file}: edge from ${r.from}`).toBe(true);
    if ("ref" in r.to) expect(refs.has(r.to.ref), `${file}: edge to ${r.to.ref}`).toBe(true);
  }
  expect(batch.relationships.filter((r) => r.type === "MANAGED_BY")).toHaveLength(resources.length);
  return batch;
}

describe("terraform transform over real states", () => {
  const local = readdirSync(LOCAL).filter(isState);

  it.each(local)("%s (local fixture): one observation per managed instance, keys and edges as the file says", (file) => {
    checkBatch(file, readFileSync(join(LOCAL, file), "utf8"));
  });

  const examples = join(REPO_ROOT, "examples/terraform");
  it.each(readdirSync(examples).filter(isState))("%s (example): transforms whole, its example secrets redacted", (file) => {
    const batch = checkBatch(file, readFileSync(join(examples, file), "utf8"));
    const json = JSON.stringify(batch);
    expect(json).not.toMatch(/example-[a-z-]*password/);
    expect(json).toContain("(redacted)");
    expect(batch.warnings).toBeUndefined();
  });

  const corpus = corpusDir("terraform");
  it.skipIf(!corpus)("every state in the corpus transforms with counts, keys and edges matching the file", () => {
    const files = readdirSync(corpus!).filter(isState);
    expect(files.length).toBeGreaterThanOrEqual(17);
    for (const file of files) {
      const batch = checkBatch(file, readFileSync(join(corpus!, file), "utf8"));
      const json = JSON.stringify(batch);
      for (const secret of ["fakepass", "FAKEpw", "FAKEKEY0", "PRIVATE KEY-----", "$2a$10$"]) {
        expect(json.includes(secret), `${file} leaks ${secret}`).toBe(false);
      }
    }
  });

  it.skipIf(!corpus)("reads the legacy version 3 states with count, flatmap maps and lists, and data sources left out", () => {
    const text = readFileSync(join(corpus!, "legacy-v3-aws-ecs-elb-count.tfstate"), "utf8");
    const batch = transformTerraform(parseTerraformState(text, "v3"), {});
    const ecs1 = batch.observations.find((o) => o.ref === "aws_instance.ecs[1]")!;
    expect(ecs1.type).toBe("virtual_machine");
    expect(ecs1.keys.map(keyString)).toContain("aws.instance:i-64ae11f1");
    expect(ecs1.region).toBe("us-west-2");
    expect(batch.observations.some((o) => o.ref.startsWith("data."))).toBe(false);
    const sg = batch.observations.find((o) => o.ref === "aws_security_group.tf_test_sg_ssh")!;
    const ingress = (sg.attributes.values as { ingress: { from_port: string }[] }).ingress;
    expect(Array.isArray(ingress) && ingress.length).toBeGreaterThan(0);
    expect(batch.relationships).toContainEqual({ type: "PROTECTED_BY", from: "aws_instance.ecs[1]", to: { key: "aws.sg:sg-0d1d046b" } });
    expect(batch.relationships).toContainEqual({ type: "DEPENDS_ON", from: "aws_instance.ecs[0]", to: { ref: "aws_subnet.tf_test_subnet" } });
  });
});

function load(file: string, opts: Parameters<typeof transformTerraform>[1] = {}) {
  const text = readFileSync(join(LOCAL, file), "utf8");
  return transformTerraform(parseTerraformState(text, file), opts);
}
const byRef = (batch: ObservationBatch, ref: string): Observation => {
  const o = batch.observations.find((x) => x.ref === ref);
  if (!o) throw new Error(`no observation ${ref}`);
  return o;
};

describe("terraform transform: secrets", () => {
  it("no planted secret of a state v4 reaches the batch, whatever marks it secret", () => {
    const batch = load("planted-secrets-v4.tfstate");
    const json = JSON.stringify(batch);
    expect(json).not.toContain("PLANTED");
    expect(json).not.toContain("eyJ");
    const web = byRef(batch, 'aws_instance.web["blue \\"one\\""]');
    expect((web.attributes.values as { root_block_device: { volume_size: number }[] }).root_block_device[0]!.volume_size).toBe(8);
  });

  it("no planted secret of `terraform show -json` reaches the batch", () => {
    const json = JSON.stringify(load("planted-secrets-show.json"));
    expect(json).not.toContain("PLANTED");
  });

  it("keeps what is not secret next to what was redacted", () => {
    const batch = load("planted-secrets-v4.tfstate");
    const db = byRef(batch, "aws_db_instance.app");
    expect(db.attributes.values).toMatchObject({ password: "(redacted)", engine: "postgres", identifier: "app" });
    const pw = byRef(batch, "random_password.db");
    expect(pw.attributes.values).toMatchObject({ result: "(redacted)", length: 24 });
  });
});

describe("terraform transform: mapping", () => {
  const batch = load("planted-secrets-v4.tfstate", { workspace: "prod", proxmoxCluster: "homelab" });

  it("names instances exactly as Terraform does, in nested modules, count and for_each", () => {
    const refs = batch.observations.map((o) => o.ref);
    expect(refs).toContain('module.net["eu"].module.sub.aws_subnet.this[0]');
    expect(refs).toContain('aws_instance.web["blue \\"one\\""]');
    expect(refs).toContain('aws_instance.web["green"]');
    expect(refs).toContain("proxmox_vm_qemu.k3s[0]");
  });

  it("scopes the batch to lineage and workspace, with a workspace CI every resource is managed by", () => {
    expect(batch.scope).toBe("0d9c2a51-7f3e-4b7a-9c1e-5a2f64d0b001/prod");
    expect(batch.complete).toBe(true);
    expect(batch.meta).toMatchObject({ lineage: "0d9c2a51-7f3e-4b7a-9c1e-5a2f64d0b001", serial: 7, terraform_version: "1.9.8", workspace: "prod", format: "state-v4" });
    const ws = byRef(batch, "workspace");
    expect(ws).toMatchObject({ type: "terraform_workspace", name: "prod" });
    expect(ws.keys.map(keyString)).toEqual(["terraform.workspace:0d9c2a51-7f3e-4b7a-9c1e-5a2f64d0b001/prod"]);
    expect(batch.relationships).toContainEqual({ type: "MANAGED_BY", from: "aws_vpc.main", to: { ref: "workspace" } });
  });

  it("maps AWS resources to CI types, strong keys and fields", () => {
    const vpc = byRef(batch, "aws_vpc.main");
    expect(vpc).toMatchObject({ type: "vpc", name: "planted", provider: "aws", region: "eu-west-1", environment: "test", owner: "platform" });
    expect(vpc.keys.map(keyString)).toContain("aws.vpc:vpc-0f1e2d3c4b5a69788");
    const web = byRef(batch, 'aws_instance.web["blue \\"one\\""]');
    expect(web).toMatchObject({ type: "virtual_machine", name: "web-blue", zone: "eu-west-1a", state: "running" });
    expect(web.attributes).toMatchObject({ provider_alias: "eu", kind: "aws_instance", ip_addresses: ["10.20.1.10"] });
    expect(byRef(batch, "aws_db_instance.app").keys.map(keyString)).toContain("aws.arn:arn:aws:rds:eu-west-1:111122223333:db:app");
  });

  it("keeps a tainted instance as a CI in state tainted, and skips a deposed object with a warning", () => {
    const green = batch.observations.filter((o) => o.ref === 'aws_instance.web["green"]');
    expect(green).toHaveLength(1);
    expect(green[0]!.state).toBe("tainted");
    expect(JSON.stringify(batch)).not.toContain("i-0deposed000000000");
    expect(batch.warnings?.some((w) => w.includes("a1b2c3d4") && w.includes("deposed"))).toBe(true);
  });

  it("joins a volume attachment to the volume it manages and attaches the volume to the instance", () => {
    const att = byRef(batch, "aws_volume_attachment.data");
    expect(att.type).toBe("block_storage");
    expect(att.keys.map(keyString)).toEqual(["aws.volume:vol-0ddd00000000000dd", "terraform:aws_volume_attachment.data"]);
    expect(batch.relationships).toContainEqual({ type: "ATTACHED_TO", from: "aws_volume_attachment.data", to: { key: "aws.instance:i-0123456789abcdef0" } });
    expect(batch.relationships.filter((r) => r.from === "aws_volume_attachment.data" && r.type === "DEPENDS_ON")).toEqual([]);
  });

  it("links by id: instance to subnet and security group, subnet and group to VPC, database to its subnet group's subnets", () => {
    const web = 'aws_instance.web["blue \\"one\\""]';
    expect(batch.relationships).toContainEqual({ type: "MEMBER_OF", from: web, to: { key: "aws.subnet:subnet-0aa0000000000000a" } });
    expect(batch.relationships).toContainEqual({ type: "PROTECTED_BY", from: web, to: { key: "aws.sg:sg-0ccc00000000000cc" } });
    expect(batch.relationships).toContainEqual({ type: "MEMBER_OF", from: 'module.net["eu"].module.sub.aws_subnet.this[1]', to: { key: "aws.vpc:vpc-0f1e2d3c4b5a69788" } });
    expect(batch.relationships).toContainEqual({ type: "MEMBER_OF", from: "aws_security_group.web", to: { key: "aws.vpc:vpc-0f1e2d3c4b5a69788" } });
    expect(batch.relationships).toContainEqual({ type: "MEMBER_OF", from: "aws_db_instance.app", to: { key: "aws.subnet:subnet-0bb0000000000000b" } });
    const deps = batch.relationships.filter((r) => r.type === "DEPENDS_ON" && r.from === web).map((r) => ("ref" in r.to ? r.to.ref : ""));
    expect(deps.sort()).toEqual(["aws_security_group.web", 'module.net["eu"].module.sub.aws_subnet.this[0]', 'module.net["eu"].module.sub.aws_subnet.this[1]']);
  });

  it("maps a Proxmox guest with cluster key, vmid, MAC, SMBIOS UUID, hostname and the node it runs on", () => {
    const vm = byRef(batch, "proxmox_vm_qemu.k3s[0]");
    expect(vm).toMatchObject({ type: "virtual_machine", name: "k3s-0", provider: "proxmox", environment: "prod", state: "running" });
    expect(vm.keys.map((k) => `${k.strength} ${keyString(k)}`)).toEqual(
      expect.arrayContaining([
        "strong proxmox.vm:homelab/120",
        "weak proxmox.vmid:120",
        "strong mac:bc:24:11:00:00:20",
        "strong smbios.uuid:7d3c0a2e-1111-4222-8333-444455556666",
        "weak hostname:k3s-0",
      ]),
    );
    expect(vm.attributes).toMatchObject({ cpu_cores: 2, cpu_sockets: 1, memory_mb: 4096, ip_addresses: ["192.168.10.20"], mac_addresses: ["bc:24:11:00:00:20"] });
    expect(batch.relationships).toContainEqual({ type: "RUNS_ON", from: "proxmox_vm_qemu.k3s[0]", to: { key: "proxmox.node:homelab/pve1" } });
  });

  it("gives a Proxmox guest no cluster key and no node edge when the cluster is not known", () => {
    const anon = load("planted-secrets-v4.tfstate");
    const vm = byRef(anon, "proxmox_vm_qemu.k3s[0]");
    expect(vm.keys.some((k) => k.scheme === "proxmox.vm")).toBe(false);
    expect(anon.relationships.some((r) => r.type === "RUNS_ON")).toBe(false);
  });

  it("keeps unknown types as generic CIs with their kind", () => {
    const file = byRef(batch, "local_file.key");
    expect(file).toMatchObject({ type: "generic", name: "key", provider: "local" });
    expect(file.attributes.kind).toBe("local_file");
  });
});

describe("terraform transform: show -json", () => {
  const batch = load("planted-secrets-show.json", { proxmoxCluster: "lab" });

  it("scopes a show -json batch to show-json/<workspace>, lacking a lineage", () => {
    expect(batch.scope).toBe("show-json/default");
    expect(batch.meta).toMatchObject({ format: "show-json", format_version: "1.0", terraform_version: "1.8.5" });
  });

  it("maps the bpg VM in a module's for_each, S3 bucket, ALB and Route 53 alias record", () => {
    const vm = byRef(batch, 'module.pve.proxmox_virtual_environment_vm.node["db-1"]');
    expect(vm.keys.map(keyString)).toEqual(expect.arrayContaining(["proxmox.vm:lab/301", "mac:bc:24:11:30:01:01"]));
    expect(vm).toMatchObject({ owner: "dba", state: "running" });
    expect(vm.attributes).toMatchObject({ cpu_cores: 4, memory_mb: 8192, ip_addresses: ["10.30.0.11"], disks: [{ name: "scsi0", size_gb: 64, storage: "local-zfs" }] });
    const bucket = byRef(batch, "aws_s3_bucket.logs");
    expect(bucket).toMatchObject({ type: "object_storage", name: "acme-logs-planted", region: "eu-central-1", environment: "staging", owner: "sre" });
    expect(bucket.keys.map(keyString)).toContain("aws.s3:acme-logs-planted");
    expect(batch.relationships).toContainEqual({ type: "MEMBER_OF", from: "aws_lb.front", to: { key: "aws.subnet:subnet-0b2b2b2b2b2b2b2b2" } });
    expect(batch.relationships).toContainEqual({ type: "RESOLVES_TO", from: "aws_route53_record.www", to: { ref: "aws_lb.front" } });
    expect(byRef(batch, "terraform_data.bootstrap").state).toBe("tainted");
  });
});
