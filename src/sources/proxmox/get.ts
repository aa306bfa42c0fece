import type { CollectError, CollectOptions } from "../collect.js";
import { readFileSync } from "node:fs";
import proxmoxApi, { type Proxmox } from "proxmox-api";
import { Agent, type RequestInit, Response, fetch as undiciFetch } from "undici";
import { createLimiter, type Limiter } from "../../util/concurrency.js";
import { CmdbError, fileProblem, UsageError } from "../../util/errors.js";
import { parseRetryAfter, withRetry } from "../../util/retry.js";
import { seconds, TIMEOUTS, timeoutMs } from "../../util/timeouts.js";
import {
  type AgentInterfaces,
  agentInterfacesSchema,
  clusterStatusSchema,
  guestConfigSchema,
  guestListSchema,
  nodeListSchema,
  parseAnswer,
  type ProxmoxConfig,
  storageListSchema,
  vmResourcesSchema,
} from "./schema.js";
import { agentEnabled, clusterName, type GuestSnapshot, type NodeSnapshot, nodeOnline, type ProxmoxSnapshot } from "./transform.js";

export type { CollectError, CollectOptions };

const DEFAULT_CONCURRENCY = 8;
/** 429 and 503 are the API's (and its reverse proxies') way of saying "later". */
const RETRY_STATUSES = new Set([429, 503]);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

interface Session {
  api: Proxmox.Api;
  endpoint: string;
  signal: AbortSignal | undefined;
  limit: Limiter;
  errors: CollectError[];
  progress: (message: string) => void;
  /** Replaces the token secret wherever a message could carry it (a URL, an echoed header). */
  scrub: (message: string) => string;
  close: () => Promise<void>;
}

/** Reads everything the collection needs; never throws for what the cluster answers, only for bad configuration. */
export async function readProxmox(config: ProxmoxConfig, options: CollectOptions = {}): Promise<{ snapshot?: ProxmoxSnapshot; errors: CollectError[] }> {
  const session = openSession(config, options);
  try {
    return { snapshot: await readCluster(session), errors: session.errors };
  } finally {
    await session.close();
  }
}

function openSession(config: ProxmoxConfig, options: CollectOptions): Session {
  const url = new URL(config.url);
  const port = url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 8006;
  const endpoint = `${url.hostname}:${port}`;
  const concurrency = config.concurrency ?? DEFAULT_CONCURRENCY;
  let ca: Buffer | undefined;
  if (config.caFile) {
    try {
      ca = readFileSync(config.caFile);
    } catch (error) {
      throw new UsageError(`the CA file ${fileProblem(error, "read") ?? `cannot be read (${String(error)})`}`, {
        where: config.caFile,
        hint: "give the cluster's CA certificate in PEM (on a PVE node: /etc/pve/pve-root-ca.pem)",
      });
    }
  }
  // TLS is verified unless the configuration says otherwise in so many words.
  const agent = new Agent({ connect: { rejectUnauthorized: config.insecure !== true, ...(ca ? { ca } : {}) }, connections: concurrency });
  const progress = options.onProgress ?? (() => {});
  const secret = config.tokenSecret;
  const scrub = (message: string): string => message.split(secret).join("(redacted)");

  const limit = timeoutMs("http");
  const fetchWithRetry = (input: string | URL, init?: RequestInit): Promise<Response> => {
    const caller = options.signal && init?.signal ? AbortSignal.any([options.signal, init.signal as AbortSignal]) : (options.signal ?? init?.signal);
    const path = new URL(String(input)).pathname.replace(/^\/api2\/json/, "");
    return withRetry(
      async () => {
        // Each attempt is bounded, body included: the answer is read here, under the same bound.
        const bound = new AbortController();
        const timer = setTimeout(() => bound.abort(), limit);
        const signal = caller ? AbortSignal.any([caller, bound.signal]) : bound.signal;
        try {
          const response = await undiciFetch(input, { ...init, dispatcher: agent, signal });
          // Bytes, not text: a text body would make Response add a content-type the server never sent.
          const body = await response.arrayBuffer();
          return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
        } catch (error) {
          if (bound.signal.aborted && !caller?.aborted) {
            throw new CmdbError(`no answer within ${seconds(limit)}`, { hint: `${TIMEOUTS.http.env} sets how long to wait` });
          }
          throw error;
        } finally {
          clearTimeout(timer);
        }
      },
      (outcome) =>
        outcome.ok && RETRY_STATUSES.has(outcome.value.status)
          ? { reason: `HTTP ${outcome.value.status}`, retryAfterMs: parseRetryAfter(outcome.value.headers.get("retry-after")) }
          : undefined,
      {
        signal: options.signal,
        onRetry: (r) =>
          progress(`proxmox: ${init?.method ?? "GET"} ${path} answered ${r.reason}; waiting ${(r.delayMs / 1000).toFixed(1)} s before attempt ${r.attempt + 1} of ${r.attempts}`),
      },
    );
  };

  const api = proxmoxApi({
    host: url.hostname,
    port,
    schema: url.protocol === "http:" ? "http" : "https",
    tokenID: config.tokenId,
    tokenSecret: config.tokenSecret,
    fetch: fetchWithRetry,
    // The bound is ours (above), with a message that says what was waited on; the client's own is set beyond it.
    queryTimeout: limit * 2 + 1000,
  });
  return { api, endpoint, signal: options.signal, limit: createLimiter(concurrency), errors: [], progress, scrub, close: () => agent.close() };
}

/** One request through the limiter; a failure is recorded (and answered undefined), never thrown. */
async function call<T>(session: Session, label: string, request: () => Promise<unknown>, parse: (data: unknown, where: string) => T): Promise<T | undefined> {
  const where = `${session.endpoint} GET ${label}`;
  try {
    return parse(await session.limit(request), where);
  } catch (error) {
    // Cancelling is the caller's decision, not a failure of this request: it ends the whole collection.
    if (session.signal?.aborted) throw session.signal.reason;
    session.errors.push({ where, message: session.scrub(describeFailure(error, session.endpoint)) });
    return undefined;
  }
}

async function readCluster(session: Session): Promise<ProxmoxSnapshot | undefined> {
  const { api } = session;
  session.progress(`proxmox: waiting on ${session.endpoint} for the cluster status`);
  const clusterStatus = await call(session, "/cluster/status", () => api.cluster.status.$get(), (d, w) => parseAnswer(clusterStatusSchema, d, w));
  const cluster = clusterStatus && clusterName(clusterStatus);
  if (!clusterStatus || !cluster) {
    if (clusterStatus) session.errors.push({ where: `${session.endpoint} GET /cluster/status`, message: "the answer names no cluster and no node" });
    return undefined;
  }
  const clusterFailures: string[] = [];
  const [nodeList, vmResources] = await Promise.all([
    call(session, "/nodes", () => api.nodes.$get(), (d, w) => parseAnswer(nodeListSchema, d, w)),
    call(session, "/cluster/resources?type=vm", () => api.cluster.resources.$get({ type: "vm" }), (d, w) => parseAnswer(vmResourcesSchema, d, w)),
  ]);
  if (!nodeList) clusterFailures.push("the node list (GET /nodes)");
  if (!vmResources) clusterFailures.push("HA states (GET /cluster/resources?type=vm)");
  const haStates = vmResources && new Map(vmResources.filter((r) => r.vmid !== undefined && r.hastate).map((r) => [r.vmid!, r.hastate!]));

  const statusNodes = clusterStatus.filter((e) => e.type === "node" && e.name);
  const names = [...new Set([...statusNodes.map((n) => n.name!), ...(nodeList ?? []).map((n) => n.node)])].sort();
  const online = names.filter((name) =>
    nodeOnline(
      statusNodes.find((n) => n.name === name),
      nodeList?.find((n) => n.node === name),
    ),
  );
  const offline = names.filter((name) => !online.includes(name));
  session.progress(
    `proxmox: cluster ${cluster} has ${names.length} node(s)` +
      (offline.length > 0 ? `; ${offline.join(", ")} offline, not read` : "") +
      `; listing guests and storages on ${online.length}`,
  );

  const tracker = new GuestTracker(session);
  const nodes = await Promise.all(names.map((name) => (online.includes(name) ? readNode(session, name, tracker) : offlineNode(name))));
  return { endpoint: session.endpoint, clusterStatus, nodeList, haStates, nodes, clusterFailures };
}

function offlineNode(node: string): NodeSnapshot {
  return { node, online: false, guests: [], failures: [], warnings: [] };
}

async function readNode(session: Session, node: string, tracker: GuestTracker): Promise<NodeSnapshot> {
  const { api } = session;
  const snapshot: NodeSnapshot = { node, online: true, guests: [], failures: [], warnings: [] };
  const at = api.nodes.$(node);
  const [qemu, lxc, storages] = await Promise.all([
    call(session, `/nodes/${node}/qemu?full=1`, () => at.qemu.$get({ full: true }), (d, w) => parseAnswer(guestListSchema, d, w)),
    call(session, `/nodes/${node}/lxc`, () => at.lxc.$get(), (d, w) => parseAnswer(guestListSchema, d, w)),
    call(session, `/nodes/${node}/storage`, () => at.storage.$get(), (d, w) => parseAnswer(storageListSchema, d, w)),
  ]);
  if (!qemu) snapshot.failures.push(`the VM list of node ${node}`);
  if (!lxc) snapshot.failures.push(`the container list of node ${node}`);
  if (storages) snapshot.storages = storages;
  else snapshot.failures.push(`the storages of node ${node}`);

  const entries = [...(qemu ?? []).map((entry) => ({ kind: "qemu" as const, entry })), ...(lxc ?? []).map((entry) => ({ kind: "lxc" as const, entry }))];
  tracker.expect(entries.length);
  snapshot.guests = await Promise.all(entries.map(({ kind, entry }) => readGuest(session, node, kind, entry, snapshot, tracker)));
  return snapshot;
}

async function readGuest(
  session: Session,
  node: string,
  kind: "qemu" | "lxc",
  entry: GuestSnapshot["entry"],
  snapshot: NodeSnapshot,
  tracker: GuestTracker,
): Promise<GuestSnapshot> {
  const guestApi = kind === "qemu" ? session.api.nodes.$(node).qemu.$(entry.vmid) : session.api.nodes.$(node).lxc.$(entry.vmid);
  const config = await call(session, `/nodes/${node}/${kind}/${entry.vmid}/config?current=1`, () => guestApi.config.$get({ current: true }), (d, w) =>
    parseAnswer(guestConfigSchema, d, w),
  );
  tracker.configDone();
  const guest: GuestSnapshot = { kind, entry, ...(config ? { config } : {}) };
  if (!config) {
    snapshot.failures.push(`the configuration of ${kind} ${entry.vmid} on node ${node}`);
    return guest;
  }
  const running = entry.status === "running";
  if (kind === "qemu" && running && entry.template !== true && agentEnabled(config.agent)) {
    guest.agent = await readAgent(session, node, entry.vmid, snapshot, tracker);
  }
  return guest;
}

/** The guest agent is best effort: a guest whose agent does not answer is still collected, without its IPs. */
async function readAgent(session: Session, node: string, vmid: number, snapshot: NodeSnapshot, tracker: GuestTracker): Promise<AgentInterfaces["result"] | undefined> {
  tracker.agentStarted();
  const path = `/nodes/${node}/qemu/${vmid}/agent/network-get-interfaces`;
  try {
    const answer = parseAnswer(
      agentInterfacesSchema,
      await session.limit(() => session.api.nodes.$(node).qemu.$(vmid).agent["network-get-interfaces"].$get()),
      `${session.endpoint} GET ${path}`,
    );
    if (Array.isArray(answer.result)) return answer.result;
    const { error } = answer.result;
    snapshot.warnings.push(`VM ${vmid} on node ${node}: the guest agent answered an error (${error.class ?? "error"}: ${error.desc ?? "no description"}); its IP addresses are unknown`);
  } catch (error) {
    if (session.signal?.aborted) throw session.signal.reason;
    snapshot.warnings.push(`VM ${vmid} on node ${node}: the guest agent did not answer (${session.scrub(describeFailure(error, session.endpoint))}); its IP addresses are unknown`);
  } finally {
    tracker.agentDone();
  }
  return undefined;
}

/** Says, every tenth of the way, how many guests are read and what is still awaited. */
class GuestTracker {
  private expected = 0;
  private configs = 0;
  private agentsPending = 0;
  private lastStep = 0;
  constructor(private readonly session: Session) {}
  expect(count: number): void {
    this.expected += count;
  }
  configDone(): void {
    this.configs++;
    const step = Math.floor((this.configs / Math.max(this.expected, 1)) * 10);
    if (step > this.lastStep) {
      this.lastStep = step;
      const { limit } = this.session;
      this.session.progress(
        `proxmox: ${this.configs}/${this.expected} guest configurations read; waiting on ${limit.active + limit.pending} request(s) (${this.agentsPending} guest agent call(s))`,
      );
    }
  }
  agentStarted(): void {
    this.agentsPending++;
  }
  agentDone(): void {
    this.agentsPending--;
  }
}

/** One sentence for a failed request: TLS and connection failures get their own words, API errors lose the URL (`where` has it). */
export function describeFailure(error: unknown, endpoint: string): string {
  const chain: { code?: string; message?: string }[] = [];
  for (let e: unknown = error; e && typeof e === "object" && chain.length < 6; e = (e as { cause?: unknown }).cause) chain.push(e as { code?: string; message?: string });
  const tls = chain.find((e) => typeof e.code === "string" && TLS_CODES.test(e.code));
  if (tls) {
    return `TLS certificate of ${endpoint} is not trusted (${tls.code}: ${tls.message}); give the cluster's CA with caFile / PROXMOX_CA_FILE (on a PVE node: /etc/pve/pve-root-ca.pem), or set insecure (PROXMOX_INSECURE=1) to skip verification`;
  }
  // proxmox-api wraps what the fetch threw (a timeout of ours) in its own "failed to call" error.
  const ours = chain.find((e): e is CmdbError => e instanceof CmdbError);
  if (ours) return ours.hint ? `${ours.message} (${ours.hint})` : ours.message;
  const network = chain.find((e) => typeof e.code === "string" && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(e.code));
  if (network) return `cannot reach ${endpoint} (${network.code}: ${network.message})`;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^(GET|POST|PUT|DELETE) \S+ (return Error|connection failed with) /, "HTTP ");
}
