import { execFileSync } from "node:child_process";
import { REPO_ROOT } from "./corpus.js";

/** Tests run the real CLI: build it once before any test file starts. */
export default function setup(): void {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
}
