import type { Driver } from "neo4j-driver";
import { CmdbError, UsageError } from "../../util/errors.js";

/**
 * The one door to neo4j-driver, loaded only when a graph command runs. Credentials come from
 * NEO4J_USERNAME / NEO4J_PASSWORD alone (never from the URL or the command line) and appear in no
 * message.
 */

export interface Neo4jTarget {
  url: string;
  /** The database to use (default: the server's default database). */
  database?: string;
}

const SCHEMES = ["bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"];

/** Where the projection goes: --neo4j, else CMDB_NEO4J_URL, else the configuration's graph.neo4j.url. */
export function resolveTarget(flag: string | undefined, config: { url?: string; database?: string } | undefined, env: NodeJS.ProcessEnv = process.env): Neo4jTarget {
  const url = flag ?? env.CMDB_NEO4J_URL ?? config?.url;
  if (!url) {
    throw new UsageError("no Neo4j server named", { hint: "pass --neo4j bolt://host:7687, set CMDB_NEO4J_URL, or graph.neo4j.url in the configuration" });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//***@"))}`, { where: "--neo4j", hint: "bolt://host:7687 or neo4j://host:7687" });
  }
  const scheme = parsed.protocol.replace(/:$/, "");
  if (!SCHEMES.includes(scheme)) {
    throw new UsageError(`the scheme ${scheme}:// is not Bolt`, { where: "--neo4j", hint: `use one of ${SCHEMES.map((s) => `${s}://`).join(", ")}` });
  }
  if (parsed.username || parsed.password) {
    throw new UsageError("the Neo4j URL carries credentials", {
      where: "--neo4j",
      hint: "remove them from the URL and set NEO4J_USERNAME and NEO4J_PASSWORD instead",
    });
  }
  return { url, ...(config?.database ? { database: config.database } : {}) };
}

export async function openDriver(target: Neo4jTarget, env: NodeJS.ProcessEnv = process.env): Promise<Driver> {
  const neo4j = (await import("neo4j-driver")).default;
  const user = env.NEO4J_USERNAME;
  const password = env.NEO4J_PASSWORD;
  const auth = user || password ? neo4j.auth.basic(user || "neo4j", password ?? "") : undefined;
  return neo4j.driver(target.url, auth, {
    userAgent: "gitops-cmdb",
    telemetryDisabled: true,
    connectionAcquisitionTimeout: 60_000,
    connectionTimeout: 30_000,
    disableLosslessIntegers: false,
  });
}

/** Parameters as Neo4j should store them: whole numbers as INTEGER (the driver sends a JS number as FLOAT). */
export function toNeo4jValue(value: unknown): unknown {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toNeo4jValue);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toNeo4jValue(v);
    return out;
  }
  return value;
}

/** A result value as plain JSON: integers as numbers (or text beyond 2^53), graph values as objects. */
export function fromNeo4jValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(fromNeo4jValue);
  if (typeof value !== "object") return value;
  const v = value as Record<string, unknown> & { constructor?: { name?: string } };
  const kind = v.constructor?.name;
  if (kind === "Integer") {
    const int = value as { inSafeRange(): boolean; toNumber(): number; toString(): string };
    return int.inSafeRange() ? int.toNumber() : int.toString();
  }
  if (kind === "Node") return { elementId: v.elementId, labels: v.labels, properties: fromNeo4jValue(v.properties) };
  if (kind === "Relationship") {
    return { elementId: v.elementId, type: v.type, start: v.startNodeElementId, end: v.endNodeElementId, properties: fromNeo4jValue(v.properties) };
  }
  if (kind === "Path") {
    const segments = (v.segments as { start: unknown; relationship: unknown; end: unknown }[]).map((s) => ({
      start: fromNeo4jValue(s.start),
      relationship: fromNeo4jValue(s.relationship),
      end: fromNeo4jValue(s.end),
    }));
    return { start: fromNeo4jValue(v.start), end: fromNeo4jValue(v.end), segments };
  }
  if (["Date", "DateTime", "LocalDateTime", "LocalTime", "Time", "Duration", "Point"].includes(kind ?? "")) return String(value);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = fromNeo4jValue(x);
  return out;
}

/** A driver error as one sentence naming the server, with what to do; never a credential. */
export function describeNeo4jError(error: unknown, target: Neo4jTarget): CmdbError {
  if (error instanceof CmdbError) return error;
  const e = error as { code?: string; message?: string };
  const where = target.url;
  const code = e.code ?? "";
  if (code === "Neo.ClientError.Security.Unauthorized" || code === "Neo.ClientError.Security.AuthenticationRateLimit") {
    return new CmdbError("Neo4j refused the credentials", { where, hint: "check NEO4J_USERNAME and NEO4J_PASSWORD", cause: error });
  }
  if (code === "ServiceUnavailable" || code === "SessionExpired") {
    return new CmdbError(`cannot reach Neo4j: ${firstLine(e.message)}`, { where, hint: "is the server running and the Bolt port open?", cause: error });
  }
  if (code.startsWith("Neo.ClientError.Statement.AccessMode") || code === "Neo.ClientError.Statement.AccessMode") {
    return new UsageError(`Neo4j refused a write in a read transaction: ${firstLine(e.message)}`, { where });
  }
  return new CmdbError(`Neo4j: ${code ? `${code}: ` : ""}${firstLine(e.message)}`, { where, cause: error });
}

const firstLine = (s: string | undefined): string => (s ?? "unknown error").split("\n")[0]!;
