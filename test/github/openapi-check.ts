import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * Checks a request against GitHub's OpenAPI description (@octokit/openapi): the operation must
 * exist for the method and path, its path and query parameters must fit their schemas, and its JSON
 * body must fit the request body schema. A small JSON Schema checker covers what the description
 * uses for these operations (types, nullable, enums, required, properties, items, oneOf/anyOf/allOf).
 */
type Schema = Record<string, unknown>;
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}
interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
}

let spec: Spec | undefined;
function load(): Spec {
  if (!spec) {
    const require = createRequire(import.meta.url);
    spec = JSON.parse(readFileSync(require.resolve("@octokit/openapi/generated/api.github.com.json"), "utf8")) as Spec;
  }
  return spec;
}

function deref<T>(node: unknown): T {
  let n = node as { $ref?: string };
  while (n && typeof n.$ref === "string") {
    const parts = n.$ref.replace(/^#\//, "").split("/");
    let at: unknown = load();
    for (const p of parts) at = (at as Record<string, unknown>)[p];
    n = at as { $ref?: string };
  }
  return n as T;
}

const templates = new Map<string, { regex: RegExp; names: string[]; path: string }[]>();
function match(method: string, path: string): { operation: Operation; params: Record<string, string> } | undefined {
  const s = load();
  if (templates.size === 0) {
    for (const p of Object.keys(s.paths)) {
      const names: string[] = [];
      const pattern = p
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const name = /^\{([^}]+)\}$/.exec(part)?.[1];
          if (name) {
            names.push(name);
            return "([^/]+)";
          }
          return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
        })
        .join("");
      const regex = new RegExp(`^${pattern}$`);
      for (const m of Object.keys(s.paths[p]!)) templates.set(m, [...(templates.get(m) ?? []), { regex, names, path: p }]);
    }
  }
  // The most literal template wins: /repos/{owner}/{repo}/issues/comments before …/issues/{issue_number}.
  const candidates = (templates.get(method.toLowerCase()) ?? [])
    .map((t) => ({ t, m: t.regex.exec(path) }))
    .filter((x) => x.m)
    .sort((a, b) => a.t.names.length - b.t.names.length);
  const best = candidates[0];
  if (!best) return undefined;
  return {
    operation: s.paths[best.t.path]![method.toLowerCase()]!,
    params: Object.fromEntries(best.t.names.map((n, i) => [n, decodeURIComponent(best.m![i + 1]!)])),
  };
}

export function validate(value: unknown, schemaNode: unknown, at: string, errors: string[]): void {
  const schema = deref<Schema>(schemaNode);
  if (!schema || typeof schema !== "object") return;
  if (value === null) {
    if (schema.nullable === true || schema.type === "null" || (Array.isArray(schema.type) && schema.type.includes("null"))) return;
    if (!schema.type && !schema.oneOf && !schema.anyOf && !schema.allOf) return;
  }
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf) validate(value, s, at, errors);
  for (const key of ["oneOf", "anyOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options)) {
      const ok = options.filter((s) => {
        const e: string[] = [];
        validate(value, s, at, e);
        return e.length === 0;
      }).length;
      if (key === "oneOf" ? ok !== 1 : ok === 0) errors.push(`${at}: matches ${ok} of the ${key} schemas`);
      return;
    }
  }
  const type = schema.type as string | string[] | undefined;
  if (type && value !== null) {
    const types = Array.isArray(type) ? type : [type];
    const actual = Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
    const fits = types.some((t) => t === actual || (t === "number" && actual === "integer"));
    if (!fits) {
      errors.push(`${at}: expected ${types.join("|")}, got ${actual}`);
      return;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (Array.isArray(value) && schema.items) {
    for (const [i, v] of value.entries()) validate(v, schema.items, `${at}[${i}]`, errors);
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const props = (schema.properties ?? {}) as Record<string, unknown>;
    for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in value)) errors.push(`${at}: missing required ${r}`);
    for (const [k, v] of Object.entries(value)) {
      if (k in props) validate(v, props[k], `${at}.${k}`, errors);
      else if (schema.additionalProperties === false) errors.push(`${at}: unknown property ${k}`);
    }
  }
}

function coerce(text: string, schema: Schema | undefined): unknown {
  const s = deref<Schema>(schema);
  if (s?.type === "integer" || s?.type === "number") return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (s?.type === "boolean") return text === "true" ? true : text === "false" ? false : text;
  return text;
}

/** Problems with the request, empty when it fits the description; and the operation it names. */
export function checkRequest(method: string, path: string, query: URLSearchParams, body: string, contentType: string | undefined): { operationId?: string; errors: string[] } {
  const found = match(method, path);
  if (!found) return { errors: [`${method} ${path}: no such operation in GitHub's OpenAPI description`] };
  const { operation, params } = found;
  const errors: string[] = [];
  const declared = (operation.parameters ?? []).map((p) => deref<Parameter>(p));
  for (const p of declared.filter((x) => x.in === "path")) validate(coerce(params[p.name] ?? "", p.schema), p.schema, `path.${p.name}`, errors);
  for (const [name, value] of query) {
    const p = declared.find((x) => x.in === "query" && x.name === name);
    if (!p) errors.push(`query.${name}: not a parameter of ${operation.operationId}`);
    else validate(coerce(value, p.schema), p.schema, `query.${name}`, errors);
  }
  for (const p of declared.filter((x) => x.in === "query" && x.required)) if (!query.has(p.name)) errors.push(`query.${p.name}: required`);
  const bodySpec = operation.requestBody;
  if (bodySpec) {
    if (body === "") {
      if (bodySpec.required) errors.push("body: required");
    } else {
      if (!contentType?.startsWith("application/json")) errors.push(`body: content-type ${contentType} is not application/json`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        errors.push("body: not JSON");
      }
      if (parsed !== undefined) validate(parsed, bodySpec.content["application/json"]?.schema, "body", errors);
    }
  } else if (body !== "") errors.push(`body: ${operation.operationId} takes none`);
  return { operationId: operation.operationId, errors: errors.map((e) => `${operation.operationId} ${e}`) };
}
