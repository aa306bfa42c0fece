import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Observation, ObservationBatch } from "../../src/model/observation.js";
import { collectProxmox, type ProxmoxConfig } from "../../src/sources/proxmox/source.js";
import { commandWorks, requireService } from "../helpers/services.js";
import { type ReplayRoute, type ReplayServer, startReplayServer } from "../helpers/replay-server.js";
import { checkPveRequest, fixtureRoutes, makeTestPki, pveJson, pveRoute, syntheticClusterRoutes, TOKEN_ID, TOKEN_SECRET, type TestPki } from "./pve-replay.js";

const openssl = requireService("openssl", () => commandWorks("openssl", ["version"]));

describe.runIf(openssl.ok)("collectProxmox against a replayed cluster over TLS", () => {
  let pki: TestPki;
  const servers: ReplayServer[] = [];

  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      await server.close();
      expect(server.violations).toEqual([]);
    }
  });

  async function serve(routes: ReplayRoute[], latencyMs?: number): Promise<ReplayServer> {
    const server = await startReplayServer({ routes, tls: { key: pki.key, cert: pki.cert }, check: checkPveRequest, ...(latencyMs ? { latencyMs } : {}) });
    servers.push(server);
    return server;
  }

  function config(server: ReplayServer, extra: Partial<ProxmoxConfig> = { caFile: pki.caFile }): ProxmoxConfig {
    return { url: `${server.url}`, tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, ...extra };
  }

  const find = (batches: ObservationBatch[], ref: string, scope?: string): Observation => {
    const hit = batches.filter((b) => !scope || b.scope === scope).flatMap((b) => b.observations.map((o) => o)).find((o) => o.ref === ref);
    if (!hit) throw new Error(`no observation ${ref}`);
    return hit;
  };
  const keysOf = (o: Observation): string[] => o.keys.map((k) => `${k.strength} ${k.scheme}:${k.value}`);

  it("collects a two-node cluster into one cluster scope and one complete scope per node, reading each endpoint once", async () => {
    const routes = fixtureRoutes("lab");
    const server = await serve(routes);
    const progress: string[] = [];
    const { batches, errors } = await collectProxmox(config(server), { onProgress: (m) => progress.push(m) });

    expect(errors).toEqual([]);
    expect(batches.map((b) => [b.scope, b.complete])).toEqual([
      ["proxmox:lab", true],
      ["proxmox:lab/pve1", true],
      ["proxmox:lab/pve2", true],
    ]);
    for (const route of routes) expect(server.hits(route.name), route.name).toBe(1);

    const cluster = batches[0]!;
    expect(cluster.observations.map((o) => [o.ref, o.type, o.state])).toEqual([
      ["cluster", "cluster", undefined],
      ["node/pve1", "hypervisor_node", "online"],
      ["node/pve2", "hypervisor_node", "online"],
    ]);
    expect(keysOf(find(batches, "cluster"))).toEqual(["strong proxmox.cluster:lab"]);
    expect(keysOf(find(batches, "node/pve1"))).toEqual(["strong proxmox.node:lab/pve1", "weak hostname:pve1", "weak ip:192.168.10.11"]);
    expect(find(batches, "node/pve1").attributes).toMatchObject({ cpu_threads: 16, memory_mb: 65536, ip_addresses: ["192.168.10.11"] });
    expect(cluster.relationships).toEqual([
      { type: "MEMBER_OF", from: "node/pve1", to: { ref: "cluster" } },
      { type: "MEMBER_OF", from: "node/pve2", to: { ref: "cluster" } },
    ]);
    expect(cluster.meta).toMatchObject({ nodeScopes: ["proxmox:lab/pve1", "proxmox:lab/pve2"] });

    const web = find(batches, "qemu/100");
    expect(web).toMatchObject({ type: "virtual_machine", name: "web01", state: "running", provider: "proxmox", tags: { prod: "", web: "" } });
    expect(keysOf(web)).toEqual([
      "strong proxmox.vm:lab/100",
      "strong smbios.uuid:5f0c5a8e-3b1d-4c2a-9e7f-0a1b2c3d4e01",
      "strong mac:bc:24:11:aa:00:01",
      "strong mac:bc:24:11:aa:00:02",
      "weak proxmox.vmid:100",
      "weak hostname:web01",
    ]);
    expect(web.attributes).toMatchObject({
      vmid: 100,
      node: "pve1",
      cpu_cores: 2,
      cpu_sockets: 2,
      vcpus: 4,
      memory_mb: 4096,
      template: false,
      ha_managed: true,
      ha_state: "started",
      agent_enabled: true,
      ip_addresses: ["10.10.0.10", "10.20.0.10", "2001:db8:10::10"],
      disks: [
        { name: "efidisk0", storage: "local-lvm", volume: "vm-100-disk-2", size_gb: 0.004 },
        { name: "scsi0", storage: "local-lvm", volume: "vm-100-disk-0", size_gb: 32 },
        { name: "scsi1", storage: "ceph-pool", volume: "vm-100-disk-1", size_gb: 100 },
      ],
      interfaces: [
        { name: "net0", model: "virtio", mac: "bc:24:11:aa:00:01", bridge: "vmbr0", firewall: true, ips: ["10.10.0.10", "2001:db8:10::10"] },
        { name: "net1", model: "virtio", mac: "bc:24:11:aa:00:02", bridge: "vmbr1", vlan: 20, ips: ["10.20.0.10"] },
      ],
    });
    const db = find(batches, "qemu/101");
    expect(db.state).toBe("paused");
    expect(db.attributes).toMatchObject({ smbios_uuid: "5f0c5a8e-3b1d-4c2a-9e7f-0a1b2c3d4e02", ha_managed: false, ip_addresses: ["10.20.0.21"] });
    expect(find(batches, "qemu/9000").attributes).toMatchObject({ template: true, disks: [{ name: "scsi0", storage: "local-lvm", size_gb: 8 }] });

    const dns = find(batches, "lxc/200");
    expect(dns).toMatchObject({ type: "container", name: "dns01", state: "running" });
    expect(dns.attributes).toMatchObject({
      architecture: "x86_64",
      memory_mb: 512,
      ip_addresses: ["10.20.0.53"],
      interfaces: [{ name: "eth0", mac: "bc:24:11:aa:02:00", bridge: "vmbr1", vlan: 20, ips: ["10.20.0.53"] }],
      disks: [
        { name: "rootfs", storage: "local-lvm", size_gb: 8 },
        { name: "mp0", storage: "ceph-pool", size_gb: 20, mountpoint: "/srv" },
        { name: "mp1", volume: "/mnt/shared", mountpoint: "/shared" },
      ],
    });
    expect(find(batches, "lxc/201").attributes.ip_addresses).toBeUndefined();

    const pve1 = batches[1]!;
    expect(pve1.relationships.filter((r) => r.from === "lxc/200")).toEqual([
      { type: "RUNS_ON", from: "lxc/200", to: { key: "proxmox.node:lab/pve1" } },
      { type: "MEMBER_OF", from: "lxc/200", to: { key: "proxmox.cluster:lab" } },
      { type: "USES", from: "lxc/200", to: { ref: "storage/ceph-pool" } },
      { type: "USES", from: "lxc/200", to: { ref: "storage/local-lvm" } },
    ]);
    expect(keysOf(find(batches, "storage/local-lvm", "proxmox:lab/pve1"))).toEqual(["strong proxmox.storage:lab/pve1/local-lvm"]);
    expect(keysOf(find(batches, "storage/local-lvm", "proxmox:lab/pve2"))).toEqual(["strong proxmox.storage:lab/pve2/local-lvm"]);
    expect(keysOf(find(batches, "storage/ceph-pool", "proxmox:lab/pve2"))).toEqual(["strong proxmox.storage:lab/ceph-pool"]);
    expect(pve1.relationships).toContainEqual({ type: "HOSTED_ON", from: "storage/local-lvm", to: { key: "proxmox.node:lab/pve1" } });
    expect(pve1.relationships).toContainEqual({ type: "MEMBER_OF", from: "storage/ceph-pool", to: { key: "proxmox.cluster:lab" } });

    const pve2 = batches[2]!;
    expect(pve2.warnings).toEqual([expect.stringMatching(/^VM 102 on node pve2: the guest agent did not answer \(HTTP 500 QEMU guest agent is not running/)]);
    expect(find(batches, "qemu/102").attributes.ip_addresses).toBeUndefined();
    expect(find(batches, "qemu/103")).toMatchObject({ state: "stopped", attributes: { interfaces: [{ model: "e1000", mac: "bc:24:11:aa:01:03" }] } });

    const everything = JSON.stringify(batches);
    expect(everything).not.toContain("hashedpasswordvalue");
    expect(everything).not.toContain(TOKEN_SECRET);
    expect(progress[0]).toMatch(/waiting on 127\.0\.0\.1:\d+ for the cluster status/);
    expect(progress.some((m) => /7\/7 guest configurations read/.test(m))).toBe(true);
  });

  it("reports an offline node and an agent that does not answer without failing, and keeps the offline node's scope incomplete", async () => {
    const server = await serve(fixtureRoutes("testcluster"));
    const { batches, errors } = await collectProxmox(config(server));

    expect(errors).toEqual([]);
    expect(batches.map((b) => [b.scope, b.complete, b.observations.length])).toEqual([
      ["proxmox:testcluster", true, 3],
      ["proxmox:testcluster/testnode", true, 7],
      ["proxmox:testcluster/testnode2", false, 0],
    ]);
    expect(find(batches, "node/testnode2").state).toBe("offline");
    expect(batches[2]!.warnings).toEqual([expect.stringMatching(/^node testnode2 is offline/)]);
    expect(batches[1]!.warnings).toEqual([
      expect.stringMatching(/^VM 102 on node testnode: the guest agent answered an error \(Unsupported: this feature or command is not currently supported\)/),
      expect.stringMatching(/^VM 103 on node testnode: the guest agent did not answer \(HTTP 500/),
    ]);
    expect(find(batches, "qemu/101").attributes.ip_addresses).toEqual(["10.1.2.3", "10.10.2.3", "fd8c:4687:e88d:1be3:5b70:7b88:c79c:293"]);
    // The recording's MACs were anonymised to ff:ff:…, which must never become an identity.
    expect(keysOf(find(batches, "qemu/101"))).toEqual(["strong proxmox.vm:testcluster/101", "weak proxmox.vmid:101", "weak hostname:test-qemu"]);
    expect(find(batches, "qemu/103").attributes).toMatchObject({ ha_state: "started", cpu_cores: 4, memory_mb: 8192 });
    expect(find(batches, "qemu/9001").attributes).toMatchObject({ template: true });
    expect(find(batches, "lxc/100").attributes).toMatchObject({ ip_addresses: ["10.1.1.3"], tags: ["one", "three", "two"] });
  });

  it("retries 503 and 429 answers with backoff, saying what it waits on, and then collects completely", async () => {
    const routes = fixtureRoutes("lab").map((route) =>
      route.name === "GET /api2/json/nodes"
        ? { ...route, reply: [pveJson({ data: null }, 503, "Service Unavailable"), pveJson({ data: null }, 503, "Service Unavailable"), route.reply as never] }
        : route.name === "GET /api2/json/nodes/pve2/lxc/201/config?current=1"
          ? { ...route, reply: [{ ...pveJson({ data: null }, 429, "Too Many Requests"), headers: { "retry-after": "0", "content-type": "application/json;charset=UTF-8" } }, route.reply as never] }
          : route,
    );
    const server = await serve(routes);
    const progress: string[] = [];
    const { batches, errors } = await collectProxmox(config(server), { onProgress: (m) => progress.push(m) });
    expect(errors).toEqual([]);
    expect(batches.every((b) => b.complete)).toBe(true);
    expect(server.hits("GET /api2/json/nodes")).toBe(3);
    expect(server.hits("GET /api2/json/nodes/pve2/lxc/201/config?current=1")).toBe(2);
    expect(progress.filter((m) => m.includes("answered HTTP"))).toEqual([
      expect.stringMatching(/^proxmox: GET \/nodes answered HTTP 503; waiting \d+\.\d s before attempt 2 of 5$/),
      expect.stringMatching(/^proxmox: GET \/nodes answered HTTP 503; waiting \d+\.\d s before attempt 3 of 5$/),
      expect.stringMatching(/^proxmox: GET \/nodes\/pve2\/lxc\/201\/config answered HTTP 429/),
    ]);
  });

  it("a call that fails leaves only its own node's scope incomplete, and the error names the request", async () => {
    const routes = fixtureRoutes("lab").map((route) =>
      route.name === "GET /api2/json/nodes/pve2/lxc" ? { ...route, reply: pveJson({ data: null }, 500, "internal error") } : route,
    );
    const server = await serve(routes.filter((r) => !r.name.includes("/lxc/201/")));
    const { batches, errors } = await collectProxmox(config(server));
    expect(errors).toEqual([{ where: expect.stringMatching(/^127\.0\.0\.1:\d+ GET \/nodes\/pve2\/lxc$/), message: expect.stringMatching(/^HTTP 500 internal error/) }]);
    expect(batches.map((b) => [b.scope, b.complete])).toEqual([
      ["proxmox:lab", true],
      ["proxmox:lab/pve1", true],
      ["proxmox:lab/pve2", false],
    ]);
    expect(batches[2]!.observations.map((o) => o.ref)).toEqual(["storage/local", "storage/local-lvm", "storage/ceph-pool", "qemu/102", "qemu/103"]);
    expect(batches[2]!.warnings).toContain("not collected: the container list of node pve2");
  });

  it("refuses a server certificate it cannot verify, with a TLS error that says what to do", async () => {
    const server = await serve([]);
    for (const extra of [{}, { caFile: pki.otherCaFile }]) {
      const { batches, errors } = await collectProxmox(config(server, extra));
      expect(batches).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/^TLS certificate of 127\.0\.0\.1:\d+ is not trusted \([A-Z_]+: .+\); give the cluster's CA with caFile/);
    }
    expect(server.requests).toEqual([]);
  });

  it("connects without verification only when insecure is set", async () => {
    const server = await serve(fixtureRoutes("lab"));
    const { batches, errors } = await collectProxmox(config(server, { insecure: true }));
    expect(errors).toEqual([]);
    expect(batches).toHaveLength(3);
  });

  it("names a missing CA file as a usage error", async () => {
    await expect(collectProxmox({ url: "https://127.0.0.1:1", tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, caFile: "/nonexistent/ca.pem" })).rejects.toMatchObject({
      name: "UsageError",
      where: "/nonexistent/ca.pem",
      message: "the CA file does not exist",
    });
  });

  it("keeps the token secret out of errors when the server rejects the token", async () => {
    const server = await serve([
      pveRoute("GET /api2/json/cluster/status", pveJson({ data: null, message: `authentication failure for PVEAPIToken=${TOKEN_ID}=${TOKEN_SECRET}` }, 401, "authentication failure")),
    ]);
    const { batches, errors } = await collectProxmox(config(server));
    expect(batches).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^HTTP 401 authentication failure/);
    expect(JSON.stringify(errors)).not.toContain(TOKEN_SECRET);
  });

  it("stops with the caller's reason when the signal aborts", async () => {
    const server = await serve(syntheticClusterRoutes(2, 40), 20);
    const controller = new AbortController();
    const progress: string[] = [];
    const collecting = collectProxmox(config(server), {
      signal: controller.signal,
      onProgress: (m) => {
        progress.push(m);
        if (m.includes("guest configurations read")) controller.abort(new Error("stopped by the user"));
      },
    });
    await expect(collecting).rejects.toThrow("stopped by the user");
    expect(server.requests.length).toBeLessThan(60);
  });

  it("keeps requests within the concurrency bound while fanning out over many guests", async () => {
    const server = await serve(syntheticClusterRoutes(3, 60), 5);
    const { batches, errors } = await collectProxmox(config(server, { caFile: pki.caFile, concurrency: 4 }));
    expect(errors).toEqual([]);
    expect(batches.map((b) => b.complete)).toEqual([true, true, true, true]);
    expect(batches.slice(1).reduce((n, b) => n + b.observations.filter((o) => o.type !== "storage_pool").length, 0)).toBe(60);
    expect(server.maxInFlight()).toBe(4);
  });
});
