import type { Sql } from "../store/engine.js";
import type { Mark } from "../graph/marks.js";
import type { Finding } from "../findings/types.js";
import type { FindingRecord } from "../store/findings.js";
import { readCredentials } from "../findings/rotation/read.js";
import { rotationFindings, type RotationFinding } from "../findings/rotation/findings.js";
import { type RotationConfig, rotationPolicy } from "../findings/rotation/policy.js";
import { listFindingRecords } from "../store/findings.js";

const SEVERITIES = new Set(["critical", "high", "medium", "low", "info"]);
type Severity = NonNullable<Mark["severity"]>;

/** One `drift` mark per open finding, on its CI, with its severity and what it is (kind, attribute, message). */
export function driftMarks(records: readonly Pick<FindingRecord<Partial<Finding>>, "ciId" | "kind" | "severity" | "attribute" | "acknowledged" | "finding">[]): Mark[] {
  return records.map((r) => ({
    ciId: r.ciId,
    kind: "drift",
    severity: (SEVERITIES.has(r.severity) ? r.severity : "info") as Severity,
    category: r.kind,
    title: `${r.kind}${r.attribute ? ` ${r.attribute}` : ""}: ${r.finding.message ?? r.kind}${r.acknowledged ? " (acknowledged)" : ""}`,
  }));
}

/** One `credential` mark per credential due for rotation: overdue is high, due soon is medium. */
export function rotationMarks(credentials: readonly Pick<RotationFinding, "id" | "name" | "status" | "due">[]): Mark[] {
  return credentials.map((c) => ({
    ciId: c.id,
    kind: "credential",
    severity: c.status === "overdue" ? "high" : "medium",
    category: c.status,
    title: `${c.status === "overdue" ? "overdue since" : "due"} ${c.due.slice(0, 10)}: ${c.name}`,
  }));
}

/**
 * The marks the store itself holds: the open drift findings `cmdb drift` keeps in the `finding` table,
 * and the credentials due for rotation as of `now` (as `cmdb rotation` computes them, with the
 * configuration's `rotation:` settings).
 */
export async function storedMarks(sql: Sql, options: { now: Date; rotation?: RotationConfig }): Promise<Mark[]> {
  const open = await listFindingRecords<Partial<Finding>>(sql, "open");
  const policy = rotationPolicy(options.rotation);
  const due = rotationFindings(await readCredentials(sql), policy, options.now, policy.withinMs);
  return [...driftMarks(open), ...rotationMarks(due.credentials)];
}
