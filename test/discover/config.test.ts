import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configJsonSchemaText } from "../../src/config/json-schema.js";
import { parseConfig } from "../../src/config/load.js";
import { REPO_ROOT } from "../helpers/corpus.js";

const SCHEMA_FILE = join(REPO_ROOT, "src/config/cmdb.config.schema.json");

function configError(text: string): string {
  try {
    parseConfig(text, "cmdb.config.yaml");
  } catch (error) {
    return (error as { describe(): string }).describe();
  }
  throw new Error("the configuration was accepted");
}

describe("the sources section of cmdb.config.yaml", () => {
  it("accepts the shipped example, with its env and bw:// references left for run time", () => {
    const config = parseConfig(readFileSync(join(REPO_ROOT, "examples/cmdb.config.yaml"), "utf8"), "examples/cmdb.config.yaml");
    const proxmox = config.sources?.proxmox;
    expect(Array.isArray(proxmox) && proxmox.map((p) => [p.name, p.tokenSecret])).toEqual([
      ["homelab", "bw://proxmox%20homelab/password"],
      ["office", "${PVE_OFFICE_TOKEN_SECRET}"],
    ]);
    expect(config.sources?.ssh?.timeout).toBe(30_000);
    expect(config.sources?.ssh?.hosts?.[0]).toEqual({ host: "nas.home.arpa", user: "root" });
    expect(config.sources?.ssh?.hosts?.[1]).toMatchObject({ host: "10.20.0.15", name: "db1", jump: { host: "bastion.example.org", port: 22, user: "admin" } });
  });

  it("takes a single Proxmox cluster or EC2 account as an object as well as a list", () => {
    const config = parseConfig(
      "sources:\n  proxmox: {url: 'https://pve:8006', tokenId: 'cmdb@pve!d', tokenSecret: '${PVE_SECRET}'}\n  ec2: {regions: [eu-west-1]}\n",
      "c.yaml",
    );
    expect(config.sources?.proxmox).toMatchObject({ url: "https://pve:8006", tokenSecret: "${PVE_SECRET}" });
    expect(config.sources?.ec2).toEqual({ regions: ["eu-west-1"] });
  });

  it.each([
    ["sources:\n  proxmox:\n    - url: pve1\n      tokenId: a@pam!b\n      tokenSecret: ${X}\n", "sources.proxmox[0].url: expected a URL such as https://pve.example.org:8006, or a secret reference"],
    ["sources:\n  proxmox: {url: 'https://a:8006', tokenId: 'a@pam!b', tokenSecret: 'bw://item-without-field'}\n", "sources.proxmox.tokenSecret: expected the API token secret (a UUID), or a secret reference"],
    ["sources:\n  proxmox: hello\n", "sources.proxmox: expected object, received string, or expected array, received string"],
    ["sources:\n  ssh:\n    hosts: ['root@db1:99999']\n", "sources.ssh.hosts[0].port: Too big"],
    ["sources:\n  ssh:\n    hosts: [{host: db1, password: hunter2}]\n", 'sources.ssh.hosts[0]: Unrecognized key: "password"'],
    ["sources:\n  ssh:\n    hosts: [db1]\n    timeout: soon\n", "sources.ssh.timeout: not a duration"],
    ["sources:\n  ec2: {regions: [mars-1]}\n", "sources.ec2.regions[0]: an AWS region name such as eu-west-1"],
    ["sources:\n  vmware: {}\n", 'sources: Unrecognized key: "vmware"'],
  ])("names the path of what is wrong: %j", (text, expected) => {
    const said = configError(text);
    expect(said.startsWith("cmdb.config.yaml: ")).toBe(true);
    expect(said).toContain(expected);
  });

  it("never repeats a literal secret that failed validation", () => {
    const said = configError("sources:\n  proxmox: {url: 'https://a:8006', tokenId: 'a@pam!b', tokenSecret: 'not-a-uuid-s3cr3t'}\n");
    expect(said).toContain("sources.proxmox.tokenSecret");
    expect(said).not.toContain("s3cr3t");
  });

  it("ships a JSON Schema equal to the one generated from the zod schema (CMDB_UPDATE_SCHEMA=1 rewrites it)", () => {
    const generated = configJsonSchemaText();
    if (process.env.CMDB_UPDATE_SCHEMA === "1") writeFileSync(SCHEMA_FILE, generated);
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(generated);
    const schema = JSON.parse(generated);
    expect(Object.keys(schema.properties.sources.properties)).toEqual(["proxmox", "ec2", "ssh", "bitwarden"]);
    expect(schema.properties.sources.additionalProperties).toBe(false);
  });

  it("lists the schema in the package's files so that editors can find it in node_modules", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
    expect(pkg.files).toContain("src/config/cmdb.config.schema.json");
  });
});
