import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CmdbError } from "../util/errors.js";
import { ensureDir } from "../util/fs.js";

/** Writes a file the user asked for, creating its directory; a failure names the file. */
export function writeOutput(file: string, text: string, options: { append?: boolean } = {}): void {
  try {
    ensureDir(dirname(file));
    writeFileSync(file, text, options.append ? { flag: "a" } : undefined);
  } catch (error) {
    throw new CmdbError(`cannot write: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { where: file, hint: "check the path and its permissions" });
  }
}
