import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.js";

/** What hcl2-parser (hcl2json) makes of a file: blocks as lists, expressions as `${…}` strings. */
export type Hcl = Record<string, unknown>;

const hcl = createRequire(import.meta.url)("hcl2-parser") as { parseToObject(text: string): [Hcl | null, unknown] };

export const TERRAFORM_DIR = join(REPO_ROOT, "terraform");
export const MODULE_DIR = join(TERRAFORM_DIR, "modules/cmdb-register");
export const EXAMPLE_DIR = join(TERRAFORM_DIR, "examples/proxmox-homelab");

export function parseTf(path: string): Hcl {
  const [parsed] = hcl.parseToObject(readFileSync(path, "utf8"));
  if (!parsed || typeof parsed !== "object") throw new Error(`${path}: hcl2-parser cannot parse it`);
  return parsed;
}

export function tfFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!name.startsWith(".")) out.push(...tfFilesUnder(path));
    } else if (name.endsWith(".tf")) out.push(path);
  }
  return out;
}

/** The blocks of every .tf file of a directory, merged by block type (Terraform reads them as one). */
export function parseDir(dir: string): Hcl {
  const merged: Record<string, Record<string, unknown> | unknown[]> = {};
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".tf"))) {
    for (const [kind, value] of Object.entries(parseTf(join(dir, name)))) {
      if (Array.isArray(value)) merged[kind] = [...((merged[kind] as unknown[]) ?? []), ...value];
      else merged[kind] = { ...((merged[kind] as Record<string, unknown>) ?? {}), ...(value as Record<string, unknown>) };
    }
  }
  return merged;
}

export type Scope = Record<string, unknown>;

/** The matching `}` of the `${` at `start`, skipping quoted strings and nested braces. */
function closing(text: string, start: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i;
  }
  throw new Error(`unclosed interpolation in ${text}`);
}

/** Splits `a ? b : c` at its top-level `?` and `:`. */
function conditional(expr: string): [string, string, string] | undefined {
  let depth = 0;
  let quoted = false;
  let q = -1;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "{" || ch === "(" || ch === "[") depth++;
    else if (ch === "}" || ch === ")" || ch === "]") depth--;
    else if (depth === 0 && ch === "?" && q < 0) q = i;
    else if (depth === 0 && ch === ":" && q >= 0) return [expr.slice(0, q), expr.slice(q + 1, i), expr.slice(i + 1)];
  }
  return undefined;
}

function lookup(path: string, scope: Scope): unknown {
  let value: unknown = scope;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || !(part in value)) throw new Error(`the renderer does not know ${path}`);
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Evaluates the few expression forms the module uses, as Terraform would: references
 * (`var.x`, `local.x.y`, `self.input.x`, `terraform.workspace`, `path.root`), `X == null ? A : B`,
 * and string templates. Anything else throws, so the module cannot outgrow its test unnoticed.
 */
export function evaluate(expr: string, scope: Scope): unknown {
  const e = expr.trim();
  const parts = conditional(e);
  if (parts) {
    const test = /^(.+?)\s*==\s*null$/.exec(parts[0].trim());
    if (!test) throw new Error(`the renderer does not know the condition ${parts[0]}`);
    return evaluate(evaluate(test[1]!, scope) === null ? parts[1] : parts[2], scope);
  }
  if (e.startsWith('"') && e.endsWith('"')) return render(e.slice(1, -1).replace(/\\(["\\])/g, "$1"), scope);
  if (/^[a-z_][\w.-]*$/i.test(e)) return lookup(e, scope);
  throw new Error(`the renderer does not know the expression ${e}`);
}

/** A value as hcl2json gives it: a whole `${expr}` is the expression's value, otherwise a template. */
export function render(value: unknown, scope: Scope): unknown {
  if (typeof value !== "string") {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, scope)]));
    }
    return value;
  }
  const start = value.indexOf("${");
  if (start === 0 && closing(value, 1) === value.length - 1) return evaluate(value.slice(2, -1), scope);
  let out = "";
  let at = 0;
  for (let i = value.indexOf("${"); i >= 0; i = value.indexOf("${", at)) {
    const end = closing(value, i + 1);
    out += value.slice(at, i) + String(evaluate(value.slice(i + 2, end), scope));
    at = end + 1;
  }
  return out + value.slice(at);
}

export interface HookCommand {
  command: string;
  environment: Record<string, string>;
  workingDir: string;
}

/**
 * The commands the module's provisioners run, rendered for these module arguments: what
 * `terraform apply` runs after creating the register hook, and what a destroy runs for the
 * deregister hook whose id is `hookId`. The secret environment is not rendered: the caller
 * passes the database URL in the environment, as the user's export does.
 */
export function hookCommands(args: Record<string, unknown>, context: { workspace?: string; root: string; hookId: string }) {
  const module = parseDir(MODULE_DIR);
  const variables = module.variable as Record<string, [Hcl]>;
  const unknown = Object.keys(args).filter((name) => !(name in variables));
  if (unknown.length > 0) throw new Error(`the module has no variable ${unknown.join(", ")}`);
  const vars = Object.fromEntries(Object.entries(variables).map(([name, [body]]) => [name, name in args ? args[name] : (body.default ?? null)]));
  const base: Scope = { var: vars, terraform: { workspace: context.workspace ?? "default" }, path: { root: context.root } };
  const locals = (module.locals as Hcl[])[0]!;
  const settings = render(locals.settings, base) as Record<string, string>;
  const resources = (module.resource as Record<string, Record<string, [Hcl]>>).terraform_data!;
  const provisioner = (name: string) => ((resources[name]![0].provisioner as Hcl)["local-exec"] as Hcl[])[0]!;

  const register = provisioner("register");
  const registerScope: Scope = { ...base, local: { settings }, self: { input: render(resources.register![0].input, { ...base, local: { settings } }) } };
  // environment = merge(local.secret_environment, { NAME = expr … }): the object's lines are read.
  const merged = /^\$\{merge\(local\.secret_environment, \{([\s\S]*)\}\)\}$/.exec(String(register.environment));
  if (!merged) throw new Error(`the register hook's environment is not merge(local.secret_environment, {…}): ${String(register.environment)}`);
  const registerEnv: Record<string, string> = {};
  for (const line of merged[1]!.split("\n")) {
    const m = /^\s*([A-Z_]+)\s*=\s*(.+?)\s*$/.exec(line);
    if (m) registerEnv[m[1]!] = String(evaluate(m[2]!, registerScope));
  }

  const deregister = provisioner("deregister");
  const deregisterScope: Scope = { self: { id: context.hookId, triggers_replace: render(resources.deregister![0].triggers_replace, { ...base, local: { settings } }) } };
  return {
    settings,
    apply: {
      command: String(render(register.command, registerScope)),
      environment: registerEnv,
      workingDir: String(render(register.working_dir, registerScope)),
    } satisfies HookCommand,
    destroy: {
      command: String(render(deregister.command, deregisterScope)),
      environment: render(deregister.environment, deregisterScope) as Record<string, string>,
      workingDir: String(render(deregister.working_dir, deregisterScope)),
    } satisfies HookCommand,
  };
}
