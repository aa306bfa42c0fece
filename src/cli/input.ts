import { readFileSync } from "node:fs";
import { fileError } from "../util/errors.js";

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
    throw fileError(error, file, "read");
  }
}
