import { readFileSync } from "node:fs";
import { CmdbError } from "../util/errors.js";

/** Reads a file, or stdin for `-`. */
export async function readInput(file: string): Promise<string> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new CmdbError(`cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { where: file });
  }
}
