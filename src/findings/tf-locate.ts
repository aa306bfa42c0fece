import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { CmdbError } from "../util/errors.js";

/** Where a resource (or a module call) is declared: a file relative to the Terraform directory, and its line. */
export interface DeclaredAt {
  file: string;
  line: number;
}

/**
 * The line of every resource block and module call in the `.tf` files of `dir` (not descending
 * into `.terraform`). hcl2-parser checks that each file is HCL and says which blocks it declares;
 * the parser reports no positions, so each block's line is found by its header.
 */
export async function locateResources(dir: string): Promise<Map<string, DeclaredAt>> {
  const { default: hcl } = (await import("hcl2-parser")) as unknown as { default: { parseToObject(text: string): [Record<string, unknown> | null, unknown] } };
  const out = new Map<string, DeclaredAt>();
  for (const path of tfFiles(dir)) {
    const text = readFileSync(path, "utf8");
    const [parsed] = hcl.parseToObject(text);
    if (!parsed) throw new CmdbError("not valid HCL", { where: path, hint: "run `terraform validate` there" });
    const file = relative(dir, path).split("\\").join("/");
    const resources = (parsed.resource ?? {}) as Record<string, Record<string, unknown>>;
    const modules = (parsed.module ?? {}) as Record<string, unknown>;
    const lines = text.split(/\r?\n/);
    const lineOf = (header: RegExp) => lines.findIndex((l) => header.test(l)) + 1;
    for (const [type, byName] of Object.entries(resources)) {
      for (const name of Object.keys(byName)) {
        const line = lineOf(new RegExp(`^\\s*resource\\s+"${reEscape(type)}"\\s+"${reEscape(name)}"\\s*\\{`));
        if (line > 0) out.set(`${type}.${name}`, { file, line });
      }
    }
    for (const name of Object.keys(modules)) {
      const line = lineOf(new RegExp(`^\\s*module\\s+"${reEscape(name)}"\\s*\\{`));
      if (line > 0) out.set(`module.${name}`, { file, line });
    }
  }
  return out;
}

function tfFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (error) {
    throw new CmdbError(`cannot read the Terraform directory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { where: dir, exitCode: 2 });
  }
  const out: string[] = [];
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== ".terraform" && !name.startsWith(".")) out.push(...tfFiles(path));
    } else if (name.endsWith(".tf")) out.push(path);
  }
  return out;
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The block that declares a Terraform address: `aws_instance.web[0]` → `aws_instance.web`; a
 * resource inside a module → the root module's `module "name"` call.
 */
export function declaringBlock(address: string): string {
  const bare = address.replace(/\[[^\]]*\]/g, "");
  const m = /^module\.([^.]+)\./.exec(bare);
  return m ? `module.${m[1]}` : bare;
}
