import { z } from "zod";
import type { Mark } from "../graph/marks.js";
import { CmdbError } from "../util/errors.js";

const markSchema = z.object({
  ciId: z.string().min(1),
  kind: z.string().min(1),
  severity: z.enum(["info", "low", "medium", "high", "critical"]).optional(),
  title: z.string().optional(),
  category: z.string().min(1).optional(),
});

/** Marks from a JSON file (an array of `{ ciId, kind, severity?, title? }`), as findings write them. */
export function parseMarks(text: string, origin: string): Mark[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CmdbError(`not JSON: ${(error as Error).message}`, { where: origin, hint: "expected an array of { ciId, kind, severity?, title? }" });
  }
  const parsed = z.array(markSchema).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    throw new CmdbError(`${path || "(top level)"}: ${issue.message}`, { where: origin, hint: "expected an array of { ciId, kind, severity?, title? }" });
  }
  return parsed.data.map((m) => ({ ciId: m.ciId, kind: m.kind, ...(m.severity ? { severity: m.severity } : {}), ...(m.title ? { title: m.title } : {}), ...(m.category ? { category: m.category } : {}) }));
}
