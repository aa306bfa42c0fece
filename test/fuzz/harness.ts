import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { loadInventoryRedacted, parseFacts, parsePlaybookDocument, readFactsInput, transformFactsFiles, transformInventory, transformPlaybook } from "../../src/sources/ansible/source.js";
import { transformSsh } from "../../src/sources/ssh/transform.js";
import { parseTerraformState } from "../../src/sources/terraform/parse.js";
import { transformTerraform } from "../../src/sources/terraform/transform.js";
import { readVault } from "../../src/sources/bitwarden/get.js";
import { checkConfig } from "../../src/sources/bitwarden/source.js";
import { toBatch as bitwardenBatch } from "../../src/sources/bitwarden/transform.js";
import {
  agentInterfacesSchema,
  clusterStatusSchema,
  guestConfigSchema,
  guestListSchema,
  nodeListSchema,
  parseAnswer,
  storageListSchema,
  vmResourcesSchema,
} from "../../src/sources/proxmox/schema.js";
import { type ProxmoxSnapshot, toBatches as proxmoxBatches } from "../../src/sources/proxmox/transform.js";
import { CmdbError } from "../../src/util/errors.js";
import { emptyAnswer, isolateAwsEnv, xml } from "../aws/ec2-replay.js";
import { corpusDir, REPO_ROOT, TEST_FIXTURES } from "../helpers/corpus.js";
import { type ReplayServer, startReplayServer } from "../helpers/replay-server.js";

/**
 * A seeded fuzzer over every parser that reads outside input: real inputs from the fixtures,
 * mutated (truncation, byte flips, deep nesting, huge strings and numbers, NUL and lone
 * surrogates, wrong types, duplicate keys, invalid UTF-8, BOMs). The property: each case either
 * succeeds or fails with one CmdbError of one line; any other throw (TypeError, RangeError: a
 * stack overflow) is a crash.
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Parser = (bytes: Buffer, file: string) => Promise<unknown>;

interface Target {
  name: string;
  inputs: { name: string; bytes: Buffer }[];
  /** The file name the mutated input is written to (some parsers pick the format by extension). */
  fileName: (input: string) => string;
  run: Parser;
  /** Ends what the target started (a replay server). */
  close?: () => Promise<void>;
}

const read = (dir: string, filter: (name: string) => boolean) =>
  readdirSync(dir)
    .filter(filter)
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));

/** The endpoint a recorded Proxmox answer comes from, by its file name; undefined for answers the source never asks for. */
export function proxmoxEndpoint(name: string): keyof typeof PVE_SCHEMAS | undefined {
  if (/agent/.test(name)) return "agent";
  if (/config/.test(name) && !/^storage-config/.test(name)) return "config";
  if (/^cluster-status/.test(name)) return "clusterStatus";
  if (/^cluster-resources/.test(name)) return "vmResources";
  if (/storage/.test(name) && !/^storage-config/.test(name)) return "storages";
  if (/^nodes/.test(name)) return "nodeList";
  if (/qemu|lxc/.test(name) && !/status|interfaces|config/.test(name)) return "guests";
  return undefined;
}

const PVE_SCHEMAS = {
  clusterStatus: clusterStatusSchema,
  nodeList: nodeListSchema,
  vmResources: vmResourcesSchema,
  guests: guestListSchema,
  storages: storageListSchema,
  config: guestConfigSchema,
  agent: agentInterfacesSchema,
};

/**
 * One Proxmox answer as the collector reads it after the HTTP layer: the body as the client parses
 * it, its `data`
 * through the source's zod schema, and into a one-node snapshot that the transform turns into batches.
 */
async function proxmoxAnswer(bytes: Buffer, endpoint: keyof typeof PVE_SCHEMAS): Promise<unknown> {
  // As proxmox-api reads a JSON answer: Response.json() (UTF-8, a BOM dropped); a body that is not JSON becomes `{ data: null }`.
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    body = { data: null };
  }
  const data = body !== null && typeof body === "object" ? (body as { data?: unknown }).data : undefined;
  const where = `fuzz GET ${endpoint}`;
  const snapshot: ProxmoxSnapshot = {
    endpoint: "pve.fuzz:8006",
    clusterStatus: [{ type: "cluster", name: "fuzz", nodes: 1, quorate: true }, { type: "node", name: "pve1", online: true, local: true, nodeid: 1 }],
    nodeList: [{ node: "pve1", status: "online" }],
    haStates: new Map(),
    nodes: [{ node: "pve1", online: true, guests: [{ kind: "qemu", entry: { vmid: 100, name: "vm", status: "running" }, config: { name: "vm", net0: "virtio=BC:24:11:00:00:01,bridge=vmbr0" } }], failures: [], warnings: [] }],
    clusterFailures: [],
  };
  const node = snapshot.nodes[0]!;
  const guest = node.guests[0]!;
  if (endpoint === "clusterStatus") snapshot.clusterStatus = parseAnswer(clusterStatusSchema, data, where);
  else if (endpoint === "nodeList") snapshot.nodeList = parseAnswer(nodeListSchema, data, where);
  else if (endpoint === "vmResources") snapshot.haStates = new Map(parseAnswer(vmResourcesSchema, data, where).filter((r) => r.vmid !== undefined && r.hastate).map((r) => [r.vmid!, r.hastate!]));
  else if (endpoint === "guests") node.guests = parseAnswer(guestListSchema, data, where).map((entry, i) => ({ kind: i % 2 ? "lxc" : "qemu", entry, config: { hostname: `g${i}` } }));
  else if (endpoint === "storages") node.storages = parseAnswer(storageListSchema, data, where);
  else if (endpoint === "config") guest.config = parseAnswer(guestConfigSchema, data, where);
  else {
    const answer = parseAnswer(agentInterfacesSchema, data, where);
    if (Array.isArray(answer.result)) guest.agent = answer.result;
  }
  return proxmoxBatches(snapshot);
}

const EC2_ACTIONS: Record<string, string> = {
  "describe-instances": "DescribeInstances",
  "describe-vpcs": "DescribeVpcs",
  "describe-subnets": "DescribeSubnets",
  "describe-security-groups": "DescribeSecurityGroups",
  "describe-volumes": "DescribeVolumes",
  "describe-network-interfaces": "DescribeNetworkInterfaces",
};

/** The EC2 Action a recorded answer is of, by its file name. */
export function ec2Action(name: string): string | undefined {
  return Object.entries(EC2_ACTIONS).find(([prefix]) => basename(name).replace(/^(\d+-)?([a-z]+-[a-z]+-\d-)?/, "").startsWith(prefix))?.[1];
}

/**
 * EC2 answers through the real SDK: a local replay server answers the Action of the mutated
 * recording with its bytes (the first page; a NextToken it names gets an empty page) and every
 * other Action with an empty list, and collectEc2 reads one region from it. A failed call is
 * recorded by the collector as one error; a message of more than one line is a crash here.
 */
function ec2Target(inputs: { name: string; bytes: Buffer }[]): Target {
  let server: Promise<ReplayServer> | undefined;
  let restore: (() => void) | undefined;
  let answer: { action: string; body: string } | undefined;
  return {
    name: "ec2 answer",
    inputs,
    fileName: (n) => basename(n),
    run: async (bytes, file) => {
      server ??= startReplayServer({
        routes: [
          {
            name: "ec2",
            match: () => true,
            reply: (request) => {
              const action = request.form.get("Action") ?? "";
              return answer && action === answer.action && !request.form.get("NextToken") ? xml(answer.body) : emptyAnswer(action);
            },
          },
        ],
      });
      const { url } = await server;
      restore ??= isolateAwsEnv(url);
      answer = { action: ec2Action(file)!, body: bytes.toString("utf8") };
      const { collectEc2 } = await import("../../src/sources/aws/source.js");
      const result = await collectEc2({ regions: ["us-east-1"], endpoint: url, concurrency: 6 });
      const multiLine = result.errors.find((e) => e.message.includes("\n"));
      if (multiLine) throw new Error(`a collect error of more than one line: ${multiLine.where}: ${multiLine.message}`);
      return result;
    },
    close: async () => {
      restore?.();
      if (server) await (await server).close();
    },
  };
}

/** Recorded answers of `kind` from the shared corpus and `local` (test/fixtures), or none with the corpus's printed note. */
function recorded(kind: string, local: string[], filter: (name: string) => boolean): { name: string; bytes: Buffer }[] {
  const shared = corpusDir(kind);
  return [...(shared ? read(shared, filter) : []), ...local.flatMap((dir) => read(join(TEST_FIXTURES, dir), filter).map((i) => ({ ...i, name: `${dir}/${i.name}` })))];
}

export function targets(): Target[] {
  const tf = join(TEST_FIXTURES, "terraform");
  const ansible = join(TEST_FIXTURES, "ansible");
  const pveInputs = recorded("proxmox", ["proxmox/lab", "proxmox/testcluster"], (n) => n.endsWith(".json") && n !== "routes.json" && proxmoxEndpoint(n) !== undefined);
  const bwFilter = (n: string) => n.endsWith(".json");
  const bwInputs = recorded("bitwarden", ["bitwarden"], bwFilter);
  const ec2Inputs = recorded("ec2", ["ec2/recorded", "ec2/lab"], (n) => n.endsWith(".xml") && ec2Action(n) !== undefined);
  const all: Target[] = [
    {
      name: "terraform state",
      inputs: read(tf, (n) => /\.(tfstate|json)$/.test(n)),
      fileName: (n) => n,
      run: async (bytes, file) => transformTerraform(parseTerraformState(bytes.toString("utf8"), file)),
    },
    {
      name: "ansible facts",
      inputs: [
        { name: "setup-localhost.json", bytes: readFileSync(join(TEST_FIXTURES, "ansible-facts", "setup-localhost.json")) },
        ...read(join(REPO_ROOT, "examples/ansible/facts"), () => true),
      ],
      fileName: (n) => n,
      run: async (_bytes, file) => {
        const input = await readFactsInput(file);
        return transformFactsFiles(
          input.files.map((f) => ({ where: f.where, facts: parseFacts(f.document, f.where) })),
          "ansible-facts:fuzz",
        );
      },
    },
    {
      name: "ansible inventory",
      inputs: read(ansible, (n) => /\.(ini|yml)$/.test(n) && !n.startsWith("broken")),
      fileName: (n) => n,
      run: async (_bytes, file) => transformInventory(await loadInventoryRedacted([file]), "ansible:fuzz"),
    },
    {
      name: "ssh script output",
      inputs: read(join(TEST_FIXTURES, "ssh"), (n) => n.endsWith(".out")),
      fileName: (n) => n,
      run: async (bytes) => transformSsh(bytes.toString("utf8"), { ref: "fuzz", host: "10.0.0.1", port: 22, user: "root" }),
    },
    {
      name: "ansible playbook report",
      inputs: [{ name: "report-localhost.json", bytes: readFileSync(join(TEST_FIXTURES, "ansible-playbook", "report-localhost.json")) }],
      fileName: (n) => n,
      run: async (bytes, file) => transformPlaybook(parsePlaybookDocument(bytes.toString("utf8"), file), file),
    },
    {
      name: "cmdb.config.yaml",
      inputs: [{ name: "cmdb.config.yaml", bytes: readFileSync(join(REPO_ROOT, "examples/cmdb.config.yaml")) }],
      fileName: (n) => n,
      run: async (_bytes, file) => loadConfig(file, {}),
    },
    {
      name: "proxmox answer",
      inputs: pveInputs,
      fileName: (n) => basename(n),
      run: async (bytes, file) => proxmoxAnswer(bytes, proxmoxEndpoint(basename(file).replace(/^\d+-/, ""))!),
    },
    {
      name: "bitwarden export",
      inputs: bwInputs.filter((i) => /export/.test(i.name)),
      fileName: (n) => basename(n),
      run: async (_bytes, file) => bitwardenBatch(await readVault(checkConfig({ fromExport: file }))),
    },
    {
      // What readCli does with `bw list items`: JSON, an array, then the transform.
      name: "bw list items",
      inputs: bwInputs.filter((i) => /items|bw-get-item/.test(i.name)),
      fileName: (n) => basename(n),
      run: async (bytes, file) => {
        let items: unknown;
        try {
          items = JSON.parse(bytes.toString("utf8"));
        } catch {
          throw new CmdbError("`bw list items` did not answer JSON", { where: file });
        }
        if (!Array.isArray(items)) throw new CmdbError("`bw list items` did not answer a JSON array", { where: file });
        return bitwardenBatch({ via: "cli", account: "vault.fuzz/ops@fuzz", filter: {}, items, folders: [], collections: [], organizations: [] });
      },
    },
    ec2Target(ec2Inputs),
  ];
  return all.filter((t) => t.inputs.length > 0);
}

const MUTATIONS: [string, (b: Buffer, r: () => number) => Buffer][] = [
  ["truncate", (b, r) => b.subarray(0, Math.floor(r() * b.length))],
  [
    "byte flips",
    (b, r) => {
      const c = Buffer.from(b);
      for (let i = 0; i < 1 + Math.floor(r() * 8); i++) c[Math.floor(r() * c.length)] = Math.floor(r() * 256);
      return c;
    },
  ],
  ["deep nesting", (b, r) => splice(b, r, `${"[".repeat(20_000)}1${"]".repeat(20_000)}`)],
  ["deep nesting, unclosed", (b, r) => splice(b, r, "[{".repeat(50_000))],
  ["huge string", (b, r) => splice(b, r, `"${"A".repeat(2_000_000)}"`)],
  ["huge numbers", (b, r) => replaceValue(b, r, pick(r, ["1e999", "-1e999", "123456789012345678901234567890123", "0.0000000000000000000000001e-400", "NaN"]))],
  ["NUL and lone surrogates", (b, r) => replaceValue(b, r, pick(r, ['"a\\u0000b"', '"\\ud800"', '"\\udfff\\ud800"', '"x\u0000y"']))],
  ["wrong types", (b, r) => replaceValue(b, r, pick(r, ["{}", "[]", "null", "true", "0", '"text"', "[[[]]]", '{"a":{}}']))],
  [
    "duplicate keys",
    (b, r) => {
      const text = b.toString("utf8");
      const keys = [...text.matchAll(/"[\w-]+"\s*:\s*/g)];
      if (keys.length === 0) return b;
      const k = keys[Math.floor(r() * keys.length)]!;
      return Buffer.from(`${text.slice(0, k.index)}${k[0]}null, ${text.slice(k.index)}`);
    },
  ],
  ["invalid UTF-8", (b, r) => splice(b, r, Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]))],
  ["BOM", (b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b])],
  ["empty", () => Buffer.alloc(0)],
];

function pick<T>(r: () => number, list: T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

function splice(b: Buffer, r: () => number, insert: string | Buffer): Buffer {
  const at = Math.floor(r() * b.length);
  return Buffer.concat([b.subarray(0, at), typeof insert === "string" ? Buffer.from(insert) : insert, b.subarray(at)]);
}

/** Replaces one JSON-ish scalar (a quoted string or a number after a `:`) with `value`. */
function replaceValue(b: Buffer, r: () => number, value: string): Buffer {
  const text = b.toString("utf8");
  const spots = [...text.matchAll(/:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)/g)];
  if (spots.length === 0) return splice(b, r, value);
  const s = spots[Math.floor(r() * spots.length)]!;
  const start = s.index! + s[0].length - s[1]!.length;
  return Buffer.from(text.slice(0, start) + value + text.slice(start + s[1]!.length));
}

/** The case of one seed: which parser, which input, which mutation, and the mutated bytes. */
export function caseOf(caseSeed: number, all: Target[] = targets()): { target: Target; input: { name: string; bytes: Buffer }; mutation: string; bytes: Buffer } {
  const r = rng(caseSeed);
  const target = pick(r, all);
  const input = pick(r, target.inputs);
  const [mutation, mutate] = pick(r, MUTATIONS);
  return { target, input, mutation, bytes: mutate(input.bytes, r) };
}

/** One seeded mutation of `bytes` (for properties that pick their own inputs). */
export function mutateSeeded(bytes: Buffer, caseSeed: number): { mutation: string; bytes: Buffer } {
  const r = rng(caseSeed);
  const [mutation, mutate] = pick(r, MUTATIONS);
  return { mutation, bytes: mutate(bytes, r) };
}

export interface FuzzCase {
  target: string;
  input: string;
  mutation: string;
  seed: number;
}

export interface FuzzOutcome {
  cases: number;
  ok: number;
  clearErrors: number;
  crashes: (FuzzCase & { error: string })[];
  /** Cases that took longer than the per-case bound (measured: a case is synchronous code, so it is judged when it ends). */
  hangs: (FuzzCase & { ms: number })[];
  /** The slowest cases, slowest first. */
  slowest: (FuzzCase & { ms: number })[];
}

/** The per-case bound: FUZZ_CASE_MS, 10 s by default (a linear parser takes well under a second on the largest mutated input). */
export const CASE_BOUND_MS = Number(process.env.FUZZ_CASE_MS ?? 10_000);

/** Runs `cases` cases from `seed` (or until `deadline`), each case reproducible from its own seed. */
export async function fuzz(seed: number, cases: number, deadline = Number.POSITIVE_INFINITY): Promise<FuzzOutcome> {
  const all = targets();
  const dir = mkdtempSync(join(tmpdir(), "cmdb-fuzz-"));
  const outcome: FuzzOutcome = { cases: 0, ok: 0, clearErrors: 0, crashes: [], hangs: [], slowest: [] };
  try {
    for (let i = 0; i < cases && Date.now() < deadline; i++) {
      const caseSeed = (seed + i * 7919) >>> 0;
      const { target, input, mutation, bytes } = caseOf(caseSeed, all);
      const file = join(dir, `${i}-${basename(target.fileName(input.name))}`);
      writeFileSync(file, bytes);
      // A case that kills the process (V8 aborts on some allocations) is named here before it runs.
      if (process.env.FUZZ_TRACE) appendFileSync(process.env.FUZZ_TRACE, `${caseSeed} ${target.name} ${input.name} ${mutation}\n`);
      outcome.cases++;
      const which: FuzzCase = { target: target.name, input: input.name, mutation, seed: caseSeed };
      const started = performance.now();
      try {
        await target.run(bytes, file);
        outcome.ok++;
      } catch (error) {
        if (error instanceof CmdbError && !error.describe().includes("\n")) outcome.clearErrors++;
        else outcome.crashes.push({ ...which, error: error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error) });
      } finally {
        rmSync(file, { force: true });
        const ms = Math.round(performance.now() - started);
        if (ms > CASE_BOUND_MS) outcome.hangs.push({ ...which, ms });
        if (outcome.slowest.length < 5 || ms > outcome.slowest[4]!.ms) {
          outcome.slowest.push({ ...which, ms });
          outcome.slowest.sort((a, b) => b.ms - a.ms).splice(5);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const target of all) await target.close?.();
  }
  return outcome;
}
