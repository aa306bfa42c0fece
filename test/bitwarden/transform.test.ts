import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { type CredentialCi, rotationFindings } from "../../src/findings/rotation/findings.js";
import { rotationIssues } from "../../src/findings/rotation/issues.js";
import { dueOf, rotationPolicy } from "../../src/findings/rotation/policy.js";
import { chooseLinks, hostKeys, hostOf, toBatch } from "../../src/sources/bitwarden/transform.js";
import { corpusDir } from "../helpers/corpus.js";
import { PLANTED, ROTATION_CONFIG, rotationSnapshot } from "./vault.js";

const byName = (name: string) => {
  const o = toBatch(rotationSnapshot()).batch.observations.find((x) => x.name === name);
  if (!o) throw new Error(`no credential ${name}`);
  return o;
};

describe("bitwarden items to credential observations", () => {
  it("keeps logins, secure notes and SSH keys, skips and counts cards, identities and trashed items", () => {
    const { batch, skipped } = toBatch(rotationSnapshot());
    expect(batch.observations.map((o) => [o.name, o.attributes.item_type]).sort()).toEqual([
      ["db1 backup key", "secure_note"],
      ["lab wifi", "login"],
      ["ops ssh key", "ssh_key"],
      ["pve1 root@pam", "login"],
      ["switch admin", "login"],
      ["web1 deploy", "login"],
    ]);
    expect(skipped).toEqual({ card: 1, identity: 1, deleted: 1, unknown: 0 });
    expect(batch.scope).toBe("bitwarden:vault.lab.example/ops@lab.example");
    expect(batch.complete).toBe(true);
    expect(batch.warnings?.[0]).toBe("skipped (not infrastructure credentials or in the trash): 1 card, 1 identity, 1 deleted");
    expect(byName("pve1 root@pam")).toMatchObject({
      type: "credential",
      owner: "alice",
      keys: [{ scheme: "bitwarden.item", value: "11111111-aaaa-4bbb-8ccc-000000000001", strength: "strong" }],
      attributes: {
        folder: "Infrastructure",
        collections: ["hypervisors"],
        organization: "Homelab",
        username: "root@pam",
        uris: ["https://192.168.10.11:8006/"],
        created: "2025-12-01T09:00:00.000Z",
      },
    });
    expect(byName("ops ssh key").attributes.ssh_key_fingerprint).toBe("SHA256:q7Zx1oJ0pB3s9mYt2vWc4nLhK8eRfG5dU6aXbN0iTzQ");
  });

  it("never keeps a secret: passwords, TOTP, hidden and other fields, notes, history, passkeys, private keys, card and identity data, URI credentials", () => {
    const text = JSON.stringify(toBatch(rotationSnapshot()));
    for (const planted of PLANTED) expect(text, planted).not.toContain(planted);
    expect(byName("switch admin").attributes.uris).toEqual(["https://sw1.lab.example/login"]);
  });

  it("dates the last rotation by password revision, else password history, else a last_rotated field, else creation — never revisionDate", () => {
    expect(byName("pve1 root@pam").attributes).toMatchObject({ last_rotated: "2026-06-01T10:00:00.000Z", last_rotated_from: "password_revision" });
    expect(byName("web1 deploy").attributes).toMatchObject({ last_rotated: "2026-09-20T10:00:00.000Z", last_rotated_from: "password_history", rotation_days: 60 });
    expect(byName("db1 backup key").attributes).toMatchObject({ last_rotated: "2026-10-01T00:00:00.000Z", last_rotated_from: "last_rotated_field", expires: "2026-11-20T00:00:00.000Z" });
    expect(byName("ops ssh key").attributes).toMatchObject({ last_rotated: "2026-01-10T09:00:00.000Z", last_rotated_from: "created" });
  });

  it("warns about an unreadable date for its item and falls back to the next rule", () => {
    const { batch } = toBatch(rotationSnapshot());
    expect(batch.warnings).toContain('item "switch admin" (88888888-aaaa-4bbb-8ccc-000000000008): login.passwordRevisionDate "2026-13-45T00:00:00.000Z" is not a date; ignored');
    expect(byName("switch admin").attributes).toMatchObject({ last_rotated: "2026-09-01T09:00:00.000Z", last_rotated_from: "created" });
  });

  it("links by URI host (IP, FQDN then short name) and by cmdb_ci (a key, or an id or name for the store to resolve)", () => {
    const { links } = toBatch(rotationSnapshot());
    expect(links).toEqual([
      { from: "11111111-aaaa-4bbb-8ccc-000000000001", target: "192.168.10.11", candidates: ["ip:192.168.10.11"] },
      { from: "22222222-aaaa-4bbb-8ccc-000000000002", target: "web1.lab.example", candidates: ["fqdn:web1.lab.example", "hostname:web1.lab.example", "hostname:web1"] },
      { from: "33333333-aaaa-4bbb-8ccc-000000000003", target: "hostname:db1", candidates: ["hostname:db1"] },
      { from: "44444444-aaaa-4bbb-8ccc-000000000004", target: "pve2", candidates: [], ciReference: "pve2" },
      { from: "88888888-aaaa-4bbb-8ccc-000000000008", target: "sw1.lab.example", candidates: ["fqdn:sw1.lab.example", "hostname:sw1.lab.example", "hostname:sw1"] },
    ]);
    const owners = new Map([
      ["hostname:web1", 1],
      ["fqdn:sw1.lab.example", 2],
    ]);
    const { relationships, warnings } = chooseLinks(links, owners, new Map([["pve2", "proxmox.node:lab/pve2"]]));
    expect(relationships.map((r) => `${r.from.slice(0, 2)} ${(r.to as { key: string }).key}`)).toEqual([
      "11 ip:192.168.10.11",
      "22 hostname:web1",
      "33 hostname:db1",
      "44 proxmox.node:lab/pve2",
      "88 fqdn:sw1.lab.example",
    ]);
    expect(warnings).toEqual([]);
    expect(chooseLinks(links, new Map()).warnings).toEqual([
      'credential 44444444-aaaa-4bbb-8ccc-000000000004: cmdb_ci "pve2" names no CI (an id, a key such as hostname:web1, or a unique name)',
    ]);
  });

  it("reads hosts from URIs of every shape", () => {
    expect(["https://Pve.Lab:8006/x", "10.0.0.5", "ssh://u@[2001:db8::1]:22", "web1:22", "http://localhost/", "androidapp://x.y"].map(hostOf)).toEqual([
      "pve.lab",
      "10.0.0.5",
      "2001:db8::1",
      "web1",
      undefined,
      undefined,
    ]);
    expect(hostKeys("2001:db8::1")).toEqual(["ip:2001:db8::1"]);
  });
});

describe("rotation due dates and findings", () => {
  const policy = rotationPolicy(parseConfig(ROTATION_CONFIG, "cmdb.config.yaml").rotation);
  const credentials = (): CredentialCi[] =>
    toBatch(rotationSnapshot()).batch.observations.map((o) => ({ id: `ci_${o.ref.slice(0, 2)}`, name: o.name!, status: "active", owner: o.owner ?? null, attributes: o.attributes, systems: [] }));

  it("takes expires first, then the item's period, then the strictest folder or collection default, then 90 days", () => {
    expect(dueOf({ expires: "2026-12-01T00:00:00.000Z", lastRotated: "2026-01-01T00:00:00.000Z", rotationDays: 1 }, policy)).toEqual({ due: "2026-12-01T00:00:00.000Z", policy: "expires" });
    expect(dueOf({ lastRotated: "2026-01-01T00:00:00.000Z", rotationDays: 10, folder: "Infrastructure" }, policy)).toMatchObject({ due: "2026-01-11T00:00:00.000Z", policy: "item" });
    expect(dueOf({ lastRotated: "2026-01-01T00:00:00.000Z", folder: "Infrastructure", collections: ["hypervisors"] }, policy)).toMatchObject({
      due: "2026-03-02T00:00:00.000Z",
      policy: "collection:hypervisors",
      periodDays: 60,
    });
    expect(dueOf({ lastRotated: "2026-01-01T00:00:00.000Z", folder: "Personal" }, policy)).toMatchObject({ due: "2026-04-01T00:00:00.000Z", policy: "default", periodDays: 90 });
    expect(dueOf({}, policy)).toEqual({ policy: "default", periodDays: 90 });
  });

  it("lists what is overdue and what falls due within the window, as of a date, most urgent first", () => {
    const report = rotationFindings(credentials(), policy, new Date("2026-11-15T00:00:00Z"));
    expect(report.credentials.map((c) => [c.name, c.status, c.due.slice(0, 10), c.policy])).toEqual([
      ["ops ssh key", "overdue", "2026-05-10", "folder:Infrastructure"],
      ["pve1 root@pam", "overdue", "2026-07-31", "collection:hypervisors"],
      ["web1 deploy", "due-soon", "2026-11-19", "item"],
      ["db1 backup key", "due-soon", "2026-11-20", "expires"],
    ]);
    const later = rotationFindings(credentials(), policy, new Date("2026-12-31T00:00:00Z"), 0);
    expect(later.credentials.map((c) => c.name)).toEqual(["ops ssh key", "pve1 root@pam", "web1 deploy", "db1 backup key", "switch admin"]);
    expect(later.credentials.every((c) => c.status === "overdue")).toBe(true);
  });

  it("drafts one issue per due credential with a stable fingerprint, labels, the owner's login, and no secret", () => {
    const all = credentials();
    const report = rotationFindings(all, policy, new Date("2026-11-15T00:00:00Z"));
    const drafts = rotationIssues(report.credentials, all, policy);
    expect(drafts.issues.map((i) => [i.title, i.labels, i.assignees])).toEqual([
      ["Rotate credential: ops ssh key", ["credential-rotation", "overdue"], []],
      ["Rotate credential: pve1 root@pam", ["credential-rotation", "overdue"], ["alice-gh"]],
      ["Rotate credential: web1 deploy", ["credential-rotation", "due-soon"], []],
      ["Rotate credential: db1 backup key", ["credential-rotation", "due-soon"], []],
    ]);
    const again = rotationIssues(rotationFindings(credentials(), policy, new Date("2026-11-16T00:00:00Z")).credentials, all, policy);
    expect(again.issues.map((i) => i.fingerprint)).toEqual(drafts.issues.map((i) => i.fingerprint));
    expect(new Set(drafts.issues.map((i) => i.fingerprint)).size).toBe(4);
    const pve = drafts.issues[1]!.body;
    expect(pve).toContain("| Bitwarden item | `11111111-aaaa-4bbb-8ccc-000000000001` |");
    expect(pve).toContain("| Due | 2026-07-31 |");
    expect(pve).toContain("## Rotation checklist");
    expect(Object.keys(drafts.closeComments)).toHaveLength(2);
    expect(Object.values(drafts.closeComments)).toContain("Rotated: the Bitwarden item now shows a rotation on 2026-11-01, so **lab wifi** is no longer due.");
    const text = JSON.stringify(drafts);
    for (const planted of PLANTED) expect(text, planted).not.toContain(planted);
  });
});

describe("the corpus's Bitwarden exports", () => {
  const dir = corpusDir("bitwarden");
  it.runIf(dir !== undefined)("read as credentials with metadata only, cards and identities skipped", () => {
    const exports = readdirSync(dir!).filter((f) => f.startsWith("export-"));
    expect(exports.length).toBeGreaterThan(0);
    for (const file of exports) {
      const data = JSON.parse(readFileSync(join(dir!, file), "utf8"));
      const { batch, skipped } = toBatch({ via: "export", account: `export/${file}`, filter: {}, items: data.items, folders: data.folders ?? [], collections: [], organizations: [] });
      expect(batch.observations.map((o) => o.attributes.item_type).sort(), file).toEqual(["login", "secure_note"]);
      expect(skipped, file).toMatchObject({ card: 1, identity: 1 });
      const text = JSON.stringify(batch);
      for (const secret of ["asdfasdfasdf", "mypassword", "otpauth", "hidden-field-value", "1st line", "4111111111111111", "123-12-1234", "My note", "Very secure"]) {
        expect(text, `${file}: ${secret}`).not.toContain(secret);
      }
    }
  });
});
