import type { Octokit } from "octokit";
import { CmdbError } from "../util/errors.js";
import type { WriteBudget } from "./budget.js";
import { dashboardPages } from "./dashboard.js";
import { contentHash, type Marker, parseMarker, withMarker } from "./marker.js";
import type { IssueGroup, ListedIssue, SyncAction, SyncResult, SyncSpec } from "./types.js";

export interface SyncTarget {
  octokit: Octokit;
  owner: string;
  repo: string;
  budget: WriteBudget;
  /** Print every write, with its body, and send none. */
  dryRun: boolean;
  log?: (line: string) => void;
}

const DASHBOARD_KEY = "dashboard:";

interface Tracked extends ListedIssue {
  marker: Marker;
}

/**
 * Keeps one issue per group true: created when missing, its body written only when its content hash
 * changed, a comment when items join, closed with a comment when its group is gone, reopened when it
 * comes back unless a person closed it as not planned. Every step is idempotent, so a run that fails
 * midway leaves a state the next run completes. Generic: it knows groups and items, not findings.
 */
export async function syncIssues(spec: SyncSpec, target: SyncTarget): Promise<SyncResult> {
  const { octokit, owner, repo, budget, dryRun } = target;
  const log = target.log ?? (() => {});
  const result: SyncResult = { issues: {}, created: 0, updated: 0, commented: 0, closed: 0, reopened: 0, deferred: 0, acknowledged: [], actions: [], requests: { reads: 0, writes: 0 } };
  const where = `github ${owner}/${repo}`;
  const call = async <T>(what: string, write: boolean, fn: () => Promise<T>): Promise<T> => {
    if (write) result.requests.writes++;
    else result.requests.reads++;
    try {
      return await fn();
    } catch (error) {
      const status = (error as { status?: number }).status;
      const message = (error as Error).message.split("\n")[0] ?? "";
      // GitHub's answer when a workflow's GITHUB_TOKEN lacks a permission: name the line to add.
      const denied = status === 403 && /Resource not accessible by integration/i.test(message);
      throw new CmdbError(`${what} failed${status ? ` (HTTP ${status})` : ""}: ${message}`, {
        where,
        hint: denied
          ? "the token may not write issues: in GitHub Actions add `permissions: issues: write` to the workflow or the job; another token needs Issues read and write"
          : status === 401 || status === 403
            ? "check the token and its issues: write permission"
            : "run again: the next run completes what this one began",
        cause: error,
      });
    }
  };

  const list = async (): Promise<Tracked[]> => {
    const out: Tracked[] = [];
    const pages = octokit.paginate.iterator(octokit.rest.issues.listForRepo, { owner, repo, labels: spec.baseLabels[0]!, state: "all", per_page: 100 });
    const it = pages[Symbol.asyncIterator]();
    for (;;) {
      const page = await call("listing issues", false, () => it.next());
      if (page.done) break;
      for (const raw of page.value.data) {
        if (raw.pull_request) continue;
        const marker = parseMarker(raw.body);
        if (!marker || marker.ns !== spec.namespace) continue;
        out.push({
          number: raw.number,
          title: raw.title,
          body: raw.body ?? "",
          state: raw.state === "closed" ? "closed" : "open",
          stateReason: raw.state_reason ?? null,
          labels: raw.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))).filter(Boolean),
          url: raw.html_url,
          marker,
        });
      }
    }
    return out;
  };

  const existing = await list();
  const byKey = groupByKey(existing);
  const managed = new Set([...spec.baseLabels, ...spec.labelSpecs.map((l) => l.name)]);
  const labelsFor = (own: string[], issue?: Tracked) => [...new Set([...(issue?.labels.filter((l) => !managed.has(l)) ?? []), ...own])];
  const texts = {
    resolved: spec.texts?.resolved ?? (() => "Every finding of this issue is resolved: closing."),
    reopened: spec.texts?.reopened ?? (() => "The findings came back: reopening."),
    added: spec.texts?.added ?? ((_g: IssueGroup, items: { line: string }[]) => `New:\n\n${items.map((i) => `- ${i.line}`).join("\n")}`),
  };

  // Plan every group's writes first: labels are only read when some write needs them.
  const steps: { key: string; actions: SyncAction[] }[] = [];
  const duplicates: SyncAction[] = [];
  for (const [key, issues] of byKey) {
    for (const dup of issues.duplicates.filter((i) => i.state === "open")) {
      duplicates.push({ op: "close", key, number: dup.number, reason: "duplicate", comment: `Duplicate of #${issues.main!.number}.` });
    }
  }
  const wanted = new Set(spec.groups.map((g) => g.key));
  for (const group of spec.groups) {
    const labels = [...spec.baseLabels, ...group.labels];
    const assignees = group.assignees?.length ? [...new Set(group.assignees)].sort() : undefined;
    // Assignees count in the hash only when a group names some: groups without them hash as before.
    const hash = contentHash(group.title, labels, assignees ? `${group.body}\nassignees: ${assignees.join(",")}` : group.body);
    const marker: Marker = { ns: spec.namespace, key: group.key, hash, items: group.items.map((i) => i.id) };
    const body = withMarker(group.body, marker);
    const issue = byKey.get(group.key)?.main;
    if (issue) result.issues[group.key] = issue.number;
    const actions: SyncAction[] = [];
    const update = (reopen: boolean): SyncAction => ({ op: "update", key: group.key, number: issue!.number, title: group.title, body, labels: labelsFor(labels, issue), reopen, ...(assignees ? { assignees } : {}) });
    if (!issue) {
      actions.push({ op: "create", key: group.key, title: group.title, body, labels, ...(assignees ? { assignees } : {}) });
    } else if (issue.state === "closed" && issue.stateReason === "not_planned") {
      result.acknowledged.push(...marker.items);
      if (issue.marker.hash !== hash) actions.push(update(false));
    } else if (issue.state === "closed") {
      actions.push(update(true));
      actions.push({ op: "comment", key: group.key, number: issue.number, body: texts.reopened(group) });
    } else {
      if (issue.marker.hash !== hash) actions.push(update(false));
      const before = new Set(issue.marker.items);
      const added = group.items.filter((i) => !before.has(i.id));
      if (added.length > 0) actions.push({ op: "comment", key: group.key, number: issue.number, body: texts.added(group, added) });
    }
    if (actions.length > 0) steps.push({ key: group.key, actions });
  }
  for (const [key, issues] of byKey) {
    if (key.startsWith(DASHBOARD_KEY) || wanted.has(key) || spec.held.has(key)) continue;
    const issue = issues.main;
    if (issue?.state === "open") steps.push({ key, actions: [{ op: "close", key, number: issue.number, reason: "completed", comment: texts.resolved(key) }] });
  }

  const ensureLabels = async (needed: string[]): Promise<SyncAction[]> => {
    const have = new Set<string>();
    const found = await call("listing labels", false, () => octokit.paginate(octokit.rest.issues.listLabelsForRepo, { owner, repo, per_page: 100 }));
    for (const l of found) have.add(l.name.toLowerCase());
    return spec.labelSpecs.filter((l) => needed.includes(l.name) && !have.has(l.name.toLowerCase())).map((label) => ({ op: "create-label" as const, label }));
  };

  const perform = async (action: SyncAction): Promise<void> => {
    result.actions.push(action);
    if (dryRun) {
      log(describeAction(action));
      return;
    }
    switch (action.op) {
      case "create-label":
        await call(`creating label ${action.label.name}`, true, async () => {
          try {
            await octokit.rest.issues.createLabel({ owner, repo, name: action.label.name, color: action.label.color, description: action.label.description });
          } catch (error) {
            // Another run created it since we listed: what we wanted exists.
            if ((error as { status?: number }).status !== 422) throw error;
          }
        });
        return;
      case "create": {
        // Not retried: a create the server made but did not answer is found by its marker next run.
        const { data } = await call(`creating the issue for ${action.key}`, true, () =>
          octokit.rest.issues.create({ owner, repo, title: action.title, body: action.body, labels: action.labels, ...(action.assignees ? { assignees: action.assignees } : {}), request: { retries: 0 } }),
        );
        result.issues[action.key] = data.number;
        result.created++;
        return;
      }
      case "update":
        await call(`updating issue #${action.number}`, true, () =>
          octokit.rest.issues.update({
            owner,
            repo,
            issue_number: action.number,
            title: action.title,
            body: action.body,
            labels: action.labels,
            ...(action.assignees ? { assignees: action.assignees } : {}),
            ...(action.reopen ? { state: "open" as const, state_reason: "reopened" as const } : {}),
          }),
        );
        result.updated++;
        if (action.reopen) result.reopened++;
        return;
      case "comment":
        await call(`commenting on issue #${action.number}`, true, () => octokit.rest.issues.createComment({ owner, repo, issue_number: action.number, body: action.body }));
        result.commented++;
        return;
      case "close":
        if (action.comment) {
          await call(`commenting on issue #${action.number}`, true, () => octokit.rest.issues.createComment({ owner, repo, issue_number: action.number, body: action.comment! }));
          result.commented++;
        }
        await call(`closing issue #${action.number}`, true, () =>
          octokit.rest.issues.update({ owner, repo, issue_number: action.number, state: "closed", state_reason: action.reason }),
        );
        result.closed++;
        return;
    }
  };
  const cost = (a: SyncAction) => (a.op === "close" && a.comment ? 2 : 1);

  const dashboardEntries = () =>
    spec.groups.map((g) => ({ title: g.title, number: result.issues[g.key] ?? null, items: g.items }));
  const renderDashboard = (deferred: number) =>
    spec.dashboard
      ? dashboardPages(
          spec.dashboard.title,
          spec.dashboard.intro({ groups: spec.groups.length, items: spec.groups.reduce((n, g) => n + g.items.length, 0), deferred }),
          dashboardEntries(),
        )
      : [];
  const reserve = renderDashboard(0).length;

  const needsLabels = [...steps.flatMap((s) => s.actions)].some((a) => a.op === "create" || a.op === "update");
  if (needsLabels) {
    const used = [...new Set(steps.flatMap((s) => s.actions).flatMap((a) => (a.op === "create" || a.op === "update" ? a.labels : [])))];
    for (const action of await ensureLabels([...used, ...(spec.dashboard ? spec.baseLabels : [])])) {
      if (!dryRun && !budget.take()) {
        result.deferred++;
        continue;
      }
      await perform(action);
    }
  }
  for (const action of duplicates) {
    if (!dryRun && !takeAll(budget, cost(action))) {
      result.deferred += cost(action);
      continue;
    }
    await perform(action);
  }
  for (const step of steps) {
    const need = step.actions.reduce((n, a) => n + cost(a), 0);
    if (!dryRun && budget.remaining() - need < reserve) {
      result.deferred += need;
      continue;
    }
    if (!dryRun) takeAll(budget, need);
    for (const action of step.actions) await perform(action);
  }

  if (spec.dashboard) {
    const pages = renderDashboard(result.deferred);
    for (const [i, page] of pages.entries()) {
      const key = `${DASHBOARD_KEY}${i + 1}`;
      const labels = [...spec.baseLabels];
      const hash = contentHash(page.title, labels, page.body);
      const body = withMarker(page.body, { ns: spec.namespace, key, hash, items: [] });
      const issue = byKey.get(key)?.main;
      let action: SyncAction | undefined;
      result.issues[key] = issue?.number ?? 0;
      if (!issue) action = { op: "create", key, title: page.title, body, labels };
      else if (issue.marker.hash !== hash || issue.state === "closed") {
        action = { op: "update", key, number: issue.number, title: page.title, body, labels: labelsFor(labels, issue), reopen: issue.state === "closed" };
      }
      if (!action) continue;
      if (!dryRun && !budget.take()) {
        result.deferred++;
        continue;
      }
      await perform(action);
    }
    for (const [key, issues] of byKey) {
      const n = Number(key.slice(DASHBOARD_KEY.length));
      if (!key.startsWith(DASHBOARD_KEY) || n <= pages.length || issues.main?.state !== "open") continue;
      const action: SyncAction = { op: "close", key, number: issues.main.number, reason: "completed" };
      if (!dryRun && !budget.take()) {
        result.deferred++;
        continue;
      }
      await perform(action);
    }
  }

  // Two runs at once may both have created an issue for one group: the one that looks last closes the newer.
  if (result.created > 0 && !dryRun) {
    const again = groupByKey(await list());
    for (const [key, issues] of again) {
      for (const dup of issues.duplicates.filter((i) => i.state === "open")) {
        const action: SyncAction = { op: "close", key, number: dup.number, reason: "duplicate", comment: `Duplicate of #${issues.main!.number}.` };
        if (!takeAll(budget, 2)) {
          result.deferred += 2;
          continue;
        }
        await perform(action);
      }
      if (issues.main) result.issues[key] = issues.main.number;
    }
  }
  return result;
}

function takeAll(budget: WriteBudget, n: number): boolean {
  if (budget.remaining() < n) return false;
  for (let i = 0; i < n; i++) budget.take();
  return true;
}

/** Per key: the issue that stands for it (the oldest not closed as a duplicate) and the others. */
function groupByKey(issues: Tracked[]): Map<string, { main: Tracked | undefined; duplicates: Tracked[] }> {
  const byKey = new Map<string, Tracked[]>();
  for (const i of issues) byKey.set(i.marker.key, [...(byKey.get(i.marker.key) ?? []), i]);
  const out = new Map<string, { main: Tracked | undefined; duplicates: Tracked[] }>();
  for (const [key, list] of byKey) {
    const sorted = [...list].sort((a, b) => a.number - b.number);
    const main = sorted.find((i) => i.stateReason !== "duplicate");
    out.set(key, { main, duplicates: sorted.filter((i) => i !== main && i.stateReason !== "duplicate") });
  }
  return out;
}

export function describeAction(a: SyncAction): string {
  switch (a.op) {
    case "create-label":
      return `would create label ${a.label.name} (#${a.label.color})`;
    case "create":
      return `would create issue "${a.title}" [${a.labels.join(", ")}]${assigned(a.assignees)}\n${indent(a.body)}`;
    case "update":
      return `would ${a.reopen ? "reopen and update" : "update"} issue #${a.number} "${a.title}" [${a.labels.join(", ")}]${assigned(a.assignees)}\n${indent(a.body)}`;
    case "comment":
      return `would comment on issue #${a.number}\n${indent(a.body)}`;
    case "close":
      return `would close issue #${a.number} (${a.reason})${a.comment ? ` with the comment\n${indent(a.comment)}` : ""}`;
  }
}

const assigned = (assignees?: string[]) => (assignees ? ` assigned to ${assignees.map((a) => `@${a}`).join(", ")}` : "");

const indent = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
