import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { configJsonSchemaText } from "../../src/config/json-schema.js";
import { DEFAULT_PRECEDENCE } from "../../src/config/schema.js";
import { sourcesSchema } from "../../src/config/sources.js";
import { discoverTasks } from "../../src/discover/command.js";
import { LIVE_SOURCES } from "../../src/findings/drift.js";
import { SecretResolver } from "../../src/secrets/index.js";
import { ingestCommands, type SourceDefinition } from "../../src/sources/contract.js";
import { discoveredSources, SOURCES } from "../../src/sources/registry.js";
import { runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/corpus.js";

const sources = SOURCES as readonly SourceDefinition[];

describe("every source follows one contract and the rest reads the registry", () => {
  it("every registered source declares its name, what it reads, variables, records, commands and configuration", async () => {
    expect(sources.map((s) => s.name)).toEqual(["terraform", "proxmox", "ec2", "ssh", "ansible", "bitwarden"]);
    for (const source of sources) {
      expect(source.name, source.name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(["files", "api", "hosts"], source.name).toContain(source.reads);
      expect(typeof source.env, source.name).toBe("object");
      for (const [name, said] of Object.entries(source.env)) expect([name, said.length > 0], source.name).toEqual([name, true]);
      expect(source.records.length, source.name).toBeGreaterThan(0);
      for (const record of source.records) expect(record.scopes.length, `${source.name} ${record.name}`).toBeGreaterThan(0);
      for (const command of ingestCommands(source)) {
        expect(command.description.length, command.name).toBeGreaterThan(0);
        expect(["runs", "summary"], command.name).toContain(command.output);
        for (const option of command.options) expect(option.flags, command.name).toMatch(/^(-\w, )?--[a-z][a-z0-9-]*( [<[][^>\]]+[>\]])?$/);
      }
      const implementation = await source.load();
      expect(typeof implementation.ingest, source.name).toBe("function");
      // A source with a configuration section is what `cmdb discover` runs: it must build tasks from it.
      expect(typeof implementation.discover, source.name).toBe(source.config ? "function" : "undefined");
    }
    const commands = sources.flatMap((s) => ingestCommands(s).map((c) => c.name));
    expect(new Set(commands).size).toBe(commands.length);
  });

  it("every command's options and argument appear in cmdb ingest <name> --help", async () => {
    const listed = await runCli(["ingest", "--help"]);
    expect(listed.code).toBe(0);
    for (const source of sources) {
      for (const command of ingestCommands(source)) {
        expect(listed.stdout, command.name).toContain(`  ${command.name} `);
        const help = await runCli(["ingest", command.name, "--help"]);
        expect(help.code, command.name).toBe(0);
        expect(help.stdout, command.name).toContain(`Usage: cmdb ingest ${command.name} [options]${command.argument ? ` ${command.argument.name}` : ""}`);
        for (const option of [...command.options.map((o) => o.flags), "--json"]) expect(help.stdout, `${command.name} ${option}`).toContain(option);
      }
    }
  });

  it("the configuration's sources: keys are the registry's sources with a section, in its order", () => {
    const names = discoveredSources().map((s) => s.name);
    expect(names).toEqual(["proxmox", "ec2", "ssh", "bitwarden"]);
    expect(Object.keys(sourcesSchema.shape)).toEqual(names);
    const schema = JSON.parse(configJsonSchemaText()) as { properties: { sources: { properties: Record<string, unknown> } } };
    expect(Object.keys(schema.properties.sources.properties)).toEqual(names);
  });

  it("cmdb discover builds its tasks from the registry: one source's tasks per configured section, in the registry's order", async () => {
    const config = {
      sources: {
        bitwarden: { fromExport: "vault.json" },
        ssh: { hosts: [{ host: "db1.example.org" }] },
        ec2: [{ profile: "prod", regions: ["eu-west-1"] }, { profile: "dev", regions: ["eu-west-1"] }],
        proxmox: { url: "https://pve.example.org:8006", tokenId: "root@pam!cmdb", tokenSecret: "00000000-0000-0000-0000-000000000000" },
      },
    };
    const context = {
      store: () => Promise.reject(new Error("no store is needed to build these tasks")),
      config,
      configPath: "cmdb.config.yaml",
      configFound: true,
      resolver: new SecretResolver(),
      env: {},
    };
    const tasks = await discoverTasks(context, []);
    expect(tasks.map((t) => [t.source, t.label])).toEqual([
      ["proxmox", "proxmox pve.example.org"],
      ["ec2", "ec2 prod"],
      ["ec2", "ec2 dev"],
      ["ssh", "ssh"],
      ["bitwarden", "bitwarden"],
    ]);
    await expect(discoverTasks(context, ["terraform"])).rejects.toThrow('--only: unknown source "terraform" (one of proxmox, ec2, ssh, bitwarden)');
  });

  it("the default precedence and the live sources come from the records the sources declare", () => {
    expect(DEFAULT_PRECEDENCE).toEqual(["proxmox", "ec2", "ssh", "ansible-facts", "ansible-playbook", "terraform", "ansible", "import"]);
    expect([...LIVE_SOURCES]).toEqual(sources.flatMap((s) => s.records.filter((r) => r.live).map((r) => r.name)));
  });
});

/** Every relative module a file imports, exports from or loads lazily. */
function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm)) found.push(m[1]!);
  return found.filter((s) => s.startsWith("."));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("layers", () => {
  it("no file outside src/cli imports from src/cli", () => {
    const src = join(REPO_ROOT, "src");
    const cli = join(src, "cli");
    const offenders: string[] = [];
    const files = tsFiles(src).filter((f) => !f.startsWith(`${cli}/`));
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      for (const specifier of importsOf(readFileSync(file, "utf8"))) {
        const target = resolve(dirname(file), specifier);
        if (target === cli || target.startsWith(`${cli}/`)) offenders.push(`${relative(REPO_ROOT, file)} imports ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the scan finds an import of src/cli when there is one", () => {
    expect(importsOf('import { table } from "../cli/table.js";\nconst { x } = await import("../cli/x.js");\nexport { y } from "./y.js";')).toEqual(["../cli/table.js", "../cli/x.js", "./y.js"]);
  });
});
