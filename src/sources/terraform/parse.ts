import type { z } from "zod";
import { CmdbError } from "../../util/errors.js";
import type { PathStep } from "../../util/redact.js";
import { configAddress, type InstanceKey, instanceAddress } from "./address.js";
import { expandFlatmap } from "./flatmap.js";
import { makeStorable } from "../../util/json-safety.js";
import { locateJsonError } from "./json-error.js";

/** The scanner recurses per nesting level: a text nested deeper than the stack is named without a position. */
function safeLocate(body: string): ReturnType<typeof locateJsonError> {
  try {
    return locateJsonError(body);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
import { type SensitivePathStep, type ShowModule, ShowState, StateV3, StateV4 } from "./schema.js";

export type StateFormat = "state-v4" | "state-v3" | "show-json";

/** One resource instance object of a state, in one shape whatever format it came from. */
export interface StateInstance {
  /** Exactly as Terraform writes it: `module.net["a"].aws_subnet.this[0]`. */
  address: string;
  /** The module instance (`module.net["a"]`), `""` for the root module. */
  module: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  indexKey?: InstanceKey;
  /** The provider configuration (`provider["registry.terraform.io/hashicorp/aws"].east`) or, from show -json, the provider source. */
  provider: string;
  /** The resource's values as stored: NOT yet redacted. */
  attributes: Record<string, unknown>;
  /** Paths Terraform marked sensitive (sensitive_attributes, sensitive_values). */
  sensitivePaths: PathStep[][];
  tainted: boolean;
  /** Set for deposed objects (the old half of a create-before-destroy replacement). */
  deposed?: string;
  /** Configuration addresses of what this instance depends on. */
  dependencies: string[];
}

export interface ParsedState {
  format: StateFormat;
  /** `4`, `3`, or show -json's `format_version`. */
  formatVersion: string;
  terraformVersion?: string;
  serial?: number;
  /** Absent for show -json, which does not carry it. */
  lineage?: string;
  origin: string;
  instances: StateInstance[];
  /** Values changed to be storable (NUL, lone surrogates, numbers beyond a double), by JSON path. */
  notes?: string[];
}

function withNotes(state: ParsedState, notes: string[]): ParsedState {
  return notes.length > 0 ? { ...state, notes } : state;
}

const UPGRADE_HINT =
  "run `terraform state pull > state.json` with Terraform >= 0.12, which rewrites the state as version 4, and ingest that";

/**
 * Reads a state: format version 4 (`terraform.tfstate`, `terraform state pull`), legacy version 3,
 * or `terraform show -json`. Pure; errors are CmdbErrors whose `where` names the origin and the line
 * and column or JSON path.
 */
export function parseTerraformState(text: string, origin: string): ParsedState {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === "") {
    throw new CmdbError("the input is empty, not a Terraform state", {
      where: origin,
      hint: "a state is JSON: point at terraform.tfstate, or pipe `terraform state pull` into `-`",
    });
  }
  if (looksBinary(body)) {
    throw new CmdbError("the input is binary data, not a Terraform state (JSON text)", {
      where: origin,
      hint: "compressed or encrypted states must be decoded first; `terraform state pull` prints the plain state",
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    const at = safeLocate(body);
    const where = at ? `${origin}:${at.line}:${at.column}` : origin;
    const detail = at ? at.expected : error instanceof Error ? error.message : String(error);
    throw new CmdbError(`invalid JSON: ${detail}`, { where, hint: "the state file is truncated or not JSON" });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new CmdbError(
      `expected a JSON object (a Terraform state or \`terraform show -json\` output), found ${describe(raw)}`,
      { where: `${origin} at $` },
    );
  }
  const notes = makeStorable(raw, origin);
  const top = raw as Record<string, unknown>;
  if ("encrypted_data" in top) {
    throw new CmdbError("this state is encrypted (OpenTofu state encryption)", {
      where: origin,
      hint: "pull it in plain form with `tofu state pull` where the key is configured",
    });
  }
  if ("format_version" in top) {
    if ("resource_changes" in top || "planned_values" in top) {
      throw new CmdbError("this is `terraform show -json` output of a plan, not of a state", {
        where: origin,
        hint: "run `terraform show -json` without a plan file to show the current state",
      });
    }
    return withNotes(parseShowJson(top, origin), notes);
  }
  if (!("version" in top)) {
    throw new CmdbError("not a Terraform state: it has neither `version` nor `format_version`", {
      where: `${origin} at $`,
      hint: "expected terraform.tfstate, `terraform state pull` or `terraform show -json` output",
    });
  }
  const version = top.version;
  if (version === 4) return withNotes(parseV4(top, origin), notes);
  if (version === 3) return withNotes(parseV3(top, origin), notes);
  if (typeof version === "number" && Number.isInteger(version) && version >= 0 && version < 3) {
    throw new CmdbError(`state format version ${version} (Terraform 0.8 and earlier) is not supported`, {
      where: `${origin} at $.version`,
      hint: UPGRADE_HINT,
    });
  }
  if (typeof version === "number" && Number.isInteger(version) && version > 4) {
    throw new CmdbError(`state format version ${version} is newer than this cmdb understands (it reads 3 and 4)`, {
      where: `${origin} at $.version`,
      hint: "upgrade gitops-cmdb, or ingest `terraform show -json` output instead",
    });
  }
  throw new CmdbError(`expected \`version\` to be a state format number, found ${describe(version)}`, {
    where: `${origin} at $.version`,
  });
}

function parseV4(raw: unknown, origin: string): ParsedState {
  const state = validate(StateV4, raw, origin);
  const instances: StateInstance[] = [];
  for (const resource of state.resources ?? []) {
    const module = resource.module ?? "";
    for (const instance of resource.instances) {
      const indexKey = instance.index_key ?? undefined;
      instances.push({
        address: instanceAddress(module, resource.mode, resource.type, resource.name, indexKey),
        module,
        mode: resource.mode,
        type: resource.type,
        name: resource.name,
        ...(indexKey === undefined ? {} : { indexKey }),
        provider: resource.provider,
        attributes: instance.attributes ?? (instance.attributes_flat ? expandFlatmap(instance.attributes_flat) : {}),
        sensitivePaths: (instance.sensitive_attributes ?? []).map((path) => path.map(pathStep)),
        tainted: instance.status === "tainted",
        ...(instance.deposed ? { deposed: instance.deposed } : {}),
        dependencies: instance.dependencies ?? [],
      });
    }
  }
  return {
    format: "state-v4",
    formatVersion: "4",
    terraformVersion: state.terraform_version,
    serial: state.serial,
    lineage: state.lineage,
    origin,
    instances,
  };
}

function pathStep(step: SensitivePathStep): PathStep {
  if (step.type === "get_attr") return String(step.value);
  return typeof step.value === "object" ? step.value.value : step.value;
}

function parseV3(raw: unknown, origin: string): ParsedState {
  const state = validate(StateV3, raw, origin);
  const instances: StateInstance[] = [];
  for (const [m, module] of state.modules.entries()) {
    const moduleAddr = module.path
      .slice(1)
      .map((name) => `module.${name}`)
      .join(".");
    for (const [key, resource] of Object.entries(module.resources ?? {})) {
      const parsed = parseV3Key(key);
      if (!parsed) {
        throw new CmdbError(`expected a resource key like \`type.name\` or \`type.name.0\`, found "${key}"`, {
          where: `${origin} at $.modules[${m}].resources[${JSON.stringify(key)}]`,
        });
      }
      const base = {
        module: moduleAddr,
        mode: parsed.mode,
        type: resource.type,
        name: parsed.name,
        ...(parsed.index === undefined ? {} : { indexKey: parsed.index }),
        address: instanceAddress(moduleAddr, parsed.mode, resource.type, parsed.name, parsed.index),
        provider: resource.provider || `provider.${resource.type.split("_")[0]}`,
        sensitivePaths: [],
        dependencies: (resource.depends_on ?? []).map((dep) => v3Dependency(dep, moduleAddr)),
      };
      const objects = [
        ...(resource.primary ? [{ object: resource.primary, deposed: undefined }] : []),
        ...(resource.deposed ?? []).map((object, i) => ({ object, deposed: `v3-deposed-${i}` })),
      ];
      for (const { object, deposed } of objects) {
        const attributes = expandFlatmap(object.attributes ?? {});
        if (object.id !== undefined && attributes.id === undefined) attributes.id = object.id;
        instances.push({ ...base, attributes, tainted: object.tainted === true, ...(deposed ? { deposed } : {}) });
      }
    }
  }
  return {
    format: "state-v3",
    formatVersion: "3",
    ...(state.terraform_version ? { terraformVersion: state.terraform_version } : {}),
    serial: state.serial,
    lineage: state.lineage,
    origin,
    instances,
  };
}

function parseV3Key(key: string): { mode: "managed" | "data"; name: string; index?: number } | undefined {
  const parts = key.split(".");
  const mode = parts[0] === "data" ? "data" : "managed";
  const rest = mode === "data" ? parts.slice(1) : parts;
  if (rest.length < 2 || rest.length > 3 || !rest[0] || !rest[1]) return undefined;
  if (rest.length === 3) {
    if (!/^\d+$/.test(rest[2]!)) return undefined;
    return { mode, name: rest[1], index: Number(rest[2]) };
  }
  return { mode, name: rest[1] };
}

/** v3 `depends_on` is relative to the module and may name `type.name.*` or `type.name.0`. */
function v3Dependency(dep: string, moduleAddr: string): string {
  const resource = dep.replace(/\.(\*|\d+)$/, "");
  return moduleAddr ? `${configAddress(moduleAddr)}.${resource}` : resource;
}

function parseShowJson(raw: unknown, origin: string): ParsedState {
  const state = validate(ShowState, raw, origin);
  const major = Number(state.format_version.split(".")[0]);
  if (major > 1) {
    throw new CmdbError(
      `\`terraform show -json\` format_version ${state.format_version} is newer than this cmdb understands (it reads 0.x and 1.x)`,
      { where: `${origin} at $.format_version`, hint: "upgrade gitops-cmdb, or ingest the state file itself" },
    );
  }
  const instances: StateInstance[] = [];
  const walk = (module: ShowModule) => {
    for (const resource of module.resources ?? []) {
      instances.push({
        address: resource.address,
        module: module.address ?? "",
        mode: resource.mode,
        type: resource.type,
        name: resource.name,
        ...(resource.index === undefined ? {} : { indexKey: resource.index }),
        provider: resource.provider_name ?? "",
        attributes: resource.values ?? {},
        sensitivePaths: mirrorPaths(resource.sensitive_values, []),
        tainted: resource.tainted === true,
        ...(resource.deposed_key ? { deposed: resource.deposed_key } : {}),
        dependencies: resource.depends_on ?? [],
      });
    }
    for (const child of module.child_modules ?? []) walk(child);
  };
  if (state.values?.root_module) walk(state.values.root_module);
  return {
    format: "show-json",
    formatVersion: state.format_version,
    ...(state.terraform_version ? { terraformVersion: state.terraform_version } : {}),
    origin,
    instances,
  };
}

/** show -json's `sensitive_values` mirrors the value's shape with `true` where a value is sensitive. */
function mirrorPaths(mirror: unknown, prefix: PathStep[]): PathStep[][] {
  if (mirror === true) return [prefix];
  if (Array.isArray(mirror)) return mirror.flatMap((item, i) => mirrorPaths(item, [...prefix, i]));
  if (mirror !== null && typeof mirror === "object") {
    return Object.entries(mirror).flatMap(([key, item]) => mirrorPaths(item, [...prefix, key]));
  }
  return [];
}

function validate<S extends z.ZodType>(schema: S, raw: unknown, origin: string): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = jsonPath(issue.path);
  const found = describe(valueAt(raw, issue.path));
  throw new CmdbError(`unexpected state shape: ${issue.message.replace(/^Invalid input: /, "")} (found ${found})`, {
    where: `${origin} at ${at}`,
    hint: "the file is not a Terraform state this cmdb reads, or it was edited by hand",
  });
}

function jsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const step of path) {
    if (typeof step === "number") out += `[${step}]`;
    else if (typeof step === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(step)) out += `.${step}`;
    else out += `[${JSON.stringify(String(step))}]`;
  }
  return out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const step of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[step];
  }
  return node;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function looksBinary(text: string): boolean {
  const sample = text.slice(0, 4096);
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0) return true;
    if (c === 0xfffd || (c < 0x20 && c !== 9 && c !== 10 && c !== 13)) odd++;
  }
  return odd > sample.length / 200;
}
