import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { CmdbError } from "../../util/errors.js";
import { makeStorable } from "../../util/json-safety.js";

export interface FactsFile {
  /** The inventory host name for a fact-cache file (its name), none for a single setup output. */
  host?: string;
  where: string;
  document: unknown;
}

function parseJson(text: string, where: string, notes: string[]): unknown {
  try {
    const value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    notes.push(...makeStorable(value, where));
    return value;
  } catch (error) {
    if (error instanceof CmdbError) throw error;
    // V8 quotes the text around the error, newlines included: the message stays one line.
    throw new CmdbError(`not valid JSON (${(error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ")})`, {
      where,
      hint: "give the JSON of `ansible -m setup` (without the `host | SUCCESS =>` prefix), or a jsonfile fact-cache directory",
    });
  }
}

async function readText(path: string, stdin: NodeJS.ReadableStream | undefined, where: string): Promise<string> {
  if (path !== "-") return readFile(path, "utf8");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin ?? process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > MAX_FACTS_BYTES) throw tooLarge(size, where);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** `ansible -m setup` prints `host | SUCCESS => {…}`; accept that line too, it is what people paste. */
function stripAdhocPrefix(text: string): { host?: string; json: string } {
  const m = /^\s*([^\s|]+)\s*\|\s*SUCCESS\s*=>\s*/.exec(text);
  return m ? { host: m[1]!, json: text.slice(m[0].length) } : { json: text };
}

/** Facts of one host are kilobytes; a file this large is not a fact file, and JSON.parse could not hold it. */
export const MAX_FACTS_BYTES = 256 * 1024 * 1024;

export interface UnreadableEntry {
  where: string;
  reason: string;
}

function tooLarge(size: number, where: string): CmdbError {
  return new CmdbError(`${(size / 1024 / 1024).toFixed(0)} MiB is larger than a facts file can be (${MAX_FACTS_BYTES / 1024 / 1024} MiB)`, {
    where,
    hint: "give the output of `ansible -m setup` or a jsonfile fact-cache directory",
  });
}

/**
 * Reads one facts file (or `-`), or a directory of one file per host: a jsonfile fact cache
 * (`fact_caching_connection`) or `ansible --tree` output. Hidden files and directories are
 * skipped and symlinks followed. A file that is not JSON fails the whole read; an entry that cannot
 * be read at all (a dangling link, a FIFO, no permission) is returned in `unreadable`, so that the
 * caller records a partial run: a host whose facts could not be read is not a host that is gone.
 */
export async function readFactsInput(
  path: string,
  options: { stdin?: NodeJS.ReadableStream; prefix?: string } = {},
): Promise<{ kind: "file" | "dir"; files: FactsFile[]; unreadable: UnreadableEntry[]; notes: string[] }> {
  let isDir = false;
  if (path !== "-") {
    try {
      const st = await stat(path);
      isDir = st.isDirectory();
      if (!isDir && st.size > MAX_FACTS_BYTES) throw tooLarge(st.size, path);
    } catch (error) {
      if (error instanceof CmdbError) throw error;
      throw new CmdbError("cannot read the facts", { where: path, hint: "give a facts JSON file, - for stdin, or a fact-cache directory", cause: error });
    }
  }
  if (!isDir) {
    const where = path === "-" ? "stdin" : path;
    const { host, json } = stripAdhocPrefix(await readText(path, options.stdin, where));
    const notes: string[] = [];
    const document = parseJson(json, where, notes);
    return { kind: "file", files: [{ ...(host ? { host } : {}), where, document }], unreadable: [], notes };
  }
  const prefix = options.prefix ?? "";
  const entries = (await readdir(path, { withFileTypes: true }))
    .filter((e) => !e.isDirectory() && !e.name.startsWith(".") && e.name.startsWith(prefix))
    .map((e) => e.name)
    .sort();
  const files: FactsFile[] = [];
  const unreadable: UnreadableEntry[] = [];
  const notes: string[] = [];
  for (const name of entries) {
    const where = join(path, name);
    let text: string;
    try {
      const st = await stat(where);
      if (st.isDirectory()) continue;
      if (!st.isFile()) {
        unreadable.push({ where, reason: "not a regular file" });
        continue;
      }
      if (st.size > MAX_FACTS_BYTES) {
        unreadable.push({ where, reason: tooLarge(st.size, where).message });
        continue;
      }
      text = await readFile(where, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      unreadable.push({ where, reason: code === "ENOENT" ? "a link to nothing" : code === "EACCES" ? "permission denied" : code === "ELOOP" ? "a symlink loop" : (error as Error).message });
      continue;
    }
    files.push({ host: name.slice(prefix.length), where, document: parseJson(text, where, notes) });
  }
  return { kind: "dir", files, unreadable, notes };
}
