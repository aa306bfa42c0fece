import { describe, expect, it } from "vitest";
import { parseSecretRef, SecretResolver } from "../../src/secrets/index.js";
import { BW_SESSION, bwCalls, bwEnv } from "./bw-standin.js";

const TOKEN = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0";

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { describe(): string }).describe();
  }
  throw new Error("it resolved");
}

describe("secret references", () => {
  it("parses ${NAME} and bw://item/field (percent-encoded), and nothing else", () => {
    expect(parseSecretRef("${PVE_TOKEN}")).toEqual({ kind: "env", name: "PVE_TOKEN", text: "${PVE_TOKEN}" });
    expect(parseSecretRef("bw://proxmox%20lab/token%20secret")).toMatchObject({ kind: "bw", item: "proxmox lab", field: "token secret" });
    expect(parseSecretRef("bw://a/b/password")).toMatchObject({ item: "a/b", field: "password" });
    for (const text of ["$PVE_TOKEN", "pre${X}", "${1X}", "bw://onlyitem", "bw:///password", "https://pve:8006"]) expect(parseSecretRef(text), text).toBeUndefined();
  });

  it("resolves environment references and says which variable is missing, at which path", async () => {
    const resolver = new SecretResolver({ env: { PVE_TOKEN: TOKEN } });
    expect(await resolver.resolve("${PVE_TOKEN}", "c.yaml: sources.proxmox[0].tokenSecret")).toBe(TOKEN);
    expect(await resolver.resolve("https://pve:8006", "c.yaml: sources.proxmox[0].url")).toBe("https://pve:8006");
    expect(await failure(resolver.resolve("${PVE_OTHER}", "c.yaml: sources.proxmox[1].tokenSecret"))).toBe(
      "c.yaml: sources.proxmox[1].tokenSecret (${PVE_OTHER}): the environment variable PVE_OTHER is not set",
    );
    expect(resolver.scrub(`Authorization: PVEAPIToken=cmdb@pve!d=${TOKEN}`)).toBe("Authorization: PVEAPIToken=cmdb@pve!d=(redacted)");
  });

  it("reads password, username, notes and custom fields through bw, once per item, with the session only in the environment", async () => {
    const env = bwEnv("unlocked", ["homelab-items.json", "bw-get-item-login-custom-fields.json"]);
    const resolver = new SecretResolver({ env });
    expect(await resolver.resolve("bw://proxmox%20lab/password", "p")).toBe(TOKEN);
    expect(await resolver.resolve("bw://proxmox%20lab/username", "p")).toBe("cmdb@pve!discovery");
    expect(await resolver.resolve("bw://proxmox%20lab/url", "p")).toBe("https://pve.lab.example:8006");
    expect(await resolver.resolve("bw://proxmox%20lab/notes", "p")).toBe("API token for cmdb discovery (PVEAuditor on /)");
    expect(await resolver.resolve("bw://myitem/field1", "p")).toBe("secret1");
    const calls = bwCalls(env);
    expect(calls).toEqual([
      ["get", "item", "proxmox lab", "--nointeraction"],
      ["get", "item", "myitem", "--nointeraction"],
    ]);
    expect(calls.flat().join(" ")).not.toContain(BW_SESSION);
    expect(resolver.scrub("token=0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0 f=secret1")).toBe("token=(redacted) f=(redacted)");
  });

  it("finds an item by id when its name is taken twice, and says so when a name is ambiguous", async () => {
    const env = bwEnv("unlocked", ["bw-list-items-2022.json"]);
    const resolver = new SecretResolver({ env });
    expect(await resolver.resolve("bw://5ebd4d31-104c-49fc-a09c-aedf003d28ad/password", "p")).toBe("b");
    const said = await failure(resolver.resolve("bw://dupe_name/password", "c.yaml: sources.proxmox.tokenSecret"));
    expect(said).toBe(
      'c.yaml: sources.proxmox.tokenSecret (bw://dupe_name/password): more than one Bitwarden item matches "dupe_name" (name the item by its id: bw://<id>/<field>)',
    );
  });

  it("names the reference, never a value, when an item, a field or the vault is not there", async () => {
    const unlocked = new SecretResolver({ env: bwEnv("unlocked", ["homelab-items.json", "bw-get-item-login-password.json"]) });
    expect(await failure(unlocked.resolve("bw://nope/password", "p"))).toContain('p (bw://nope/password): no Bitwarden item matches "nope"');
    const empty = await failure(unlocked.resolve("bw://mypassword/username", "p"));
    expect(empty).toBe('p (bw://mypassword/username): the Bitwarden item "mypassword" has no value in field "username" (fields are password, username, notes, or a custom field\'s exact name)');

    const lockedEnv = bwEnv("locked");
    const locked = await failure(new SecretResolver({ env: lockedEnv }).resolve("bw://proxmox%20lab/password", "c.yaml: sources.proxmox[0].tokenSecret"));
    expect(locked).toBe(
      "c.yaml: sources.proxmox[0].tokenSecret (bw://proxmox%20lab/password): the Bitwarden vault is locked (BW_SESSION is set but not valid: unlock again with `export BW_SESSION=$(bw unlock --raw)`)",
    );
    expect(bwCalls(lockedEnv)).toEqual([
      ["get", "item", "proxmox lab", "--nointeraction"],
      ["status", "--nointeraction"],
    ]);
    const unauthenticated = await failure(new SecretResolver({ env: bwEnv("unauthenticated") }).resolve("bw://proxmox%20lab/password", "p"));
    expect(unauthenticated).toContain("the Bitwarden CLI is not logged in");
    for (const said of [locked, unauthenticated]) expect(said).not.toContain(TOKEN);
  });

  it("says when bw is not installed", async () => {
    const resolver = new SecretResolver({ env: { PATH: "/nonexistent" } });
    expect(await failure(resolver.resolve("bw://x/password", "p"))).toContain("the Bitwarden CLI `bw` is not installed or not on PATH");
  });
});
