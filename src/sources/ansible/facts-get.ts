import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { CmdbError } from "../../util/errors.js";

export interface FactsFile {
  /** The inventory host name for a fact-cache file (its name), none for a single setup output. */
  host?: string;
  where: string;
  document: unknown;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CmdbError(`not valid JSON (${error instanceof Error ? error.message : String(error)})`, {
      where,
      hint: "give the JSON of `ansible -m setup` (without the `host | SUCCESS =>` prefix), or a jsonfile fact-cache directory",
    });
  }
}

async function readText(path: string, stdin: NodeJS.ReadableStream | undefined): Promise<string> {
  if (path !== "-") return readFile(path, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of stdin ?? process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString("utf8");
}

/** `ansible -m setup` prints `host | SUCCESS => {…}`; accept that line too, it is what people paste. */
function stripAdhocPrefix(text: string): { host?: string; json: string } {
  const m = /^\s*([^\s|]+)\s*\|\s*SUCCESS\s*=>\s*/.exec(text);
  return m ? { host: m[1]!, json: text.slice(m[0].length) } : { json: text };
}

/**
 * Reads one facts file (or `-`), or a directory of one file per host: a jsonfile fact cache
 * (`fact_caching_connection`) or `ansible --tree` output. Hidden files are skipped; a file that is
 * not JSON fails the whole read, so that a partial cache never passes for a complete one.
 */
export async function readFactsInput(path: string, options: { stdin?: NodeJS.ReadableStream; prefix?: string } = {}): Promise<{ kind: "file" | "dir"; files: FactsFile[] }> {
  let isDir = false;
  if (path !== "-") {
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (error) {
      throw new CmdbError("cannot read the facts", { where: path, hint: "give a facts JSON file, - for stdin, or a fact-cache directory", cause: error });
    }
  }
  if (!isDir) {
    const where = path === "-" ? "stdin" : path;
    const { host, json } = stripAdhocPrefix(await readText(path, options.stdin));
    return { kind: "file", files: [{ ...(host ? { host } : {}), where, document: parseJson(json, where) }] };
  }
  const prefix = options.prefix ?? "";
  const names = (await readdir(path, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.startsWith(".") && e.name.startsWith(prefix))
    .map((e) => e.name)
    .sort();
  const files: FactsFile[] = [];
  for (const name of names) {
    const where = join(path, name);
    files.push({ host: name.slice(prefix.length), where, document: parseJson(await readFile(where, "utf8"), where) });
  }
  return { kind: "dir", files };
}
