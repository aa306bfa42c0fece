import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DriftReport } from "../../src/findings/evaluate.js";
import { fingerprint } from "../../src/findings/fingerprint.js";
import type { Finding } from "../../src/findings/types.js";
import { writeBudget } from "../../src/github/budget.js";
import { createGitHubClient } from "../../src/github/client.js";
import { DASHBOARD_TITLE, driftSyncSpec } from "../../src/github/drift-issues.js";
import { syncIssues } from "../../src/github/sync.js";
import { type StandIn, startStandIn, TOKEN } from "./stand-in.js";

function changed(ci: string, key: string, attribute: string, declared: unknown, live: unknown): Finding {
  return {
    fingerprint: fingerprint("changed", key, attribute),
    kind: "changed",
    severity: "medium",
    ci: { id: `ci_${ci}`, name: ci, type: "virtual_machine", keys: [key] },
    key,
    attribute,
    diffs: [{ attribute, declared, live, source: "proxmox" }],
    message: `${ci}: ${attribute} differs`,
    sources: [{ source: "proxmox", scope: "proxmox:lab/pve1" }],
  };
}

function report(findings: Finding[]): DriftReport {
  return { generatedAt: "", findings, lifecycle: {}, resolved: [], ignored: [], expiredIgnores: [], coverage: { machines: null, cis: null, scopes: [] }, held: [], heldKeys: [] };
}

const web = (memory = 4096) => changed("web01", "proxmox.vm:lab/100", "memory_mb", 2048, memory);
const db = () => changed("db01", "proxmox.vm:lab/101", "tags", ["prod"], ["db", "prod"]);

/** Each test runs the sync several times against a local server: generous on a loaded machine, never a speed test. */
const SLOW = 300_000;

let gh: StandIn;
beforeEach(async () => {
  gh = await startStandIn();
});
afterEach(async () => {
  expect(gh.violations).toEqual([]);
  await gh.close();
});

async function sync(findings: Finding[], options: { dryRun?: boolean; budget?: ReturnType<typeof writeBudget>; log?: string[] } = {}) {
  const octokit = await createGitHubClient({ env: { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.url }, retries: 1, retryBaseMs: 10, writeIntervalMs: 0, log: (l) => options.log?.push(l) });
  return syncIssues(driftSyncSpec(report(findings)), {
    octokit,
    owner: "lab-org",
    repo: "infra",
    budget: options.budget ?? writeBudget([]),
    dryRun: options.dryRun ?? false,
    log: (l) => options.log?.push(l),
  });
}

const open = () => [...gh.issues.values()].filter((i) => i.state === "open");
const issueOf = (title: string) => [...gh.issues.values()].find((i) => i.title === title)!;

describe("GitHub issue sync", () => {
  it("first run opens one issue per drifted CI and the dashboard, creating the labels", async () => {
    const result = await sync([web(), db()]);
    expect(open().map((i) => i.title).sort()).toEqual([DASHBOARD_TITLE, "Drift: db01 (virtual_machine)", "Drift: web01 (virtual_machine)"]);
    const issue = issueOf("Drift: web01 (virtual_machine)");
    expect(issue.labels.sort()).toEqual(["cmdb", "drift", "severity:medium"]);
    expect(issue.body).toContain("| medium | changed | memory_mb | 2048 | 4096 (proxmox) |");
    expect(issue.body).toMatch(/<!-- cmdb-sync \{"ns":"drift","key":"ci:proxmox.vm:lab\/100"/);
    expect([...gh.labels.keys()].sort()).toEqual(["cmdb", "drift", "severity:medium"]);
    expect(gh.labels.get("severity:medium")).toMatchObject({ color: "fbca04" });
    expect(issueOf(DASHBOARD_TITLE).body).toContain(`### #${issue.number} Drift: web01 (virtual_machine)`);
    expect(result.created).toBe(3);
  }, SLOW);

  it("an unchanged second run makes no write call, and reads one page of issues", async () => {
    await sync([web(), db()]);
    gh.reset();
    const result = await sync([web(), db()]);
    expect(gh.writes()).toBe(0);
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /repos/lab-org/infra/issues"]);
    expect(result.actions).toEqual([]);
  }, SLOW);

  it("a changed value updates that one body; a new finding on the CI adds a comment", async () => {
    await sync([web(), db()]);
    gh.reset();
    await sync([web(8192), db()]);
    const patches = gh.requests.filter((r) => r.method !== "GET");
    const issue = issueOf("Drift: web01 (virtual_machine)");
    expect(patches.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /repos/lab-org/infra/issues/${issue.number}`]);
    expect(issue.body).toContain("| 2048 | 8192 (proxmox) |");
    gh.reset();
    const cpu = changed("web01", "proxmox.vm:lab/100", "cpu.vcpus", 2, 4);
    await sync([web(8192), cpu, db()]);
    expect(issue.comments.at(-1)).toContain("`cpu.vcpus`: 2 declared, 4 live (proxmox)");
  }, SLOW);

  it("a fix closes the issue with a comment (completed); a regression reopens it", async () => {
    await sync([web(), db()]);
    const issue = issueOf("Drift: web01 (virtual_machine)");
    await sync([db()]);
    expect(issue).toMatchObject({ state: "closed", state_reason: "completed" });
    expect(issue.comments.at(-1)).toContain("resolved");
    expect(issueOf(DASHBOARD_TITLE).body).not.toContain("web01");
    await sync([web(), db()]);
    expect(issue).toMatchObject({ state: "open", state_reason: "reopened" });
    expect(issue.comments.at(-1)).toContain("came back");
    expect([...gh.issues.values()].filter((i) => i.title.includes("web01"))).toHaveLength(1);
  }, SLOW);

  it("respects a person closing as not planned: the findings are acknowledged and it stays closed", async () => {
    await sync([web(), db()]);
    const issue = issueOf("Drift: web01 (virtual_machine)");
    issue.state = "closed";
    issue.state_reason = "not_planned";
    gh.reset();
    const result = await sync([web(), db()]);
    expect(issue.state).toBe("closed");
    expect(result.acknowledged).toEqual([web().fingerprint]);
    expect(gh.writes()).toBe(0);
  }, SLOW);

  it("waits out a secondary rate limit (403 with retry-after) and completes", async () => {
    gh.faults.push({
      match: (m, p) => m === "POST" && p.endsWith("/issues"),
      times: 1,
      status: 403,
      headers: { "retry-after": "1" },
      message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    });
    const log: string[] = [];
    await sync([web(), db()], { log });
    expect(open()).toHaveLength(3);
    expect(gh.requests.filter((r) => r.status === 403)).toHaveLength(1);
    expect(log.some((l) => /secondary rate limit .* waiting 1s/.test(l))).toBe(true);
  }, SLOW);

  it("a 500 midway fails the run; the next run completes it without duplicates", async () => {
    // The server creates the second issue but answers 500, and keeps failing that request.
    let creates = 0;
    gh.faults.push({ match: (m, p) => m === "POST" && p.endsWith("/issues") && ++creates === 2, times: 1, status: 500, message: "Server Error", afterApply: true });
    await expect(sync([web(), db()])).rejects.toThrow(/HTTP 500.*|failed/);
    await sync([web(), db()]);
    const titles = [...gh.issues.values()].map((i) => i.title).sort();
    expect(titles).toEqual([DASHBOARD_TITLE, "Drift: db01 (virtual_machine)", "Drift: web01 (virtual_machine)"]);
    gh.reset();
    await sync([web(), db()]);
    expect(gh.writes()).toBe(0);
  }, SLOW);

  it("two runs at once leave one open issue per CI: the newer duplicate is closed as duplicate", async () => {
    await Promise.all([sync([web(), db()]), sync([web(), db()])]);
    const byTitle = new Map<string, number>();
    for (const i of open()) byTitle.set(i.title, (byTitle.get(i.title) ?? 0) + 1);
    expect([...byTitle.values()].every((n) => n === 1)).toBe(true);
    expect(byTitle.size).toBe(3);
    for (const dup of [...gh.issues.values()].filter((i) => i.state === "closed")) expect(dup.state_reason).toBe("duplicate");
  }, SLOW);

  it("--dry-run prints every write with its body and sends none", async () => {
    await sync([web()]);
    gh.reset();
    const log: string[] = [];
    const result = await sync([web(8192), db()], { dryRun: true, log });
    expect(gh.writes()).toBe(0);
    expect(result.actions.map((a) => a.op).sort()).toEqual(["create", "update", "update"]);
    expect(log.join("\n")).toMatch(/would create issue "Drift: db01 \(virtual_machine\)"/);
    expect(log.join("\n")).toContain("| 2048 | 8192 (proxmox) |");
  }, SLOW);

  it("defers writes beyond the secondary limits to the next run and says so on the dashboard", async () => {
    const many = Array.from({ length: 6 }, (_, i) => changed(`vm${i}`, `proxmox.vm:lab/${200 + i}`, "memory_mb", 1024, 2048));
    const result = await sync(many, { budget: writeBudget([], { perMinute: 8 }) });
    expect(gh.writes()).toBeLessThanOrEqual(8);
    expect(result.deferred).toBeGreaterThan(0);
    expect(issueOf(DASHBOARD_TITLE).body).toContain(`${result.deferred} write(s) were deferred`);
    await sync(many);
    expect(open()).toHaveLength(7);
  }, SLOW);
});
