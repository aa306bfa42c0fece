import { existsSync } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CmdbError, fileProblem } from "../../util/errors.js";
import type { InventoryFile, SourceSnapshot, VarsTree } from "./transform.js";

/**
 * Reads what ansible-core would read for `-i PATH`: the file, or a directory's files in Ansible's
 * order (sorted, recursive, hidden names, group_vars/host_vars/vars_plugins and the default
 * INVENTORY_IGNORE_EXTS skipped), plus group_vars/ and host_vars/ beside the source.
 */

// ansible-core 2.14: REJECT_EXTS + ('.orig', '.ini', '.cfg', '.retry')
const IGNORED_EXTS = [".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"];
const IGNORED_NAMES = /^\.|^host_vars$|^group_vars$|^vars_plugins$/;

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function readInventoryFile(path: string): Promise<InventoryFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CmdbError(`the inventory file ${fileProblem(error, "read") ?? `cannot be read (${(error as Error).message})`}`, { where: path });
  }
  return { path, text, shebang: text.startsWith("#!") };
}

/**
 * A directory symlink that leads back to a directory being walked (`host_vars/web1 -> ..`) is a
 * loop: followed, it repeats the same files until the kernel's limit of 40 links (or, with two such
 * links, forever). Each directory's real path is checked against those of the directories above it;
 * a loop is not followed, and said.
 */
async function loopsBack(path: string, ancestors: string[], warnings: string[]): Promise<string[] | undefined> {
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return ancestors;
  if (ancestors.includes(real)) {
    warnings.push(`${path}: a symlink loop (it leads back to ${real}, which is already being read); not followed`);
    return undefined;
  }
  return [...ancestors, real];
}

async function collectDir(dir: string, files: InventoryFile[], skipped: string[], warnings: string[], ancestors: string[] = []): Promise<void> {
  const inside = await loopsBack(dir, ancestors, warnings);
  if (!inside) return;
  const names = (await readdir(dir)).sort(byBytes);
  for (const name of names) {
    if (IGNORED_NAMES.test(name)) continue;
    const path = join(dir, name);
    if (IGNORED_EXTS.some((ext) => name.endsWith(ext))) {
      skipped.push(path);
      continue;
    }
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) await collectDir(path, files, skipped, warnings, inside);
    else if (info?.isFile()) files.push(await readInventoryFile(path));
  }
}

async function readVarsTree(base: string, warnings: string[]): Promise<VarsTree> {
  const tree: VarsTree = new Map();
  const walk = async (rel: string, ancestors: string[]): Promise<void> => {
    const abs = join(base, rel);
    const info = await stat(abs).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) {
      const inside = await loopsBack(abs, ancestors, warnings);
      if (!inside) return;
      const names = await readdir(abs);
      tree.set(rel, { kind: "dir", names });
      for (const name of names) {
        if (!name.startsWith(".") && !name.endsWith("~")) await walk(`${rel}/${name}`, inside);
      }
    } else if (info.isFile()) {
      tree.set(rel, { kind: "file", text: await readFile(abs, "utf8"), path: abs });
    }
  };
  // The inventory directory itself is an ancestor: `host_vars/web1 -> ..` leads back to it.
  const root = [await realpath(base)];
  await walk("group_vars", root);
  await walk("host_vars", root);
  return tree;
}

/** Reads every `-i` argument; a comma-separated host list that is not a path is kept as text. */
export async function readInventorySources(paths: string[]): Promise<SourceSnapshot[]> {
  const out: SourceSnapshot[] = [];
  for (const given of paths) {
    const path = resolve(given);
    if (!existsSync(path)) {
      out.push(given.includes(",") ? { kind: "hostlist", spec: given } : { kind: "missing", path: given });
      continue;
    }
    const info = await stat(path);
    const files: InventoryFile[] = [];
    const skipped: string[] = [];
    const warnings: string[] = [];
    let varsBase: string;
    if (info.isDirectory()) {
      await collectDir(path, files, skipped, warnings);
      varsBase = path;
    } else {
      files.push(await readInventoryFile(path));
      varsBase = dirname(path);
    }
    const vars = await readVarsTree(await realpath(varsBase), warnings);
    out.push({ kind: info.isDirectory() ? "dir" : "file", path: info.isDirectory() ? path : join(dirname(path), basename(path)), files, skipped, vars, ...(warnings.length > 0 ? { warnings } : {}) });
  }
  return out;
}
