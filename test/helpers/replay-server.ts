import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

/**
 * A local HTTP(S) server on 127.0.0.1 that answers real client libraries with recorded responses
 * and checks every request it gets: a request no route expects, or one the `check` rejects, is
 * answered with an error AND recorded in `violations`, which each test asserts empty.
 */
export interface ReplayRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body as a form (AWS Query protocol), parsed when it is one. */
  form: URLSearchParams;
}

export interface ReplayReply {
  status?: number;
  statusText?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface ReplayRoute {
  /** Says what the route answers, in violation messages. */
  name: string;
  /** An exact request line, `GET /path?a=1&b=2` (query order does not matter); looked up in a table. */
  request?: string;
  /** Or any test of the request. */
  match?: (request: ReplayRequest) => boolean;
  /** One reply, replies in turn (the last repeats), or a function of the request. */
  reply: ReplayReply | ReplayReply[] | ((request: ReplayRequest) => ReplayReply);
}

export interface ReplayServerOptions {
  routes: ReplayRoute[];
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Added to every answer, to measure a client under realistic round trips. */
  latencyMs?: number;
  /** A violation message for a request that is wrong whatever it asks for (missing auth…), or undefined. */
  check?: (request: ReplayRequest) => string | undefined;
}

export interface ReplayServer {
  url: string;
  port: number;
  requests: ReplayRequest[];
  violations: string[];
  /** How many requests a route answered. */
  hits: (name: string) => number;
  /** The most requests that were being answered at the same moment. */
  maxInFlight: () => number;
  close: () => Promise<void>;
}

export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const requests: ReplayRequest[] = [];
  const violations: string[] = [];
  const hits = new Map<string, number>();
  const table = new Map(options.routes.filter((r) => r.request).map((r) => [requestKey(r.request!), r]));
  const matchers = options.routes.filter((r) => r.match);
  let inFlight = 0;
  let maxInFlight = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once("close", () => inFlight--);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://replay");
    const isForm = String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    const request: ReplayRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      form: new URLSearchParams(isForm ? body : ""),
    };
    requests.push(request);
    const describe = `${request.method} ${url.pathname}${url.search}${request.form.get("Action") ? ` Action=${request.form.get("Action")}` : ""}`;
    const problem = options.check?.(request);
    let reply: ReplayReply;
    if (problem) {
      violations.push(`${describe}: ${problem}`);
      reply = { status: 400, body: `replay server: ${problem}` };
    } else {
      const route = table.get(requestKey(`${request.method} ${url.pathname}${url.search}`)) ?? matchers.find((r) => r.match!(request));
      if (!route) {
        violations.push(`${describe}: no route expects this request`);
        reply = { status: 501, body: "replay server: unexpected request" };
      } else {
        const n = hits.get(route.name) ?? 0;
        hits.set(route.name, n + 1);
        reply =
          typeof route.reply === "function" ? route.reply(request) : Array.isArray(route.reply) ? route.reply[Math.min(n, route.reply.length - 1)]! : route.reply;
      }
    }
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    const payload = Buffer.from(reply.body ?? "", "utf8");
    res.statusCode = reply.status ?? 200;
    if (reply.statusText) res.statusMessage = reply.statusText;
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    res.setHeader("content-length", payload.length);
    res.end(payload);
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      violations.push(`server error: ${String(error)}`);
      res.statusCode = 500;
      res.end();
    });
  };
  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createHttpServer(listener);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    requests,
    violations,
    hits: (name) => hits.get(name) ?? 0,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `METHOD path?query` with the query sorted, so that parameter order does not matter. */
function requestKey(line: string): string {
  const [method, target = "/"] = line.split(" ");
  const url = new URL(target, "http://replay");
  url.searchParams.sort();
  return `${method} ${url.pathname}?${url.searchParams}`;
}
