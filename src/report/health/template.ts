import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CmdbError } from "../../util/errors.js";

/** The templates in `reports/templates` of the package: found upwards from this module (src/ or dist/). */
export function templatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "reports", "templates");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new CmdbError("cannot find the report templates (reports/templates)", { hint: "reinstall gitops-cmdb: the package ships them" });
}

export function readTemplate(name: string): string {
  return readFileSync(join(templatesDir(), name), "utf8");
}
