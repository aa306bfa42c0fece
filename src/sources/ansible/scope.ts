import { isAbsolute, normalize, relative, resolve, sep } from "node:path";

/**
 * A path the user gave, spelled the same however it was typed: relative to `cwd` when it lies
 * inside it (`./inv/hosts`, `inv/hosts/` and `/repo/inv/hosts` from /repo all read `inv/hosts`),
 * absolute otherwise, `/` separators. Comma-separated host lists (`-i 'a,b,'`) are kept as typed.
 * Pure: `cwd` is an argument so that a spooled playbook document keeps the directory it ran in.
 */
export function stablePath(path: string, cwd: string): string {
  if (path.includes(",") && !path.includes("/")) return path;
  const absolute = resolve(cwd, path);
  const rel = relative(cwd, absolute);
  const inside = rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  const chosen = inside ? (rel === "" ? "." : rel) : normalize(absolute);
  return chosen.split(sep).join("/").replace(/\/+$/, "") || "/";
}

/** `ansible:<path>` for one inventory, `ansible:<a> + <b>` for several `-i` (Ansible merges them into one inventory). */
export function inventoryScope(paths: string[], cwd: string): string {
  return `ansible:${paths.map((p) => stablePath(p, cwd)).join(" + ")}`;
}

/**
 * What a fact cache is: its absolute, normalized path. Unlike an inventory, read from a checkout
 * wherever it is, a cache is one place on one machine, so the directory the command ran in must
 * not make a second scope of it (the first would never be retired).
 */
export function absolutePath(path: string, cwd: string): string {
  return normalize(resolve(cwd, path)).split(sep).join("/").replace(/(.)\/+$/, "$1");
}
