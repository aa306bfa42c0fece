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

async function collectDir(dir: string, files: InventoryFile[], skipped: string[]): Promise<void> {
  const names = (await readdir(dir)).sort(byBytes);
  for (const name of names) {
    if (IGNORED_NAMES.test(name)) continue;
    const path = join(dir, name);
    if (IGNORED_EXTS.some((ext) => name.endsWith(ext))) {
      skipped.push(path);
      continue;
    }
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) await collectDir(path, files, skipped);
    else if (info?.isFile()) files.push(await readInventoryFile(path));
  }
}

async function readVarsTree(base: string): Promise<VarsTree> {
  const tree: VarsTree = new Map();
  const walk = async (rel: string): Promise<void> => {
    const abs = join(base, rel);
    const info = await stat(abs).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) {
      const names = await readdir(abs);
      tree.set(rel, { kind: "dir", names });
      for (const name of names) {
        if (!name.startsWith(".") && !name.endsWith("~")) await walk(`${rel}/${name}`);
      }
    } else if (info.isFile()) {
      tree.set(rel, { kind: "file", text: await readFile(abs, "utf8"), path: abs });
    }
  };
  await walk("group_vars");
  await walk("host_vars");
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
    let varsBase: string;
    if (info.isDirectory()) {
      await collectDir(path, files, skipped);
      varsBase = path;
    } else {
      files.push(await readInventoryFile(path));
      varsBase = dirname(path);
    }
    const vars = await readVarsTree(await realpath(varsBase));
    out.push({ kind: info.isDirectory() ? "dir" : "file", path: info.isDirectory() ? path : join(dirname(path), basename(path)), files, skipped, vars });
  }
  return out;
}
