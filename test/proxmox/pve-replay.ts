import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import type { ReplayReply, ReplayRequest, ReplayRoute } from "../helpers/replay-server.js";

export const TOKEN_ID = "cmdb@pve!discovery";
export const TOKEN_SECRET = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0";

const JSON_TYPE = "application/json;charset=UTF-8";

export function pveJson(data: unknown, status = 200, statusText?: string): ReplayReply {
  return { status, ...(statusText ? { statusText } : {}), headers: { "content-type": JSON_TYPE }, body: JSON.stringify(data) };
}

/** A route for `GET /api2/json/…?query` answering with `reply`. */
export function pveRoute(request: string, reply: ReplayRoute["reply"]): ReplayRoute {
  return { name: request, request, reply };
}

interface RouteFile {
  routes: { request: string; file: string; status?: number; statusText?: string }[];
}

/** The recorded cluster in test/fixtures/proxmox/<name>, as routes named by their request line. */
export function fixtureRoutes(name: string): ReplayRoute[] {
  const dir = join(TEST_FIXTURES, "proxmox", name);
  const manifest = JSON.parse(readFileSync(join(dir, "routes.json"), "utf8")) as RouteFile;
  return manifest.routes.map((r) => {
    const body = readFileSync(join(dir, r.file), "utf8");
    return pveRoute(r.request, { status: r.status ?? 200, ...(r.statusText ? { statusText: r.statusText } : {}), headers: { "content-type": JSON_TYPE }, body });
  });
}

/** Every request must be a GET under /api2/json carrying exactly our API token, as PVE expects it. */
export function checkPveRequest(request: ReplayRequest): string | undefined {
  if (request.method !== "GET") return `discovery must only read, got ${request.method}`;
  if (!request.path.startsWith("/api2/json/")) return "path outside /api2/json";
  const auth = request.headers.authorization;
  if (auth !== `PVEAPIToken=${TOKEN_ID}=${TOKEN_SECRET}`) return `Authorization header is ${auth === undefined ? "missing" : "not PVEAPIToken=<tokenid>=<secret>"}`;
  if (request.headers.cookie || request.headers.csrfpreventiontoken) return "ticket auth used instead of the API token";
  return undefined;
}

export interface TestPki {
  dir: string;
  caFile: string;
  otherCaFile: string;
  key: string;
  cert: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it, plus an unrelated CA. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "cmdb-pve-tls-"));
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=cmdb test CA");
  openssl("req", "-x509", ...ec, "-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj", "/CN=some other CA");
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
  return {
    dir,
    caFile: join(dir, "ca.pem"),
    otherCaFile: join(dir, "other.pem"),
    key: readFileSync(join(dir, "server.key"), "utf8"),
    cert: readFileSync(join(dir, "server.pem"), "utf8"),
  };
}

/**
 * A generated cluster of `nodes` nodes and `guests` guests (every fourth a container, VMs with a
 * guest agent answering), served consistently: for scale tests and the benchmark.
 */
export function syntheticClusterRoutes(nodes: number, guests: number): ReplayRoute[] {
  const nodeNames = Array.from({ length: nodes }, (_, i) => `pve${String(i + 1).padStart(2, "0")}`);
  const perNode = new Map<string, { qemu: unknown[]; lxc: unknown[] }>(nodeNames.map((n) => [n, { qemu: [], lxc: [] }]));
  const routes: ReplayRoute[] = [
    pveRoute(
      "GET /api2/json/cluster/status",
      pveJson({
        data: [
          { type: "cluster", id: "cluster", name: "big", nodes, quorate: 1, version: 42 },
          ...nodeNames.map((name, i) => ({ type: "node", id: `node/${name}`, name, nodeid: i + 1, online: 1, local: i === 0 ? 1 : 0, ip: `10.0.0.${i + 1}` })),
        ],
      }),
    ),
    pveRoute("GET /api2/json/nodes", pveJson({ data: nodeNames.map((node) => ({ node, status: "online", maxcpu: 64, maxmem: 274877906944, uptime: 1000 })) })),
  ];
  const resources: unknown[] = [];
  for (let i = 0; i < guests; i++) {
    const vmid = 1000 + i;
    const node = nodeNames[i % nodes]!;
    const mac = `BC:24:11:${hex(i >> 16)}:${hex((i >> 8) & 255)}:${hex(i & 255)}`;
    const lxc = i % 4 === 3;
    const name = `guest-${vmid}`;
    const base = `GET /api2/json/nodes/${node}/${lxc ? "lxc" : "qemu"}/${vmid}`;
    resources.push({ id: `${lxc ? "lxc" : "qemu"}/${vmid}`, type: lxc ? "lxc" : "qemu", vmid, node, ...(i % 10 === 0 ? { hastate: "started" } : {}) });
    if (lxc) {
      perNode.get(node)!.lxc.push({ vmid: String(vmid), name, status: "running", type: "lxc" });
      routes.push(
        pveRoute(
          `${base}/config?current=1`,
          pveJson({ data: { hostname: name, cores: 1, memory: 512, rootfs: `local-lvm:vm-${vmid}-disk-0,size=8G`, net0: `name=eth0,bridge=vmbr0,hwaddr=${mac},ip=10.1.${i >> 8}.${i & 255}/16`, arch: "amd64" } }),
        ),
      );
    } else {
      perNode.get(node)!.qemu.push({ vmid, name, status: "running", qmpstatus: "running" });
      routes.push(
        pveRoute(
          `${base}/config?current=1`,
          pveJson({
            data: {
              name,
              cores: 2,
              sockets: 1,
              memory: 2048,
              agent: "1",
              smbios1: `uuid=00000000-0000-4000-8000-${String(vmid).padStart(12, "0")}`,
              scsi0: `ceph:vm-${vmid}-disk-0,size=32G`,
              net0: `virtio=${mac},bridge=vmbr0`,
            },
          }),
        ),
        pveRoute(
          `${base}/agent/network-get-interfaces`,
          pveJson({ data: { result: [{ name: "eth0", "hardware-address": mac.toLowerCase(), "ip-addresses": [{ "ip-address": `10.1.${i >> 8}.${i & 255}`, "ip-address-type": "ipv4", prefix: 16 }] }] } }),
        ),
      );
    }
  }
  routes.push(pveRoute("GET /api2/json/cluster/resources?type=vm", pveJson({ data: resources })));
  for (const [node, lists] of perNode) {
    routes.push(
      pveRoute(`GET /api2/json/nodes/${node}/qemu?full=1`, pveJson({ data: lists.qemu })),
      pveRoute(`GET /api2/json/nodes/${node}/lxc`, pveJson({ data: lists.lxc })),
      pveRoute(
        `GET /api2/json/nodes/${node}/storage`,
        pveJson({
          data: [
            { storage: "local-lvm", type: "lvmthin", content: "images,rootdir", active: 1, enabled: 1, shared: 0, total: 1e12, used: 1e11, avail: 9e11 },
            { storage: "ceph", type: "rbd", content: "images", active: 1, enabled: 1, shared: 1, total: 1e13, used: 1e12, avail: 9e12 },
          ],
        }),
      ),
    );
  }
  return routes;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0").toUpperCase();
}
