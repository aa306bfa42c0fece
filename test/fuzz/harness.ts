import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { loadInventoryRedacted, parseFacts, parsePlaybookDocument, readFactsInput, transformFactsFiles, transformInventory, transformPlaybook } from "../../src/sources/ansible/source.js";
import { transformSsh } from "../../src/sources/ssh/transform.js";
import { parseTerraformState } from "../../src/sources/terraform/parse.js";
import { transformTerraform } from "../../src/sources/terraform/transform.js";
import { CmdbError } from "../../src/util/errors.js";
import { REPO_ROOT, TEST_FIXTURES } from "../helpers/corpus.js";

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
}

const read = (dir: string, filter: (name: string) => boolean) =>
  readdirSync(dir)
    .filter(filter)
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));

export function targets(): Target[] {
  const tf = join(TEST_FIXTURES, "terraform");
  const ansible = join(TEST_FIXTURES, "ansible");
  return [
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
  ];
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

export interface FuzzOutcome {
  cases: number;
  ok: number;
  clearErrors: number;
  crashes: { target: string; input: string; mutation: string; seed: number; error: string }[];
}

/** Runs `cases` cases from `seed` (or until `deadline`), each case reproducible from its own seed. */
export async function fuzz(seed: number, cases: number, deadline = Number.POSITIVE_INFINITY): Promise<FuzzOutcome> {
  const all = targets();
  const dir = mkdtempSync(join(tmpdir(), "cmdb-fuzz-"));
  const outcome: FuzzOutcome = { cases: 0, ok: 0, clearErrors: 0, crashes: [] };
  try {
    for (let i = 0; i < cases && Date.now() < deadline; i++) {
      const caseSeed = (seed + i * 7919) >>> 0;
      const r = rng(caseSeed);
      const target = pick(r, all);
      const input = pick(r, target.inputs);
      const [mutation, mutate] = pick(r, MUTATIONS);
      const bytes = mutate(input.bytes, r);
      const file = join(dir, `${i}-${basename(target.fileName(input.name))}`);
      writeFileSync(file, bytes);
      // A case that kills the process (V8 aborts on some allocations) is named here before it runs.
      if (process.env.FUZZ_TRACE) appendFileSync(process.env.FUZZ_TRACE, `${caseSeed} ${target.name} ${input.name} ${mutation}\n`);
      outcome.cases++;
      try {
        await target.run(bytes, file);
        outcome.ok++;
      } catch (error) {
        if (error instanceof CmdbError && !error.describe().includes("\n")) outcome.clearErrors++;
        else outcome.crashes.push({ target: target.name, input: input.name, mutation, seed: caseSeed, error: error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error) });
      } finally {
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return outcome;
}
