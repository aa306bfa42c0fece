import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Observation, ObservationBatch } from "../../src/model/observation.js";
import { collectEc2, type Ec2Config } from "../../src/sources/aws/source.js";
import { type ReplayRoute, type ReplayServer, startReplayServer } from "../helpers/replay-server.js";
import { EMPTY, ec2Check, ec2Fixture, ec2Route, emptyAnswer, isolateAwsEnv, labRoutes, SECRET_ACCESS_KEY, xml } from "./ec2-replay.js";

const servers: ReplayServer[] = [];
const restores: (() => void)[] = [];

afterEach(async () => {
  for (const restore of restores.splice(0)) restore();
  for (const server of servers.splice(0)) {
    await server.close();
    expect(server.violations).toEqual([]);
  }
});

async function serve(routes: ReplayRoute[], options: { accessKeyId?: string; env?: Record<string, string> } = {}): Promise<ReplayServer> {
  const server = await startReplayServer({ routes, check: ec2Check(options.accessKeyId) });
  servers.push(server);
  restores.push(isolateAwsEnv(server.url, options.env));
  return server;
}

async function collect(config: Ec2Config = {}): Promise<{ batches: ObservationBatch[]; errors: { where: string; message: string }[]; progress: string[] }> {
  const progress: string[] = [];
  const result = await collectEc2(config, { onProgress: (m) => progress.push(m) });
  return { ...result, progress };
}

const find = (batch: ObservationBatch, ref: string): Observation => {
  const hit = batch.observations.find((o) => o.ref === ref);
  if (!hit) throw new Error(`no observation ${ref}`);
  return hit;
};

const authFailure = xml(ec2Fixture("recorded", "error-auth-failure.xml"), 401);
const failingRegion = (region: string): ReplayRoute[] => Object.keys(EMPTY).map((action) => ec2Route(region, action, authFailure));

describe("collectEc2 against replayed EC2 answers", () => {
  it("collects every enabled region, follows NextToken, and a failing region does not stop the others", async () => {
    const server = await serve([...labRoutes(), ...failingRegion("ap-southeast-2")]);
    const { batches, errors, progress } = await collect();

    expect(batches.map((b) => [b.scope, b.complete])).toEqual([
      ["aws:123456789012/eu-west-1", true],
      ["aws:123456789012/us-east-1", true],
    ]);
    expect(batches.map((b) => b.source)).toEqual(["ec2", "ec2"]);
    expect(errors.map((e) => e.where).sort()).toEqual(Object.keys(EMPTY).map((a) => `aws ap-southeast-2 ${a}`).sort());
    expect(errors[0]!.message).toBe("AuthFailure: AWS was not able to validate the provided access credentials (HTTP 401)");
    expect(server.hits("us-east-1 DescribeInstances NextToken=eyJ2IjoxLCJwYWdlIjoyfQ==")).toBe(1);
    expect(progress[0]).toBe("ec2: waiting on us-east-1 for the enabled regions (DescribeRegions)");

    const east = batches[1]!;
    expect(east.observations.map((o) => o.ref).sort()).toEqual([
      "eni/eni-0a1b2c3d4e5f64001",
      "eni/eni-0a1b2c3d4e5f64002",
      "eni/eni-0a1b2c3d4e5f64003",
      "instance/i-0a1b2c3d4e5f63001",
      "instance/i-0a1b2c3d4e5f63002",
      "sg/sg-0a1b2c3d4e5f62001",
      "sg/sg-0a1b2c3d4e5f62002",
      "subnet/subnet-0a1b2c3d4e5f61001",
      "subnet/subnet-0a1b2c3d4e5f61002",
      "volume/vol-0a1b2c3d4e5f65001",
      "volume/vol-0a1b2c3d4e5f65002",
      "volume/vol-0a1b2c3d4e5f65003",
      "vpc/vpc-0a1b2c3d4e5f60001",
    ]);
    const web = find(east, "instance/i-0a1b2c3d4e5f63001");
    expect(web).toMatchObject({
      type: "virtual_machine",
      name: "web-01",
      environment: "production",
      owner: "team-web",
      provider: "aws",
      region: "us-east-1",
      zone: "us-east-1a",
      state: "running",
      tags: { Name: "web-01", Environment: "production", Owner: "team-web" },
    });
    expect(web.keys.map((k) => `${k.strength} ${k.scheme}:${k.value}`)).toEqual([
      "strong aws.instance:i-0a1b2c3d4e5f63001",
      "strong mac:0e:1a:2b:3c:4d:01",
      "strong mac:0e:1a:2b:3c:4d:02",
      "weak hostname:web-01",
      "weak fqdn:ip-10-0-1-10.ec2.internal",
      "weak ip:10.0.1.10",
      "weak ip:203.0.113.10",
    ]);
    expect(web.attributes).toMatchObject({
      instance_type: "t3.small",
      image_id: "ami-0abcdef1234567890",
      private_ip: "10.0.1.10",
      public_ip: "203.0.113.10",
      ip_addresses: ["10.0.1.10", "203.0.113.10", "10.0.2.10"],
      mac_addresses: ["0e:1a:2b:3c:4d:01", "0e:1a:2b:3c:4d:02"],
      architecture: "x86_64",
      launch_time: "2024-03-01T10:00:00.000Z",
      security_groups: ["sg-0a1b2c3d4e5f62001"],
      account: "123456789012",
    });
    const db = find(east, "instance/i-0a1b2c3d4e5f63002");
    expect(db).toMatchObject({ state: "stopped", environment: "production", attributes: { architecture: "aarch64", mac_addresses: ["0e:1a:2b:3c:4d:03"] } });
    expect(east.observations.some((o) => o.ref === "instance/i-0a1b2c3d4e5f63003")).toBe(false);

    const rel = (type: string, from: string): unknown[] => east.relationships.filter((r) => r.type === type && r.from === from).map((r) => r.to);
    expect(rel("MEMBER_OF", "instance/i-0a1b2c3d4e5f63001")).toEqual([{ ref: "subnet/subnet-0a1b2c3d4e5f61001" }]);
    expect(rel("PROTECTED_BY", "instance/i-0a1b2c3d4e5f63001")).toEqual([{ ref: "sg/sg-0a1b2c3d4e5f62001" }]);
    expect(rel("MEMBER_OF", "subnet/subnet-0a1b2c3d4e5f61002")).toEqual([{ ref: "vpc/vpc-0a1b2c3d4e5f60001" }]);
    expect(rel("MEMBER_OF", "sg/sg-0a1b2c3d4e5f62002")).toEqual([{ ref: "vpc/vpc-0a1b2c3d4e5f60001" }]);
    expect(rel("ATTACHED_TO", "volume/vol-0a1b2c3d4e5f65002")).toEqual([{ ref: "instance/i-0a1b2c3d4e5f63002" }]);
    expect(rel("ATTACHED_TO", "volume/vol-0a1b2c3d4e5f65003")).toEqual([]);
    expect(rel("ATTACHED_TO", "eni/eni-0a1b2c3d4e5f64002")).toEqual([{ ref: "instance/i-0a1b2c3d4e5f63001" }]);
    expect(find(east, "eni/eni-0a1b2c3d4e5f64002").keys.map((k) => k.scheme)).toEqual(["aws.eni"]);
    expect(find(east, "volume/vol-0a1b2c3d4e5f65001")).toMatchObject({ type: "block_storage", name: "web-01-root", keys: [{ scheme: "aws.volume", value: "vol-0a1b2c3d4e5f65001" }], attributes: { size_gb: 20, encrypted: true } });
    expect(find(east, "sg/sg-0a1b2c3d4e5f62002").attributes.ingress).toEqual([{ protocol: "tcp", from_port: 5432, to_port: 5432, groups: ["sg-0a1b2c3d4e5f62001"] }]);

    expect(JSON.stringify({ batches, errors, progress })).not.toContain(SECRET_ACCESS_KEY);
  });

  it("retries RequestLimitExceeded with the SDK's backoff and says so, then collects the region completely", async () => {
    const throttled = xml(ec2Fixture("lab", "error-request-limit-exceeded.xml"), 503);
    const routes = labRoutes().map((r) => (r.name === "eu-west-1 DescribeVpcs" ? { ...r, reply: [throttled, throttled, r.reply as never] } : r));
    const server = await serve(routes);
    const { batches, errors, progress } = await collect({ regions: ["eu-west-1"] });
    expect(errors).toEqual([]);
    expect(batches.map((b) => [b.scope, b.complete, b.observations.length])).toEqual([["aws:123456789012/eu-west-1", true, 2]]);
    expect(server.hits("eu-west-1 DescribeVpcs")).toBe(3);
    expect(progress.filter((m) => m.includes("RequestLimitExceeded"))).toEqual([
      "ec2: eu-west-1 DescribeVpcsCommand answered RequestLimitExceeded (HTTP 503); the SDK retries with backoff",
      "ec2: eu-west-1 DescribeVpcsCommand answered RequestLimitExceeded (HTTP 503); the SDK retries with backoff",
    ]);
  });

  it("a failed call leaves its region's scope incomplete and keeps what the other calls returned", async () => {
    const denied = xml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>1</RequestID></Response>',
      403,
    );
    const routes = labRoutes().map((r) => (r.name === "us-east-1 DescribeVolumes" ? { ...r, reply: denied } : r));
    await serve(routes);
    const { batches, errors } = await collect({ regions: ["us-east-1"] });
    expect(errors).toEqual([{ where: "aws us-east-1 DescribeVolumes", message: "UnauthorizedOperation: You are not authorized to perform this operation. (HTTP 403)" }]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.complete).toBe(false);
    expect(batches[0]!.warnings).toEqual(["not collected: DescribeVolumes in us-east-1"]);
    expect(batches[0]!.observations.filter((o) => o.type === "virtual_machine")).toHaveLength(2);
    expect(batches[0]!.observations.filter((o) => o.type === "block_storage")).toEqual([]);
  });

  it("uses the configured profile's credentials and names the scope after it when no answer names the account", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmdb-aws-"));
    try {
      writeFileSync(join(dir, "credentials"), "[lab]\naws_access_key_id = AKIALABPROFILE000001\naws_secret_access_key = labprofilesecretvalue0000000000000000000\n");
      await serve(
        Object.keys(EMPTY).map((action) => ec2Route("eu-west-1", action, emptyAnswer(action))),
        { accessKeyId: "AKIALABPROFILE000001", env: { AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials") } },
      );
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      const { batches, errors } = await collect({ regions: ["eu-west-1"], profile: "lab" });
      expect(errors).toEqual([]);
      expect(batches).toEqual([
        expect.objectContaining({ scope: "aws:lab/eu-west-1", complete: true, observations: [], warnings: ['no answer named the owning account; the scope is named after "lab"'] }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports missing credentials as an error naming the call, not a crash", async () => {
    await serve([]);
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const { batches, errors } = await collect();
    expect(batches).toEqual([]);
    expect(errors).toEqual([{ where: "aws us-east-1 DescribeRegions", message: expect.stringMatching(/credential/i) }]);
  });

  it("rejects a malformed region name as a usage error", async () => {
    await expect(collectEc2({ regions: ["Europe"] })).rejects.toMatchObject({ name: "UsageError", message: expect.stringContaining("regions.0") });
  });

  it("reads every recorded DescribeInstances answer, keeping all but terminated instances, and names the item of a malformed one", async () => {
    const dir = join(import.meta.dirname, "../fixtures/ec2/recorded");
    // This recording has a stray ":" between elements, which leaves one parsed item without an instance id.
    const malformed = "describe-instances-many-reservations.xml";
    for (const file of readdirSync(dir).filter((f) => f.startsWith("describe-instances-"))) {
      const body = ec2Fixture("recorded", file);
      const routes = Object.keys(EMPTY).map((action) => ec2Route("us-west-2", action, action === "DescribeInstances" ? xml(body) : emptyAnswer(action)));
      await serve(routes);
      const { batches, errors } = await collect({ regions: ["us-west-2"] });
      if (file === malformed) {
        expect(errors).toEqual([{ where: "aws us-west-2 DescribeInstances", message: "unexpected answer at Reservations[8].Instances[0].InstanceId: Invalid input: expected string, received undefined" }]);
        expect(batches.map((b) => b.complete)).toEqual([false]);
      } else {
        const states = [...body.matchAll(/<instanceState>\s*<code>\d+<\/code>\s*<name>([a-z-]+)<\/name>/g)].map((m) => m[1]);
        expect(errors, file).toEqual([]);
        const vms = batches.flatMap((b) => b.observations.filter((o) => o.type === "virtual_machine"));
        expect(vms.length, file).toBe(states.filter((s) => s !== "terminated").length);
        for (const vm of vms) expect(vm.keys[0]!.scheme, file).toBe("aws.instance");
      }
      for (const restore of restores.splice(0)) restore();
      for (const server of servers.splice(0)) {
        await server.close();
        expect(server.violations, file).toEqual([]);
      }
    }
  });
});
