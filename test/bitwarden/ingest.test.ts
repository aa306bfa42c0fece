import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestProxmoxBatches } from "../../src/sources/proxmox/task.js";
import { ingestSource } from "../../src/ingest/source.js";
import { ingestBatch } from "../../src/reconcile/ingest.js";
import { bitwardenSource } from "../../src/sources/bitwarden/index.js";
import { collectProxmox } from "../../src/sources/proxmox/source.js";
import { walk } from "../../src/graph/walk.js";
import { changesSince, ciDetail, findCis, listCis } from "../../src/store/queries.js";
import type { Store } from "../../src/store/store.js";
import { BW_DIR, BW_SESSION, bwCalls, bwEnv } from "../discover/bw-standin.js";
import { corpusDir } from "../helpers/corpus.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { startReplayServer } from "../helpers/replay-server.js";
import { commandWorks, requireService } from "../helpers/services.js";
import { storeDump } from "../helpers/store-dump.js";
import { checkPveRequest, fixtureRoutes, makeTestPki, TOKEN_ID, TOKEN_SECRET, type TestPki } from "../proxmox/pve-replay.js";
import { bwServeRoutes, checkBwServeRequest } from "./bw-serve.js";
import { PLANTED, ROTATION_FILES } from "./vault.js";

const settings = reconcileSettings({});
const openssl = requireService("openssl", () => commandWorks("openssl", ["version"]));
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "cmdb-bw-ingest-"));
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await dropTestSchemas();
});

/** The stand-in bw answering the rotation vault. */
function vaultEnv(state: Parameters<typeof bwEnv>[0] = "unlocked", extra: NodeJS.ProcessEnv = {}, items = [ROTATION_FILES.items]) {
  const env = bwEnv(state, []);
  return {
    ...env,
    BW_STANDIN_ITEMS: items.join(":"),
    BW_STANDIN_FOLDERS: ROTATION_FILES.folders,
    BW_STANDIN_COLLECTIONS: ROTATION_FILES.collections,
    BW_STANDIN_ORGANIZATIONS: ROTATION_FILES.organizations,
    BW_STANDIN_SERVER: "https://vault.lab.example",
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { describe(): string }).describe();
  }
  throw new Error("it succeeded");
}

const credential = async (store: Store, name: string) => {
  const found = (await listCis(store.engine, { type: "credential" })).find((c) => c.name === name);
  if (!found) throw new Error(`no credential ${name}`);
  return found;
};

// Generous limits: the first store of a file starts an embedded PostgreSQL, and the machine may be shared.
describe.each(ENGINES)("cmdb ingest bitwarden on $name", { timeout: 300_000 }, (engine) => {
  it("reads the vault through bw (status, sync, lists) and keeps credentials' metadata, never a planted secret", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    try {
      const env = vaultEnv();
      const [result] = await ingestSource(store, bitwardenSource, {}, { settings, env });
      expect(result).toMatchObject({ source: "bitwarden", scope: "bitwarden:vault.lab.example/email@example.com", outcome: "success", counts: { seen: 6, new: 6 } });
      expect(result!.warnings).toContain("skipped (not infrastructure credentials or in the trash): 1 card, 1 identity, 1 deleted");
      const calls = bwCalls(env);
      expect(calls).toEqual([
        ["--version"],
        ["status", "--nointeraction"],
        ["sync", "--nointeraction"],
        ["list", "organizations", "--nointeraction"],
        ["list", "folders", "--nointeraction"],
        ["list", "collections", "--nointeraction"],
        ["list", "items", "--nointeraction"],
      ]);
      expect(calls.flat().join(" ")).not.toContain(BW_SESSION);
      const dump = await storeDump(store);
      expect(dump).toContain("root@pam");
      for (const planted of PLANTED) expect(dump, planted).not.toContain(planted);

      const again = await ingestSource(store, bitwardenSource, {}, { settings, env: vaultEnv() });
      expect(again[0]!.counts).toMatchObject({ new: 0, changed: 0, gone: 0 });
    } finally {
      await store.close();
    }
  });

  it("ingests recorded `bw list items` answers: items of one name stay apart by id, and no password or hidden field lands", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    try {
      const corpus = corpusDir("bitwarden");
      const files = [join(BW_DIR, "bw-list-items-2022.json"), ...(corpus ? [join(corpus, "bw-list-items-search-securenote.json")] : [])];
      const env = vaultEnv("unlocked", corpus ? { BW_STANDIN_COLLECTIONS: join(corpus, "bw-list-collections.json") } : {}, files);
      const [result] = await ingestSource(store, bitwardenSource, {}, { settings, env });
      expect(result!.counts.new).toBe(corpus ? 4 : 3);
      const cis = await listCis(store.engine, { type: "credential" });
      expect(cis.filter((c) => c.name === "dupe_name").map((c) => c.keys).sort()).toEqual([
        ["bitwarden.item:5ebd4d31-104c-49fc-a09c-aedf003d28ad"],
        ["bitwarden.item:90657653-6695-496d-9431-aedf003d3015"],
      ]);
      const [aTest] = await findCis(store.engine, "bitwarden.item:90992f63-ddb6-4e76-8bfc-aede016ca5eb");
      const detail = await ciDetail(store.engine, aTest!.id);
      expect(detail.attributes).toMatchObject({ username: "userA", last_rotated: "2022-07-26T23:03:23.399Z", last_rotated_from: "password_revision" });
      const dump = await storeDump(store);
      for (const secret of ["passwordA", "this is a new secret", "a_new_secret: this is secret", "not secret", '"yyy"']) expect(dump, secret).not.toContain(secret);
    } finally {
      await store.close();
    }
  });

  it("records a rotation in the history, and marks gone an item deleted from the vault", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    try {
      await ingestSource(store, bitwardenSource, {}, { settings, env: vaultEnv() });
      const items = JSON.parse(readFileSync(ROTATION_FILES.items, "utf8")) as { name: string; login?: { passwordRevisionDate: string | null } }[];
      items.find((i) => i.name === "pve1 root@pam")!.login!.passwordRevisionDate = "2026-11-14T12:00:00.000Z";
      const rotated = join(tmp, `rotated-${engine.name}.json`);
      writeFileSync(rotated, JSON.stringify(items.filter((i) => i.name !== "lab wifi")));
      const [result] = await ingestSource(store, bitwardenSource, {}, { settings, env: vaultEnv("unlocked", {}, [rotated]) });
      expect(result!.counts).toMatchObject({ changed: 1, gone: 1 });
      const pve = await credential(store, "pve1 root@pam");
      const changes = await changesSince(store.engine, { time: new Date(0) }, pve.id);
      expect(changes.filter((c) => c.field === "attributes.last_rotated").map((c) => [c.old, c.new])).toEqual([["2026-06-01T10:00:00.000Z", "2026-11-14T12:00:00.000Z"]]);
      expect((await credential(store, "lab wifi")).status).toBe("missing");
    } finally {
      await store.close();
    }
  });

  it("filters by folder name through --folderid and names the filter in the scope", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    try {
      const env = vaultEnv();
      const [result] = await ingestSource(store, bitwardenSource, { folder: "Personal" }, { settings, env });
      expect(result).toMatchObject({ scope: "bitwarden:vault.lab.example/email@example.com?folder=Personal", counts: { new: 1 } });
      expect(bwCalls(env).at(-1)).toEqual(["list", "items", "--folderid", "a1b2c3d4-2222-4a2b-8c3d-000000000002", "--nointeraction"]);
      expect(await failure(ingestSource(store, bitwardenSource, { folder: "Nope" }, { settings, env }))).toBe('--folder: no folder is named "Nope" (one of: Infrastructure, Personal, No Folder)');
    } finally {
      await store.close();
    }
  });

  it("refuses a locked vault, a CLI never logged in, a missing bw and a bw that cannot talk to the Vaultwarden server, and ingests nothing", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    try {
      const ingest = (env: NodeJS.ProcessEnv) => failure(ingestSource(store, bitwardenSource, {}, { settings, env }));
      expect(await ingest(vaultEnv("locked"))).toBe(
        "bw (vault.lab.example/email@example.com): the Bitwarden vault is locked (BW_SESSION is set but not valid: unlock again with `export BW_SESSION=$(bw unlock --raw)`)",
      );
      expect(await ingest(vaultEnv("unauthenticated"))).toBe(
        "bw (bitwarden.com/unknown): the Bitwarden CLI is not logged in (run `bw login` (or `bw login --apikey`), then `export BW_SESSION=$(bw unlock --raw)`)",
      );
      // `--bw bw` with an empty PATH: not the copy @bitwarden/cli put in node_modules/.bin.
      expect(await failure(ingestSource(store, bitwardenSource, { bw: "bw" }, { settings, env: { PATH: join(tmp, "empty-path") } }))).toBe(
        "bw: the Bitwarden CLI `bw` is not installed or not on PATH (install it (npm install -g @bitwarden/cli, or https://bitwarden.com/help/cli/), or read an export with --from-export)",
      );
      const old = vaultEnv("unlocked", { BW_STANDIN_VERSION: "2025.12.0", BW_STANDIN_VAULTWARDEN: "old" });
      expect(await ingest(old)).toBe(
        'bw: bw 2025.12.0 does not work with this Vaultwarden server: it answers "User Decryption Options are required" (install bw 2025.11.0 (npm install -g @bitwarden/cli@2025.11.0) or upgrade Vaultwarden)',
      );
      expect(bwCalls(old).map((c) => c[0])).toEqual(["--version", "status", "sync"]);
      const locked2025 = await ingest(vaultEnv("locked", { BW_STANDIN_VERSION: "2025.12.1" }));
      expect(locked2025).toContain('bw 2025.12.1 may fail to log in or unlock with "User Decryption Options are required": bw 2025.11.0 works');
      const fine = await ingestSource(store, bitwardenSource, {}, { settings, env: vaultEnv("unlocked", { BW_STANDIN_VERSION: "2025.11.0", BW_STANDIN_VAULTWARDEN: "old" }) });
      expect(fine[0]!.counts.new).toBe(6);
      expect(fine[0]!.runId).toBeTruthy();
      const runs = await store.engine.query<{ n: number | string }>("SELECT count(*) AS n FROM run");
      expect(Number(runs[0]!.n)).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("reads an unencrypted export, warns about the item with an unreadable date and ingests the others", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    try {
      const [result] = await ingestSource(store, bitwardenSource, { fromExport: ROTATION_FILES.export }, { settings, env: {} });
      expect(result).toMatchObject({ scope: "bitwarden:export/export-rotation.json", counts: { new: 5 } });
      expect(result!.warnings).toContain('item "web1 deploy" (22222222-aaaa-4bbb-8ccc-000000000002): creationDate "yesterday-ish" is not a date; ignored');
      expect((await credential(store, "web1 deploy")).status).toBe("active");
      const dump = await storeDump(store);
      for (const planted of PLANTED) expect(dump, planted).not.toContain(planted);
      const encrypted = join(tmp, "encrypted.json");
      writeFileSync(encrypted, JSON.stringify({ encrypted: true, encKeyValidation_DO_NOT_EDIT: "2.x", data: "2.y" }));
      expect(await failure(ingestSource(store, bitwardenSource, { fromExport: encrypted }, { settings, env: {} }))).toBe(
        `${encrypted}: this export is encrypted (export unencrypted with \`bw export --format json\` (keep the file private and delete it after the ingest))`,
      );
      const broken = join(tmp, "broken.json");
      writeFileSync(broken, '{\n  "items": [\n    {"id": 1,,}\n  ]\n}');
      expect(await failure(ingestSource(store, bitwardenSource, { fromExport: broken }, { settings, env: {} }))).toBe(
        `${broken}:3:14: not JSON: expected a property name in double quotes (export with \`bw export --format json\`)`,
      );
    } finally {
      await store.close();
    }
  });

  it("reads through a running bw serve, and refuses it locked", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    const server = await startReplayServer({ routes: bwServeRoutes(), check: checkBwServeRequest });
    const locked = await startReplayServer({ routes: bwServeRoutes("locked"), check: checkBwServeRequest });
    try {
      const [result] = await ingestSource(store, bitwardenSource, { bwServe: server.url }, { settings, env: {} });
      expect(result).toMatchObject({ scope: "bitwarden:vault.lab.example/ops@lab.example", counts: { new: 6 } });
      expect(["status", "sync", "organizations", "folders", "collections", "items"].map((r) => server.hits(r))).toEqual([1, 1, 1, 1, 1, 1]);
      const [personal] = await ingestSource(store, bitwardenSource, { bwServe: server.url, folder: "Personal" }, { settings, env: {} });
      expect(personal!.counts.new).toBe(0);
      expect(personal!.counts.seen).toBe(1);
      expect(await failure(ingestSource(store, bitwardenSource, { bwServe: locked.url }, { settings, env: {} }))).toBe(
        `bw serve ${locked.url}: the Bitwarden vault is locked (unlock it: POST /unlock to bw serve, or \`bw unlock\` before \`bw serve\`)`,
      );
      for (const planted of PLANTED) expect(await storeDump(store), planted).not.toContain(planted);
    } finally {
      await server.close();
      await locked.close();
      await store.close();
      expect(server.violations).toEqual([]);
      expect(locked.violations).toEqual([]);
    }
  });
});

describe.runIf(openssl.ok).each(ENGINES)("credentials linked to what they open, on $name", { timeout: 300_000 }, (engine) => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

  it("draws AUTHENTICATES_TO to the Proxmox node its URI names by IP and to CIs named by cmdb_ci; impact follows them", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    const pve = await startReplayServer({ routes: fixtureRoutes("lab"), tls: { key: pki.key, cert: pki.cert }, check: checkPveRequest });
    try {
      const { batches } = await collectProxmox({ url: pve.url, tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, caFile: pki.caFile });
      const landed = await ingestProxmoxBatches(batches, { store, settings });
      expect(landed.errors).toEqual([]);

      await ingestSource(store, bitwardenSource, {}, { settings, env: vaultEnv() });
      const root = await credential(store, "pve1 root@pam");
      const impact = await walk(store.engine, root.id, "impact", 3);
      const [node] = await findCis(store.engine, "proxmox.node:lab/pve1");
      expect(impact.filter((n) => n.depth === 1).map((n) => [n.name, n.type, n.via?.type])).toEqual([["pve1", "hypervisor_node", "AUTHENTICATES_TO"]]);
      const onPve1 = (await walk(store.engine, node!.id, "impact", 1)).filter((n) => n.depth === 1).map((n) => n.name);
      expect(onPve1.length).toBeGreaterThan(0);
      expect(impact.filter((n) => n.depth === 2).map((n) => n.name).sort()).toEqual(onPve1.sort());

      const opsKey = await credential(store, "ops ssh key");
      expect((await walk(store.engine, opsKey.id, "impact", 1)).filter((n) => n.depth === 1).map((n) => n.name)).toEqual(["pve2"]);

      // db1 is not known yet: the edge waits, and is drawn when a source reports hostname:db1.
      const backup = await credential(store, "db1 backup key");
      expect((await walk(store.engine, backup.id, "impact", 1)).length).toBe(1);
      await ingestBatch(
        store,
        {
          source: "ansible",
          scope: "ansible:inventory.ini",
          complete: true,
          observations: [{ ref: "db1", type: "server", name: "db1", keys: [{ scheme: "hostname", value: "db1", strength: "weak" }], attributes: {} }],
          relationships: [],
        },
        { settings },
      );
      expect((await walk(store.engine, backup.id, "impact", 1)).map((n) => n.name)).toEqual(["db1 backup key", "db1"]);
    } finally {
      await pve.close();
      await store.close();
      expect(pve.violations).toEqual([]);
    }
  });
});

describe("finding bw", () => {
  it("uses node_modules/.bin/bw when bw is not on PATH", async () => {
    const { findBw } = await import("../../src/sources/bitwarden/bw.js");
    const project = mkdtempSync(join(tmpdir(), "cmdb-bw-project-"));
    try {
      const bin = join(project, "node_modules", ".bin");
      const { mkdirSync, symlinkSync } = await import("node:fs");
      mkdirSync(bin, { recursive: true });
      symlinkSync(join(BW_DIR, "bw"), join(bin, "bw"));
      expect(findBw({ PATH: ["/nonexistent", join(tmp, "none")].join(delimiter) }, project)).toBe(join(bin, "bw"));
      expect(findBw({ PATH: BW_DIR }, project)).toBe(join(BW_DIR, "bw"));
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
