import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { z } from "zod";
import { CmdbError } from "../util/errors.js";

/**
 * The demo's stand-in for a Proxmox VE API: a loopback HTTP server that answers the real client
 * with the answers recorded in examples/proxmox/<cluster>/ (a `routes.json` naming the file that
 * answers each request line). It checks what it is asked as PVE would: reads only, under
 * /api2/json, with the demo's API token. A request it has no answer for is an error of the demo,
 * never a silent gap: the collection would retire what it did not see.
 */
export const DEMO_TOKEN_ID = "cmdb@pve!demo";
/** Not a secret: the replay server accepts it and nothing else does. */
export const DEMO_TOKEN_SECRET = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

const routesSchema = z.object({
  routes: z.array(z.object({ request: z.string().regex(/^GET \/api2\/json\/\S+$/, "a request line such as GET /api2/json/nodes"), file: z.string().min(1) })),
});

export interface Replay {
  url: string;
  /** What was asked that the recording could not answer, or asked wrongly. */
  problems: string[];
  close: () => Promise<void>;
}

/** `GET /path?b=2&a=1` and `GET /path?a=1&b=2` are one request. */
function requestKey(method: string, rawUrl: string): string {
  const url = new URL(rawUrl, "http://replay");
  const query = [...url.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method} ${url.pathname}${query.length > 0 ? `?${new URLSearchParams(query).toString()}` : ""}`;
}

/** Reads the recording (every file, up front: a broken recording fails before anything is ingested) and serves it. */
export async function startProxmoxReplay(dir: string): Promise<Replay> {
  const manifestFile = join(dir, "routes.json");
  let manifest: z.infer<typeof routesSchema>;
  try {
    const checked = routesSchema.safeParse(JSON.parse(readFileSync(manifestFile, "utf8")));
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new CmdbError(`${issue.path.join(".")}: ${issue.message}`, { where: manifestFile });
    }
    manifest = checked.data;
  } catch (error) {
    if (error instanceof CmdbError) throw error;
    throw new CmdbError(`cannot read the recorded Proxmox answers: ${(error as Error).message}`, { where: manifestFile });
  }
  const answers = new Map<string, string>();
  for (const route of manifest.routes) {
    const [method, path] = route.request.split(" ") as [string, string];
    const file = join(dir, route.file);
    let body: string;
    try {
      body = readFileSync(file, "utf8");
      JSON.parse(body);
    } catch (error) {
      throw new CmdbError(`the recorded answer to ${route.request} is not readable JSON: ${(error as Error).message}`, { where: file });
    }
    answers.set(requestKey(method, path), body);
  }
  const problems: string[] = [];
  const expectedAuth = `PVEAPIToken=${DEMO_TOKEN_ID}=${DEMO_TOKEN_SECRET}`;
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const key = requestKey(req.method ?? "GET", req.url ?? "/");
    const body = answers.get(key);
    let problem: string | undefined;
    if (req.method !== "GET") problem = `${key}: discovery must only read`;
    else if (req.headers.authorization !== expectedAuth) problem = `${key}: not the demo's API token`;
    else if (body === undefined) problem = `${key}: no recorded answer`;
    if (problem) {
      problems.push(problem);
      res.writeHead(problem.endsWith("no recorded answer") ? 404 : 401, { "content-type": "application/json;charset=UTF-8" });
      res.end(JSON.stringify({ data: null }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json;charset=UTF-8" });
    res.end(body);
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    problems,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
