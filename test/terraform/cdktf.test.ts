import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as nullProvider from "@cdktf/provider-null";
import { App, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { CmdbRegistration, DESTROY_COMMAND, INGEST_COMMAND } from "../../src/cdktf/index.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { hookCommands, render } from "../helpers/tf-module.js";

/** A Terraform expression inside a string, as the synthesized JSON holds it. */
const tf = (expr: string) => `\${${expr}}`;

interface NullResource {
  provider?: string;
  triggers: Record<string, string>;
  lifecycle?: { ignore_changes: string[] };
  provisioner: { "local-exec": { command: string; environment: Record<string, string>; working_dir: string; when?: string } }[];
}

function synthesized(json: string): { provider: Record<string, unknown[]>; resources: Record<string, NullResource>; doc: Record<string, unknown> } {
  const doc = JSON.parse(json) as { provider: Record<string, unknown[]>; resource: { null_resource: Record<string, NullResource> } };
  return { provider: doc.provider, resources: doc.resource.null_resource, doc };
}

const byPrefix = (resources: Record<string, NullResource>, prefix: string) => {
  const names = Object.keys(resources).filter((n) => n.startsWith(prefix));
  expect(names, prefix).toHaveLength(1);
  return resources[names[0]!]!;
};

describe("the CmdbRegistration construct", () => {
  it("synthesizes the module's two hooks as null_resources with the same commands, environment and triggers", () => {
    const json = Testing.synthScope((scope) => {
      const web = new nullProvider.resource.Resource(scope, "web", {});
      new CmdbRegistration(scope, "cmdb", { triggers: { web: web.id }, command: "npx --no-install cmdb", workspace: "homelab prod", proxmoxCluster: "homelab" });
    });
    const { resources, provider } = synthesized(json);
    expect(Object.keys(provider)).toEqual(["null"]);
    const register = byPrefix(resources, "cmdb_register_");
    const deregister = byPrefix(resources, "cmdb_deregister_");
    const settings = { pipeline: "terraform state pull | npx --no-install cmdb", state: "-", workspace: "homelab prod", working_dir: tf("path.root"), proxmox_cluster: "homelab" };
    expect(register.triggers).toEqual({ ...settings, "watch.web": expect.stringMatching(/^\$\{null_resource\.web\.id\}$/) });
    expect(deregister.triggers).toEqual({
      ...settings,
      watched: expect.stringContaining("null_resource.web.id"),
      register: expect.stringMatching(/^\$\{null_resource\.cmdb_register_[0-9A-F]+\.id\}$/),
    });
    expect(deregister.lifecycle).toEqual({ ignore_changes: ['triggers["watched"]', 'triggers["register"]'] });

    const [apply] = register.provisioner.map((p) => p["local-exec"]);
    const [destroy] = deregister.provisioner.map((p) => p["local-exec"]);
    expect(apply).toEqual({
      command: INGEST_COMMAND,
      working_dir: tf("self.triggers.working_dir"),
      environment: { CMDB_TF_STATE: tf("self.triggers.state"), CMDB_TF_WORKSPACE: tf("self.triggers.workspace"), CMDB_TF_PROXMOX_CLUSTER: tf("self.triggers.proxmox_cluster") },
    });
    expect(destroy).toEqual({
      command: DESTROY_COMMAND,
      when: "destroy",
      working_dir: tf("self.triggers.working_dir"),
      environment: { ...apply!.environment, CMDB_TF_HOOK: tf("self.id") },
    });

    // Rendered the way Terraform renders them, the construct's commands are the HCL module's.
    const root = "/srv/infra/cdktf.out/stacks/homelab";
    const module = hookCommands(
      { command: "npx --no-install cmdb", workspace: "homelab prod", proxmox_cluster: "homelab" },
      { root, hookId: "42" },
    );
    // Only the settings are rendered: the watched values are references Terraform resolves.
    const scope = (triggers: Record<string, string>) => {
      const own = Object.fromEntries(Object.entries(triggers).filter(([name]) => name in settings));
      return { self: { id: "42", triggers: render(own, { terraform: { workspace: "default" }, path: { root } }) } };
    };
    expect(render(apply!.command, scope(register.triggers))).toBe(module.apply.command);
    expect(render(apply!.environment, scope(register.triggers))).toEqual(module.apply.environment);
    expect(render(apply!.working_dir, scope(register.triggers))).toBe(module.apply.workingDir);
    expect(render(destroy!.command, scope(deregister.triggers))).toBe(module.destroy.command);
    expect(render(destroy!.environment, scope(deregister.triggers))).toEqual(module.destroy.environment);
  });

  it("defaults like the module: terraform.workspace, path.root, `terraform state pull | cmdb`; state_path reads the state itself", () => {
    const { resources } = synthesized(Testing.synthScope((scope) => void new CmdbRegistration(scope, "cmdb")));
    expect(byPrefix(resources, "cmdb_register_").triggers).toEqual({
      pipeline: "terraform state pull | cmdb",
      state: "-",
      workspace: tf("terraform.workspace"),
      working_dir: tf("path.root"),
      proxmox_cluster: "",
    });
    const withPath = synthesized(Testing.synthScope((scope) => void new CmdbRegistration(scope, "cmdb", { statePath: "s3://tf/prod.tfstate", deregisterOnDestroy: false })));
    expect(Object.keys(withPath.resources)).toHaveLength(1);
    expect(byPrefix(withPath.resources, "cmdb_register_").triggers).toMatchObject({ pipeline: "cmdb", state: "s3://tf/prod.tfstate" });
  });

  it("a literal `${` in a name stays literal; the database URL must be a token and reaches only the environment", () => {
    const { resources, doc } = synthesized(
      Testing.synthScope((scope) => {
        const url = new TerraformVariable(scope, "cmdb_database_url", { type: "string", sensitive: true });
        new CmdbRegistration(scope, "cmdb", { workspace: `lab ${tf("x")} %{y}`, databaseUrl: url.stringValue });
      }),
    );
    const register = byPrefix(resources, "cmdb_register_");
    expect(register.triggers.workspace).toBe("lab $${x} %%{y}");
    expect(register.provisioner[0]!["local-exec"].environment.CMDB_DATABASE_URL).toBe(tf("var.cmdb_database_url"));
    expect(JSON.stringify(register.triggers)).not.toContain("cmdb_database_url");
    expect(JSON.stringify(byPrefix(resources, "cmdb_deregister_"))).not.toContain("CMDB_DATABASE_URL");
    expect(doc.variable).toEqual({ cmdb_database_url: { sensitive: true, type: "string" } });

    expect(() => Testing.synthScope((scope) => void new CmdbRegistration(scope, "cmdb", { databaseUrl: "postgres://cmdb:hunter2@db/cmdb" }))).toThrow(
      /databaseUrl must be a token/,
    );
  });

  it("two registrations in a stack share one null provider, the app's own when it has one", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "homelab");
    new CmdbRegistration(stack, "prod", { workspace: "prod" });
    new CmdbRegistration(stack, "lab", { workspace: "lab" });
    const { provider, resources } = synthesized(Testing.synth(stack));
    expect(provider.null).toHaveLength(1);
    expect(Object.keys(resources)).toHaveLength(4);

    const other = new TerraformStack(new App({ outdir: app.outdir }), "own");
    new nullProvider.provider.NullProvider(other, "mine", { alias: "local" });
    new CmdbRegistration(other, "cmdb");
    const own = synthesized(Testing.synth(other));
    expect(own.provider.null).toEqual([{ alias: "local" }]);
    expect(byPrefix(own.resources, "cmdb_register_").provider).toBe("null.local");
  });
});

describe("the build", () => {
  it("loads cdktf only from the gitops-cmdb/cdktf entry: the library and the CLI run without it", () => {
    const dist = join(REPO_ROOT, "dist");
    const cdktfImport = /from\s*"(cdktf|constructs|@cdktf\/provider-null)"|import\("(cdktf|constructs|@cdktf\/provider-null)"\)/;
    const chunks = readdirSync(join(dist, "chunks")).map((n) => join("chunks", n));
    for (const file of ["index.js", "cli.js", ...chunks]) expect(readFileSync(join(dist, file), "utf8"), file).not.toMatch(cdktfImport);
    expect(readFileSync(join(dist, "cdktf.js"), "utf8")).toMatch(cdktfImport);
    expect(readFileSync(join(dist, "index.js"), "utf8")).toContain('import("./cdktf.js")');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
    expect(pkg.exports["./cdktf"]).toBe("./dist/cdktf.js");
    for (const name of ["cdktf", "constructs", "@cdktf/provider-null"]) expect(pkg.peerDependenciesMeta[name], name).toEqual({ optional: true });
    expect([pkg.peerDependencies.cdktf, pkg.peerDependencies["@cdktf/provider-null"]]).toEqual(["0.21.0", "11.0.1"]);
  });
});
