import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { reconcileSettings } from "../../src/config/schema.js";
import type { DriftReport } from "../../src/findings/evaluate.js";
import { fingerprint } from "../../src/findings/fingerprint.js";
import { readCredentials } from "../../src/findings/rotation/read.js";
import { rotationFindings } from "../../src/findings/rotation/findings.js";
import { rotationIssues } from "../../src/findings/rotation/issues.js";
import { rotationPolicy } from "../../src/findings/rotation/policy.js";
import type { Finding } from "../../src/findings/types.js";
import { syncDriftIssues } from "../../src/github/drift-issues.js";
import { syncRotationIssues } from "../../src/github/rotation-issues.js";
import { ingestSource } from "../../src/ingest/source.js";
import { bitwardenSource } from "../../src/sources/bitwarden/index.js";
import { listCis } from "../../src/store/queries.js";
import type { Store } from "../../src/store/store.js";
import { PLANTED, ROTATION_CONFIG, ROTATION_FILES } from "../bitwarden/vault.js";
import { bwEnv } from "../discover/bw-standin.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { type StandIn, type StandInIssue, startStandIn, TOKEN } from "./stand-in.js";

const settings = reconcileSettings({});
const policy = rotationPolicy(parseConfig(ROTATION_CONFIG, "cmdb.config.yaml").rotation);
const AS_OF = new Date("2026-11-15T00:00:00Z");

let tmp: string;
let gh: StandIn;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "cmdb-gh-rotation-"));
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await dropTestSchemas();
});
beforeEach(async () => {
  gh = await startStandIn();
});
afterEach(async () => {
  expect(gh.violations).toEqual([]);
  await gh.close();
});

/** The stand-in bw answering the rotation vault (or a changed copy of its items). */
async function ingestVault(store: Store, items = ROTATION_FILES.items): Promise<void> {
  const env = {
    ...bwEnv("unlocked", []),
    BW_STANDIN_ITEMS: items,
    BW_STANDIN_FOLDERS: ROTATION_FILES.folders,
    BW_STANDIN_COLLECTIONS: ROTATION_FILES.collections,
    BW_STANDIN_ORGANIZATIONS: ROTATION_FILES.organizations,
    BW_STANDIN_SERVER: "https://vault.lab.example",
  };
  const [result] = await ingestSource(store, bitwardenSource, {}, { settings, env });
  expect(result!.outcome).toBe("success");
}

const client = () => ({ repo: "lab-org/infra", dryRun: false, env: { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.url }, retries: 1, retryBaseMs: 10, writeIntervalMs: 0 });

async function rotationSync(store: Store, dryRun = false, log?: string[]) {
  const all = await readCredentials(store.engine);
  const report = rotationFindings(all, policy, AS_OF);
  return syncRotationIssues(store, rotationIssues(report.credentials, all, policy), { ...client(), dryRun, log: (l) => log?.push(l) });
}

function driftReport(findings: Finding[]): DriftReport {
  return { generatedAt: "", findings, lifecycle: {}, resolved: [], ignored: [], expiredIgnores: [], coverage: { machines: null, cis: null, scopes: [] }, held: [], heldKeys: [] };
}

/** A stale finding on a CI of the store, so that its neighbourhood can be drawn. */
async function staleFinding(store: Store, name: string): Promise<Finding> {
  const ci = (await listCis(store.engine, { type: "credential" })).find((c) => c.name === name)!;
  const key = ci.keys[0]!;
  return {
    fingerprint: fingerprint("stale", key, ""),
    kind: "stale",
    severity: "low",
    ci: { id: ci.id, name: ci.name, type: ci.type, keys: ci.keys },
    key,
    attribute: "",
    message: `${ci.name}: no source has seen it for 30d`,
    sources: [],
  };
}

const rotationIssuesIn = () => [...gh.issues.values()].filter((i) => i.title.startsWith("Rotate credential: "));
const byTitle = (title: string) => [...gh.issues.values()].find((i) => i.title === title)!;
const snapshot = (issues: StandInIssue[]) => issues.map((i) => ({ n: i.number, state: i.state, body: i.body, labels: [...i.labels], comments: i.comments.length }));

describe.each(ENGINES)("rotation issues through the generic GitHub sync on $name", { timeout: 300_000 }, (engine) => {
  it("opens one issue per due credential, writes nothing when unchanged, closes a rotated one with its comment", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    try {
      await ingestVault(store);
      const first = await rotationSync(store);
      expect(first.created).toBe(4);
      const titles = rotationIssuesIn().map((i) => i.title).sort();
      expect(titles).toEqual(["Rotate credential: db1 backup key", "Rotate credential: ops ssh key", "Rotate credential: pve1 root@pam", "Rotate credential: web1 deploy"]);
      const pve = byTitle("Rotate credential: pve1 root@pam");
      expect(pve.labels.sort()).toEqual(["cmdb", "credential-rotation", "overdue"]);
      expect(pve.assignees).toEqual(["alice-gh"]);
      expect(pve.body).toMatch(/<!-- cmdb-sync \{"ns":"rotation","key":"credential-rotation:[0-9a-f]{16}"/);
      expect(byTitle("Rotate credential: web1 deploy").labels.sort()).toEqual(["cmdb", "credential-rotation", "due-soon"]);
      expect(byTitle("Rotate credential: web1 deploy").assignees).toEqual([]);
      expect([...gh.labels.keys()].sort()).toEqual(["cmdb", "credential-rotation", "due-soon", "overdue"]);
      for (const issue of gh.issues.values()) for (const planted of PLANTED) expect(issue.body, planted).not.toContain(planted);

      gh.reset();
      const second = await rotationSync(store);
      expect(gh.writes()).toBe(0);
      expect(second.actions).toEqual([]);
      expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /repos/lab-org/infra/issues"]);
      expect(new URLSearchParams(gh.requests[0]!.query).get("labels")).toBe("credential-rotation");

      // web1 deploy is rotated: the vault now shows a newer password revision.
      const items = JSON.parse(readFileSync(ROTATION_FILES.items, "utf8")) as { name: string; login?: { passwordRevisionDate: string | null } }[];
      items.find((i) => i.name === "web1 deploy")!.login!.passwordRevisionDate = "2026-11-14T09:30:00.000Z";
      const rotated = join(tmp, `rotated-${engine.name}.json`);
      writeFileSync(rotated, JSON.stringify(items));
      await ingestVault(store, rotated);
      gh.reset();
      const third = await rotationSync(store);
      const web = byTitle("Rotate credential: web1 deploy");
      expect(web).toMatchObject({ state: "closed", state_reason: "completed" });
      expect(web.comments.at(-1)).toBe("Rotated: the Bitwarden item now shows a rotation on 2026-11-14, so **web1 deploy** is no longer due.");
      expect(third).toMatchObject({ created: 0, updated: 0, closed: 1, commented: 1 });
      expect(gh.writes()).toBe(2);
      expect(rotationIssuesIn().filter((i) => i.state === "open")).toHaveLength(3);
    } finally {
      await store.close();
    }
  });

  it("a drift sync in the same repository leaves rotation issues alone, and the other way round; drift bodies draw their CI", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    try {
      await ingestVault(store);
      await rotationSync(store);
      const before = snapshot(rotationIssuesIn());
      expect(before).toHaveLength(4);

      const stale = await staleFinding(store, "ops ssh key");
      await syncDriftIssues(store, driftReport([stale]), client());
      const drift = byTitle("Drift: ops ssh key (credential)");
      expect(drift.labels.sort()).toEqual(["cmdb", "drift", "severity:low"]);
      const mermaid = /## Neighbourhood\n\n[^\n]*\n\n```mermaid\n([\s\S]*?)\n```/.exec(drift.body);
      expect(mermaid, drift.body).not.toBeNull();
      expect(mermaid![1]).toMatch(/^(flowchart|graph) /m);
      expect(mermaid![1]).toContain("ops ssh key");
      expect(snapshot(rotationIssuesIn())).toEqual(before);

      // The drift is resolved: drift closes its own issue and no rotation issue.
      await syncDriftIssues(store, driftReport([]), client());
      expect(drift).toMatchObject({ state: "closed", state_reason: "completed" });
      expect(snapshot(rotationIssuesIn())).toEqual(before);

      // A rotation run in which nothing is due closes rotation issues only: drift's reopen stays drift's.
      await syncDriftIssues(store, driftReport([stale]), client());
      expect(drift.state).toBe("open");
      const driftBefore = snapshot([...gh.issues.values()].filter((i) => !i.title.startsWith("Rotate credential: ")));
      const all = await readCredentials(store.engine);
      const nothingDue = rotationFindings(all, policy, new Date("2026-01-01T00:00:00Z"));
      expect(nothingDue.credentials).toEqual([]);
      await syncRotationIssues(store, rotationIssues(nothingDue.credentials, all, policy), client());
      expect(rotationIssuesIn().every((i) => i.state === "closed")).toBe(true);
      expect(snapshot([...gh.issues.values()].filter((i) => !i.title.startsWith("Rotate credential: ")))).toEqual(driftBefore);
    } finally {
      await store.close();
    }
  });

  it("--dry-run prints each issue it would open, with its assignee, and sends no write", async (ctx) => {
    if (!engine.available) ctx.skip();
    const store = await engine.open();
    try {
      await ingestVault(store);
      const log: string[] = [];
      const result = await rotationSync(store, true, log);
      expect(gh.writes()).toBe(0);
      expect(result.actions.filter((a) => a.op === "create")).toHaveLength(4);
      expect(result.dryRunLog.join("\n")).toMatch(/would create issue "Rotate credential: pve1 root@pam" \[credential-rotation, cmdb, overdue\] assigned to @alice-gh/);
    } finally {
      await store.close();
    }
  });
});
