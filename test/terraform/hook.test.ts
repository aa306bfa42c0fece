import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliJson } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { EXAMPLE_DIR, type Hcl, type HookCommand, hookCommands, MODULE_DIR, parseDir, parseTf, render, TERRAFORM_DIR, tfFilesUnder } from "../helpers/tf-module.js";

const STATE = join(REPO_ROOT, "examples/terraform/homelab-proxmox.tfstate");
const CLI = `"${process.execPath}" "${join(REPO_ROOT, "dist/cli.js")}"`;
const HOOK_ID = "5c78b9ff-aabf-1081-a245-47883b21377f";
const work = mkdtempSync(join(tmpdir(), "cmdb-hook-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface ListedCi {
  name: string;
  type: string;
  status: string;
  keys: string[];
}

/** The example state as Terraform writes it once the example's hook exists: the hooks depend on the guests they watch. */
function appliedState(): Record<string, unknown> {
  const doc = JSON.parse(readFileSync(STATE, "utf8"));
  const hook = (name: string, id: string, dependencies: string[], index?: number) => ({
    module: "module.cmdb",
    mode: "managed",
    type: "terraform_data",
    name,
    provider: 'provider["terraform.io/builtin/terraform"]',
    instances: [
      {
        ...(index === undefined ? {} : { index_key: index }),
        schema_version: 0,
        attributes: { id, input: null, output: null, triggers_replace: null },
        sensitive_attributes: [],
        dependencies,
      },
    ],
  });
  const watched = ["module.k3s.proxmox_vm_qemu.node", "proxmox_lxc.pihole"];
  doc.resources.push(hook("register", "fab10c30-0ad5-b4bd-8916-6922d9d48255", watched));
  doc.resources.push(hook("deregister", HOOK_ID, ["module.cmdb.terraform_data.register", ...watched], 0));
  return doc;
}

function run(hook: HookCommand, env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync("/bin/sh", ["-c", hook.command], {
    cwd: hook.workingDir,
    env: { ...process.env, CMDB_CONFIG: undefined, ...hook.environment, ...env } as NodeJS.ProcessEnv,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The example's module arguments, rendered with the example's variable defaults (triggers aside: no command uses them). */
function exampleArguments(overrides: Record<string, string>): Record<string, unknown> {
  const example = parseDir(EXAMPLE_DIR);
  const vars = Object.fromEntries(Object.entries(example.variable as Record<string, [Hcl]>).map(([n, [b]]) => [n, b.default ?? null]));
  const call = (example.module as Record<string, [Hcl]>).cmdb![0];
  const args: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(call)) {
    if (name === "source" || name === "triggers") continue;
    args[name] = render(value, { var: { ...vars, ...overrides } });
  }
  return args;
}

describe("the terraform/ directory", () => {
  it("every .tf file parses with hcl2-parser", () => {
    const files = tfFilesUnder(TERRAFORM_DIR);
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) expect(() => parseTf(file), file).not.toThrow();
  });

  it("the module declares its inputs and outputs, the database URL sensitive and without a default value", () => {
    const module = parseDir(MODULE_DIR);
    const variables = module.variable as Record<string, [Hcl]>;
    expect(Object.keys(variables).sort()).toEqual(
      ["command", "database_url", "deregister_on_destroy", "proxmox_cluster", "state_command", "state_path", "triggers", "working_dir", "workspace"].sort(),
    );
    expect(variables.database_url![0]).toMatchObject({ sensitive: true, default: null });
    expect(variables.command![0].default).toBe("cmdb");
    expect(variables.state_command![0].default).toBe("terraform state pull");
    for (const [name, [body]] of Object.entries(variables)) expect(body.description, name).toBeTruthy();
    expect(Object.keys(module.output as Hcl).sort()).toEqual(["command", "deregister_id", "id", "workspace"]);
    expect(((module.terraform as Hcl[])[0]!.required_version as string)).toBe(">= 1.4");
  });

  it("the database URL reaches only the environment, never a command, an input or the state", () => {
    const main = readFileSync(join(MODULE_DIR, "main.tf"), "utf8");
    const uses = main.split("\n").filter((l) => l.includes("var.database_url"));
    expect(uses).toHaveLength(1);
    expect(uses[0]).toMatch(/^\s*secret_environment = .*\{ CMDB_DATABASE_URL = var\.database_url \}$/);
    const module = parseDir(MODULE_DIR);
    const resources = JSON.stringify(module.resource);
    expect(resources).not.toMatch(/database_url/);
    expect(resources.match(/local\.secret_environment/g)).toHaveLength(1);
    expect(resources).toMatch(/"environment":"\$\{merge\(local\.secret_environment/);
  });

  it("the destroy-time provisioner refers only to self", () => {
    const module = parseDir(MODULE_DIR);
    const deregister = (module.resource as Record<string, Record<string, [Hcl]>>).terraform_data!.deregister![0];
    const destroy = ((deregister.provisioner as Hcl)["local-exec"] as Hcl[])[0]!;
    expect(destroy.when).toBe(["$", "{destroy}"].join(""));
    const references = JSON.stringify(destroy).match(/\b(var|local|module|terraform_data|path|terraform)\.[a-z_]+/g);
    expect(references).toBeNull();
  });

  it("the example calls the module with arguments the module declares", () => {
    const example = parseDir(EXAMPLE_DIR);
    const call = (example.module as Record<string, [Hcl]>).cmdb![0];
    expect(call.source).toBe("../../modules/cmdb-register");
    const declared = Object.keys(parseDir(MODULE_DIR).variable as Hcl);
    for (const name of Object.keys(call).filter((n) => n !== "source")) expect(declared, name).toContain(name);
    expect(Object.keys(example.resource as Hcl)).toEqual(["proxmox_virtual_environment_vm"]);
  });
});

describe("the commands the module runs, executed by a shell against the example state", () => {
  it("after apply the guests are in the CMDB; the destroy leaves out what the hook watches, so they are missing", async () => {
    const db = join(work, "store one");
    // A state command and a workspace name that a careless quoting would break or execute.
    const dir = join(work, `it's a "dir" $HOME`);
    mkdirSync(dir, { recursive: true });
    const statePath = join(dir, "applied.tfstate");
    writeFileSync(statePath, JSON.stringify(appliedState()));
    const workspace = `homelab "prod" it's $(touch pwned) \`touch pwned\``;
    const { apply, destroy, settings } = hookCommands(
      { ...exampleArguments({ cmdb_command: CLI, cmdb_workspace: workspace }), state_command: 'cat "$HOOK_STATE"' },
      { root: dir, hookId: HOOK_ID },
    );
    expect(settings).toMatchObject({ workspace, proxmox_cluster: "homelab", state: "-", working_dir: dir });
    expect(apply.command).toBe(`cat "$HOOK_STATE" | ${CLI} ingest terraform "$CMDB_TF_STATE" --workspace "$CMDB_TF_WORKSPACE" --proxmox-cluster "$CMDB_TF_PROXMOX_CLUSTER"`);
    expect(apply.environment).toEqual({ CMDB_TF_STATE: "-", CMDB_TF_WORKSPACE: workspace, CMDB_TF_PROXMOX_CLUSTER: "homelab" });
    expect(destroy.environment).toEqual({ ...apply.environment, CMDB_TF_HOOK: HOOK_ID });
    expect(destroy.command).toBe(`${apply.command} --destroying "$CMDB_TF_HOOK"`);

    const applied = run(apply, { CMDB_DATABASE_URL: db, HOOK_STATE: statePath });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(`/${workspace}: `);
    expect(existsSync(join(dir, "pwned"))).toBe(false);

    {
      const listed = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--json"]);
      const status = (name: string) => listed.find((c) => c.name === name)?.status;
      for (const guest of ["k3s-server", "k3s-agent-1", "k3s-agent-2", "pihole"]) expect(status(guest), guest).toBe("active");
      expect(listed.find((c) => c.name === "k3s-server")!.keys).toContain("proxmox.vm:homelab/201");
      expect(listed.find((c) => c.type === "terraform_workspace")!.name).toBe(workspace);

      const destroyed = run(destroy, { CMDB_DATABASE_URL: db, HOOK_STATE: statePath });
      expect(destroyed.code, destroyed.stderr).toBe(0);
      // The four guests and the two hooks.
      expect(destroyed.stdout).toMatch(/: 2 seen, 0 new, 1 changed, 6 gone/);
      expect(destroyed.stdout).toContain(`destroying hook ${HOOK_ID}: it and the 5 resource instance(s) it depends on are left out`);
      const after = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--json"]);
      const now = (name: string) => after.find((c) => c.name === name)?.status;
      for (const guest of ["k3s-server", "k3s-agent-1", "k3s-agent-2", "pihole"]) expect(now(guest), guest).toBe("missing");
      // Not watched by the hook: still there.
      expect(now("k3s_bootstrap")).toBe("active");
      expect(existsSync(join(dir, "pwned"))).toBe(false);
    }
  });

  it("a destroy with the state already emptied marks everything gone; state_path and working_dir take spaces and quotes", async () => {
    const db = join(work, "store two");
    const dir = join(work, `work "dir" with 'quotes'`);
    mkdirSync(dir, { recursive: true });
    const statePath = join(dir, `state 'v1' "x".tfstate`);
    copyFileSync(STATE, statePath);
    const { apply, destroy } = hookCommands(
      { command: CLI, state_path: statePath, working_dir: dir, workspace: "homelab" },
      { root: "/nonexistent", hookId: HOOK_ID },
    );
    expect(apply.command).toBe(`${CLI} ingest terraform "$CMDB_TF_STATE" --workspace "$CMDB_TF_WORKSPACE" --proxmox-cluster "$CMDB_TF_PROXMOX_CLUSTER"`);
    expect(apply.workingDir).toBe(dir);
    const applied = run(apply, { CMDB_DATABASE_URL: db });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/6 new|7 new/);

    const emptied = JSON.parse(readFileSync(STATE, "utf8"));
    emptied.serial += 2;
    emptied.resources = [];
    writeFileSync(statePath, JSON.stringify(emptied));
    const destroyed = run(destroy, { CMDB_DATABASE_URL: db });
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(destroyed.stdout).toContain(`the hook ${HOOK_ID} is not in the state: ingested as it is`);
    const after = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--json"]);
    const guests = after.filter((c) => c.type !== "terraform_workspace");
    expect(guests.length).toBeGreaterThanOrEqual(5);
    for (const ci of guests) expect(ci.status, ci.name).toBe("missing");
  });
});

const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" });
const haveTerraform = terraform.status === 0;
if (!haveTerraform) console.warn("terraform is not on PATH: the real apply/destroy of the module is skipped");

function terraformRun(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("terraform", args, { cwd, env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", ...env } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe.skipIf(!haveTerraform)("the module under a real `terraform apply` and `terraform destroy`", () => {
  it("every file is formatted as `terraform fmt` writes it", async () => {
    const fmt = await terraformRun(["fmt", "-check", "-recursive", "-no-color", TERRAFORM_DIR], REPO_ROOT, {});
    expect(fmt.code, fmt.out).toBe(0);
  });

  it("apply ingests the watched resources, a changed one re-runs it, destroy marks them missing", async () => {
    const root = join(work, `real "root" it's`);
    mkdirSync(root, { recursive: true });
    const db = join(work, "store real");
    const config = (names: string[]) => `
resource "terraform_data" "vm" {
  for_each = toset(${JSON.stringify(names)})
  input    = { name = each.key }
}

module "cmdb" {
  source    = ${JSON.stringify(MODULE_DIR)}
  command   = ${JSON.stringify(CLI)}
  workspace = "lab \\"one\\" it's"
  triggers  = { for k, v in terraform_data.vm : k => v.id }
}
`;
    writeFileSync(join(root, "main.tf"), config(["web", "db"]));
    const env = { CMDB_DATABASE_URL: db };
    const init = await terraformRun(["init", "-input=false", "-no-color"], root, env);
    expect(init.code, init.out).toBe(0);
    const apply = await terraformRun(["apply", "-auto-approve", "-input=false", "-no-color"], root, env);
    expect(apply.code, apply.out).toBe(0);
    expect(apply.out).toMatch(/lab "one" it's: 3 seen, 3 new/);
    const listed = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--json"]);
    expect(listed.filter((c) => c.status === "active").map((c) => c.name).sort()).toEqual(['lab "one" it\'s', 'vm["db"]', 'vm["web"]']);

    writeFileSync(join(root, "main.tf"), config(["web", "db", "cache"]));
    const again = await terraformRun(["apply", "-auto-approve", "-input=false", "-no-color"], root, env);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/lab "one" it's: \d+ seen, 2 new/);
    const grown = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--json"]);
    expect(grown.find((c) => c.name === 'vm["cache"]')?.status).toBe("active");

    const destroy = await terraformRun(["destroy", "-auto-approve", "-input=false", "-no-color"], root, env);
    expect(destroy.code, destroy.out).toBe(0);
    const after = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--json"]);
    for (const name of ['vm["db"]', 'vm["web"]', 'vm["cache"]']) expect(after.find((c) => c.name === name)?.status, name).toBe("missing");
  });

  it("database_url reaches the command only through its environment, and Terraform shows it nowhere", async () => {
    const root = join(work, "real with url");
    mkdirSync(root, { recursive: true });
    const db = join(work, "store-secret-9f3c1a");
    writeFileSync(
      join(root, "main.tf"),
      `
variable "db" {
  type      = string
  sensitive = true
}

resource "terraform_data" "vm" {
  input = "x"
}

module "cmdb" {
  source       = ${JSON.stringify(MODULE_DIR)}
  command      = ${JSON.stringify(CLI)}
  database_url = var.db
  triggers     = { vm = terraform_data.vm.id }
}
`,
    );
    const env = { TF_VAR_db: db };
    expect((await terraformRun(["init", "-input=false", "-no-color"], root, env)).code).toBe(0);
    const apply = await terraformRun(["apply", "-auto-approve", "-input=false", "-no-color"], root, env);
    expect(apply.code, apply.out).toBe(0);
    expect(apply.out).toContain("(output suppressed due to sensitive value in config)");
    expect(apply.out).not.toContain("store-secret-9f3c1a");
    const listed = await cliJson<ListedCi[]>(["--db", db, "ci", "list", "--json"]);
    expect(listed.map((c) => c.name)).toContain("vm");
    expect(readFileSync(join(root, "terraform.tfstate"), "utf8")).not.toContain("store-secret-9f3c1a");
  });
});
