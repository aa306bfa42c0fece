import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Duplex } from "node:stream";
import ssh2 from "ssh2";
import type { AnyAuthMethod, Client as ClientType, ConnectConfig } from "ssh2";
import { CmdbError, fileProblem } from "../../util/errors.js";
import { ensureDir } from "../../util/fs.js";
import { checkHostKey, fingerprint, hostKeyAlgorithms, type KnownHosts, knownHostLine, knownHostName, parseKnownHosts } from "./known-hosts.js";
import type { SshConfigParsed, SshHost } from "./schema.js";
import { COLLECT_SCRIPT } from "./script.js";

const { Client, utils } = ssh2;

/** The discovery output is a few KiB; anything far larger is not our script talking. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const DEFAULT_IDENTITIES = ["id_ed25519", "id_ecdsa", "id_rsa"];

export function expandHome(path: string): string {
  return path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : resolve(path);
}

/** Everything the connections of one collection share: known hosts (updated in place by acceptNew), keys read once. */
export interface SshSession {
  config: SshConfigParsed;
  knownHostsFile: string;
  known: KnownHosts;
  agent: string | undefined;
  keys: Map<string, Buffer>;
}

export function openSession(config: SshConfigParsed): SshSession {
  const knownHostsFile = expandHome(config.knownHostsFile ?? "~/.ssh/known_hosts");
  let known: KnownHosts = { entries: [], problems: [] };
  if (existsSync(knownHostsFile)) known = parseKnownHosts(readFileSync(knownHostsFile, "utf8"));
  const socket = process.env.SSH_AUTH_SOCK || undefined;
  if (config.useAgent === true && !socket) {
    throw new CmdbError("useAgent is set but SSH_AUTH_SOCK is not", { where: "ssh config", hint: "start ssh-agent or set useAgent: false" });
  }
  return { config, knownHostsFile, known, agent: config.useAgent === false ? undefined : socket, keys: new Map() };
}

function readIdentity(session: SshSession, file: string): Buffer {
  const path = expandHome(file);
  const cached = session.keys.get(path);
  if (cached) return cached;
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    throw new CmdbError(`the identity file ${fileProblem(error, "read") ?? `cannot be read (${String(error)})`}`, { where: path });
  }
  const parsed = utils.parseKey(data);
  if (parsed instanceof Error) {
    throw new CmdbError(`not a usable private key: ${parsed.message}`, {
      where: path,
      hint: "passphrase-protected keys are used through ssh-agent (useAgent)",
    });
  }
  session.keys.set(path, data);
  return data;
}

function authMethods(session: SshSession, user: string, identityFile: string | undefined): AnyAuthMethod[] {
  const explicit = identityFile ? [identityFile] : session.config.identityFiles;
  const files = explicit ?? DEFAULT_IDENTITIES.map((name) => join(homedir(), ".ssh", name)).filter((path) => existsSync(path));
  const methods: AnyAuthMethod[] = files.map((file) => ({ type: "publickey", username: user, key: readIdentity(session, file) }));
  if (session.agent) methods.push({ type: "agent", username: user, agent: session.agent });
  if (methods.length === 0) {
    throw new CmdbError("no identity file and no ssh-agent to authenticate with", {
      hint: "set identityFiles or a host's identityFile, or run ssh-agent (SSH_AUTH_SOCK)",
    });
  }
  return methods;
}

/** Why the host key was refused, in OpenSSH's terms; undefined when it was accepted. */
function verifyHostKey(session: SshSession, host: string, port: number, key: Buffer): string | undefined {
  const verdict = checkHostKey(session.known, host, port, key);
  const name = knownHostName(host, port);
  const file = session.knownHostsFile;
  switch (verdict.status) {
    case "match":
      return undefined;
    case "revoked":
      return `the host key ${fingerprint(key)} of ${name} is marked @revoked in ${file}:${verdict.line}`;
    case "changed":
      return `HOST KEY CHANGED: ${name} presented ${fingerprint(key)}, which differs from the ${verdict.knownTypes.join(", ")} key(s) in ${file}:${verdict.lines.join(",")} (possible man-in-the-middle; if the host was reinstalled, remove the old line with ssh-keygen -R)`;
    case "unknown": {
      if (!session.config.acceptNew) {
        return `the host key ${fingerprint(key)} of ${name} is not in ${file} (add it with ssh-keyscan after checking it, or set acceptNew)`;
      }
      const line = knownHostLine(host, port, key);
      ensureDir(dirname(file), 0o700);
      const existing = existsSync(file) ? readFileSync(file, "utf8") : "";
      appendFileSync(file, `${existing !== "" && !existing.endsWith("\n") ? "\n" : ""}${line}\n`, { mode: 0o600 });
      session.known.entries.push(...parseKnownHosts(line).entries);
      return undefined;
    }
  }
}

interface Endpoint {
  host: string;
  port: number;
  user: string;
  identityFile: string | undefined;
}

/** Connects and authenticates one client; `track` lets the caller's deadline tear it down. */
function connect(session: SshSession, target: Endpoint, sock: Duplex | undefined, track: (c: ClientType) => void): Promise<{ client: ClientType; hostKey: string }> {
  const label = `${target.user}@${target.host}:${target.port}`;
  const auth = authMethods(session, target.user, target.identityFile);
  return new Promise((resolvePromise, reject) => {
    const client = new Client();
    track(client);
    let refusal: string | undefined;
    let hostKey = "";
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(new CmdbError(message, { where: label }));
    };
    client.on("ready", () => {
      settled = true;
      resolvePromise({ client, hostKey });
    });
    client.on("error", (error: Error & { level?: string; code?: string }) => {
      if (refusal) return fail(refusal);
      if (error.level === "client-authentication") {
        return fail(`authentication failed for ${target.user} (tried ${auth.map((a) => a.type).join(", ")})`);
      }
      const code = error.code ? `${error.code}: ` : "";
      fail(`cannot connect: ${code}${error.message}`);
    });
    client.on("close", () => fail(refusal ?? "the connection closed before it was ready"));
    const options: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      authHandler: auth,
      // The caller's per-host deadline covers the handshake; ssh2's own timer would race it.
      readyTimeout: 0,
      algorithms: { serverHostKey: hostKeyAlgorithms(session.known, target.host, target.port) as never },
      hostVerifier: (key: Buffer) => {
        refusal = verifyHostKey(session, target.host, target.port, key);
        hostKey = fingerprint(key);
        return refusal === undefined;
      },
      ...(sock ? { sock } : {}),
    };
    client.connect(options);
  });
}

function forwardOut(jump: ClientType, host: string, port: number): Promise<Duplex> {
  return new Promise((resolvePromise, reject) => {
    jump.forwardOut("127.0.0.1", 0, host, port, (error, stream) => {
      if (error) reject(new CmdbError(`the jump host could not open a channel to ${host}:${port}: ${error.message}`, { where: `${host}:${port}` }));
      else resolvePromise(stream);
    });
  });
}

function runScript(client: ClientType, where: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    client.exec("sh -s", (error, stream) => {
      if (error) return reject(new CmdbError(`the host refused to run a command: ${error.message}`, { where }));
      const chunks: Buffer[] = [];
      let size = 0;
      let stderr = "";
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_OUTPUT_BYTES) {
          stream.destroy();
          reject(new CmdbError(`the discovery script printed more than ${MAX_OUTPUT_BYTES} bytes`, { where }));
          return;
        }
        chunks.push(chunk);
      });
      stream.stderr.on("data", (chunk: Buffer) => {
        if (stderr.length < 4096) stderr += chunk.toString("utf8");
      });
      stream.on("close", (code: number | null) => {
        const output = Buffer.concat(chunks).toString("utf8");
        if (code !== 0 && !output.includes("@@cmdb:end")) {
          reject(new CmdbError(`the discovery script failed (exit ${code}): ${stderr.trim().split("\n")[0] ?? ""}`, { where }));
        } else {
          resolvePromise(output);
        }
      });
      stream.end(COLLECT_SCRIPT);
    });
  });
}

export interface HostOutput {
  output: string;
  user: string;
  port: number;
  hostKey: string;
}

/**
 * Connects (through the jump host when there is one), runs the discovery script once, and returns
 * its output. The deadline covers the whole: jump, handshake, authentication and the script.
 */
export async function fetchHost(session: SshSession, entry: SshHost, signal: AbortSignal | undefined): Promise<HostOutput> {
  const { config } = session;
  const user = entry.user ?? config.user ?? userInfo().username;
  const port = entry.port ?? 22;
  const timeoutMs = config.timeoutMs ?? 30_000;
  const clients: ClientType[] = [];
  const track = (c: ClientType) => clients.push(c);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CmdbError(`timed out after ${timeoutMs} ms`, { where: `${user}@${entry.host}:${port}` })), timeoutMs);
    onAbort = () => reject(signal?.reason ?? new Error("aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  const work = async (): Promise<HostOutput> => {
    let sock: Duplex | undefined;
    if (entry.jump) {
      const jumpEndpoint: Endpoint = {
        host: entry.jump.host,
        port: entry.jump.port ?? 22,
        user: entry.jump.user ?? config.user ?? userInfo().username,
        identityFile: "identityFile" in entry.jump ? entry.jump.identityFile : undefined,
      };
      const jump = await connect(session, jumpEndpoint, undefined, track);
      sock = await forwardOut(jump.client, entry.host, port);
    }
    const { client, hostKey } = await connect(session, { host: entry.host, port, user, identityFile: entry.identityFile }, sock, track);
    const output = await runScript(client, `${user}@${entry.host}:${port}`);
    return { output, user, port, hostKey };
  };
  try {
    signal?.throwIfAborted();
    const running = work();
    // When the deadline wins, the torn-down connection rejects `running` too; that outcome is already decided.
    running.catch(() => undefined);
    return await Promise.race([running, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    for (const client of clients.reverse()) client.destroy();
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; stops starting new ones once `signal` aborts. */
export async function mapLimit<T>(items: readonly T[], limit: number, signal: AbortSignal | undefined, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
