import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { corpusDir, TEST_FIXTURES } from "../helpers/corpus.js";
import { checkRequest } from "./openapi-check.js";

export const TOKEN = "ghp_standInToken0123456789abcdefABCDEF";

/**
 * A local, stateful stand-in for GitHub's issues, comments and labels endpoints. Every request is
 * checked against GitHub's OpenAPI description and must carry the token; a request that fails is
 * answered 400/401 and recorded in `violations`, which each test asserts empty. Answers take the
 * shape of recorded responses (../shared/fixtures/github when present, else test/fixtures/github).
 */
export interface StandInIssue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  state_reason: string | null;
  labels: string[];
  /** Logins assigned (kept as sent; the answer keeps the recorded shape). */
  assignees: string[];
  comments: string[];
  created_at: string;
}

export interface Fault {
  /** `POST /repos/o/r/issues` or a predicate. */
  match: (method: string, path: string) => boolean;
  times: number;
  status: number;
  headers?: Record<string, string>;
  message: string;
  /** Carry the request out, then answer the fault (the server did it; the client never heard). */
  afterApply?: boolean;
}

export interface StandIn {
  url: string;
  issues: Map<number, StandInIssue>;
  labels: Map<string, { name: string; color: string; description: string | null }>;
  requests: { method: string; path: string; query: string; status: number }[];
  violations: string[];
  faults: Fault[];
  writes(): number;
  reads(): number;
  reset(): void;
  close(): Promise<void>;
}

function templates(): { issue: Record<string, unknown>; comment: Record<string, unknown>; label: Record<string, unknown> } {
  const own = (f: string) => JSON.parse(readFileSync(join(TEST_FIXTURES, "github", f), "utf8")) as Record<string, unknown>;
  const out = { issue: own("issue.json"), comment: own("issue-comment.json"), label: own("label.json") };
  const corpus = corpusDir("github");
  if (corpus) {
    const recorded = (file: string) => (existsSync(join(corpus, file)) ? (JSON.parse(readFileSync(join(corpus, file), "utf8")) as { method: string; status: number; response: Record<string, unknown> }[]) : []);
    const created = recorded("create-issue-then-add-labels.json").find((x) => x.method === "post" && x.status === 201);
    if (created) out.issue = created.response;
    const label = recorded("labels-list-create-get-update-delete.json").find((x) => x.method === "post" && x.status === 201);
    if (label) out.label = label.response;
    const vcr = join(corpus, "create-comment.vcr.json");
    if (existsSync(vcr)) {
      const body = (JSON.parse(readFileSync(vcr, "utf8")) as { response: { body: { base64_string?: string; string?: string } } }).response.body;
      const text = body.base64_string ? Buffer.from(body.base64_string, "base64").toString("utf8") : body.string;
      if (text) out.comment = JSON.parse(text) as Record<string, unknown>;
    }
  }
  return out;
}

export async function startStandIn(owner = "lab-org", repo = "infra"): Promise<StandIn> {
  const shapes = templates();
  const issues = new Map<number, StandInIssue>();
  const labels = new Map<string, { name: string; color: string; description: string | null }>();
  const requests: StandIn["requests"] = [];
  const violations: string[] = [];
  const faults: Fault[] = [];
  let next = 1;
  let url = "";
  const base = `/repos/${owner}/${repo}`;

  const labelJson = (name: string) => {
    const l = labels.get(name) ?? { name, color: "ededed", description: null };
    return { ...shapes.label, id: [...labels.keys()].indexOf(name) + 1, name: l.name, color: l.color, description: l.description, url: `${url}${base}/labels/${encodeURIComponent(name)}` };
  };
  const issueJson = (i: StandInIssue) => ({
    ...shapes.issue,
    id: 1000 + i.number,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    state_reason: i.state_reason,
    labels: i.labels.map(labelJson),
    comments: i.comments.length,
    created_at: i.created_at,
    closed_at: i.state === "closed" ? i.created_at : null,
    url: `${url}${base}/issues/${i.number}`,
    html_url: `https://github.example/${owner}/${repo}/issues/${i.number}`,
    pull_request: undefined,
  });
  const ensureLabel = (name: string) => {
    if (!labels.has(name)) labels.set(name, { name, color: "ededed", description: null });
  };

  const handle = (method: string, path: string, query: URLSearchParams, body: Record<string, unknown>): { status: number; data?: unknown; headers?: Record<string, string> } => {
    if (method === "GET" && path === `${base}/issues`) {
      const wanted = (query.get("labels") ?? "").split(",").filter(Boolean);
      const state = query.get("state") ?? "open";
      const all = [...issues.values()]
        .filter((i) => (state === "all" || i.state === state) && wanted.every((l) => i.labels.includes(l)))
        .sort((a, b) => b.number - a.number);
      return page(all.map(issueJson), query, `${url}${path}`);
    }
    if (method === "POST" && path === `${base}/issues`) {
      const issue: StandInIssue = {
        number: next++,
        title: String(body.title),
        body: String(body.body ?? ""),
        state: "open",
        state_reason: null,
        labels: ((body.labels as string[] | undefined) ?? []).map(String),
        assignees: ((body.assignees as string[] | undefined) ?? []).map(String),
        comments: [],
        created_at: new Date(Date.UTC(2026, 0, 1) + issues.size * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
      };
      for (const l of issue.labels) ensureLabel(l);
      issues.set(issue.number, issue);
      return { status: 201, data: issueJson(issue) };
    }
    const one = new RegExp(`^${base}/issues/(\\d+)$`).exec(path);
    if (one && method === "PATCH") {
      const issue = issues.get(Number(one[1]));
      if (!issue) return { status: 404, data: { message: "Not Found" } };
      if (typeof body.title === "string") issue.title = body.title;
      if (typeof body.body === "string") issue.body = body.body;
      if (Array.isArray(body.assignees)) issue.assignees = body.assignees.map(String);
      if (Array.isArray(body.labels)) {
        issue.labels = body.labels.map(String);
        for (const l of issue.labels) ensureLabel(l);
      }
      if (body.state === "closed" && issue.state !== "closed") {
        issue.state = "closed";
        issue.state_reason = (body.state_reason as string | undefined) ?? "completed";
      } else if (body.state === "open" && issue.state !== "open") {
        issue.state = "open";
        issue.state_reason = "reopened";
      }
      return { status: 200, data: issueJson(issue) };
    }
    const comments = new RegExp(`^${base}/issues/(\\d+)/comments$`).exec(path);
    if (comments && method === "POST") {
      const issue = issues.get(Number(comments[1]));
      if (!issue) return { status: 404, data: { message: "Not Found" } };
      issue.comments.push(String(body.body));
      return { status: 201, data: { ...shapes.comment, id: issue.number * 100 + issue.comments.length, body: body.body, issue_url: `${url}${base}/issues/${issue.number}` } };
    }
    if (method === "GET" && path === `${base}/labels`) return page([...labels.keys()].map(labelJson), query, `${url}${path}`);
    if (method === "POST" && path === `${base}/labels`) {
      const name = String(body.name);
      if (labels.has(name)) return { status: 422, data: { message: "Validation Failed", errors: [{ resource: "Label", code: "already_exists", field: "name" }] } };
      labels.set(name, { name, color: String(body.color ?? "ededed"), description: (body.description as string | undefined) ?? null });
      return { status: 201, data: labelJson(name) };
    }
    return { status: 404, data: { message: "Not Found" } };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const parsed = new URL(req.url ?? "/", "http://stand-in");
      const method = req.method ?? "GET";
      const text = Buffer.concat(chunks).toString("utf8");
      const answer = (status: number, data: unknown, headers: Record<string, string> = {}) => {
        requests.push({ method, path: parsed.pathname, query: parsed.search, status });
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-github-api-version-selected": "2022-11-28", ...headers });
        res.end(data === undefined ? "" : JSON.stringify(data));
      };
      const auth = req.headers.authorization;
      if (auth !== `token ${TOKEN}` && auth !== `bearer ${TOKEN}`) {
        violations.push(`${method} ${parsed.pathname}: Authorization is ${auth ? "not the token" : "missing"}`);
        return answer(401, { message: "Bad credentials" });
      }
      const check = checkRequest(method, parsed.pathname, parsed.searchParams, text, req.headers["content-type"]);
      if (check.errors.length > 0) {
        violations.push(...check.errors);
        return answer(400, { message: check.errors.join("; ") });
      }
      const fault = faults.find((f) => f.times > 0 && f.match(method, parsed.pathname));
      if (fault && !fault.afterApply) {
        fault.times--;
        return answer(fault.status, { message: fault.message }, fault.headers);
      }
      const result = handle(method, parsed.pathname, parsed.searchParams, text ? (JSON.parse(text) as Record<string, unknown>) : {});
      if (result.status === 404) violations.push(`${method} ${parsed.pathname}: answered 404`);
      if (fault?.afterApply) {
        fault.times--;
        return answer(fault.status, { message: fault.message }, fault.headers);
      }
      answer(result.status, result.data, result.headers);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    issues,
    labels,
    requests,
    violations,
    faults,
    writes: () => requests.filter((r) => r.method !== "GET").length,
    reads: () => requests.filter((r) => r.method === "GET").length,
    reset: () => {
      requests.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function page(items: unknown[], query: URLSearchParams, self: string): { status: number; data: unknown; headers: Record<string, string> } {
  const per = Math.min(100, Number(query.get("per_page") ?? 30));
  const n = Number(query.get("page") ?? 1);
  const last = Math.max(1, Math.ceil(items.length / per));
  const headers: Record<string, string> = {};
  if (n < last) {
    const link = (p: number) => {
      const q = new URLSearchParams(query);
      q.set("page", String(p));
      return `${self}?${q}`;
    };
    headers.link = `<${link(n + 1)}>; rel="next", <${link(last)}>; rel="last"`;
  }
  return { status: 200, data: items.slice((n - 1) * per, n * per), headers };
}
