import type { CredentialCi, RotationFinding } from "./findings.js";
import { rotationFingerprint } from "./findings.js";
import type { RotationPolicy } from "./policy.js";

/**
 * One GitHub issue to keep, as the generic issue sync takes it: the sync finds it again by
 * `fingerprint` (its hidden marker), updates it when title, body, labels or assignees change, and
 * closes the issues of fingerprints no longer listed, with `closeComments[fingerprint]` when given.
 */
export interface IssueDraft {
  fingerprint: string;
  title: string;
  body: string;
  labels: string[];
  assignees: string[];
}

export interface RotationIssues {
  kind: "credential-rotation";
  /** The label every issue of this kind carries: the sync lists open issues by it. */
  label: string;
  issues: IssueDraft[];
  /** For credentials that are not due: why their issue, if one is open, closes. */
  closeComments: Record<string, string>;
}

export const ROTATION_LABEL = "credential-rotation";

const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : "unknown");

/** Markdown table cells must not break the table. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function policyText(f: RotationFinding): string {
  if (f.policy === "expires") return "the item's `expires` field";
  const every = f.periodDays === null ? "" : `every ${f.periodDays} days`;
  if (f.policy === "item") return `${every} (the item's own rotation field)`;
  if (f.policy === "default") return `${every} (the global default)`;
  return `${every} (the default of ${f.policy.replace(":", " ")})`;
}

export function issueBody(f: RotationFinding): string {
  const lines = [
    `The credential **${f.name}** is ${f.status === "overdue" ? "**overdue** for rotation" : "due for rotation soon"}.`,
    "",
    "| | |",
    "| --- | --- |",
    `| Type | ${f.itemType ?? "unknown"} |`,
    `| Due | ${day(f.due)} |`,
    `| Last rotated | ${day(f.lastRotated)}${f.lastRotatedFrom ? ` (from ${f.lastRotatedFrom.replace(/_/g, " ")})` : ""} |`,
    `| Policy | ${cell(policyText(f))} |`,
    `| Owner | ${cell(f.owner ?? "none recorded (add an `owner` field to the item)")} |`,
    `| Bitwarden item | \`${f.bitwardenId ?? "unknown"}\` |`,
    `| CMDB | \`${f.id}\` (\`cmdb impact ${f.id}\`) |`,
    "",
    "## Systems it opens",
    "",
  ];
  if (f.systems.length === 0) {
    lines.push("None known: add the systems' URIs to the item, or a `cmdb_ci` field naming them.");
  } else {
    for (const s of f.systems) {
      lines.push(`- **${cell(s.name)}** (${s.type}, ${s.status}, \`${s.id}\`)`);
      for (const d of s.dependents) lines.push(`${"  ".repeat(d.depth)}- ${cell(d.name)} (${d.type}, \`${d.id}\`) depends on it`);
    }
  }
  lines.push(
    "",
    "## Rotation checklist",
    "",
    "- [ ] Generate a new secret and store it in the Bitwarden item (this records the rotation date)",
    ...f.systems.map((s) => `- [ ] Update **${cell(s.name)}** to accept the new secret`),
    "- [ ] Update every client and automation that uses it",
    "- [ ] Revoke the old secret",
    "- [ ] Run `cmdb ingest bitwarden`: this issue closes once the item shows the newer rotation",
  );
  return `${lines.join("\n")}\n`;
}

/** The issues to keep for these findings; `all` is every credential, for the close comments of those not due. */
export function rotationIssues(findings: RotationFinding[], all: CredentialCi[], policy: Pick<RotationPolicy, "owners">): RotationIssues {
  const due = new Set(findings.map((f) => f.fingerprint));
  const closeComments: Record<string, string> = {};
  for (const c of all) {
    const fingerprint = rotationFingerprint(c);
    if (due.has(fingerprint)) continue;
    const last = typeof c.attributes.last_rotated === "string" ? c.attributes.last_rotated : null;
    closeComments[fingerprint] =
      c.status === "active"
        ? `Rotated: the Bitwarden item now shows a rotation on ${day(last)}, so **${c.name}** is no longer due.`
        : `The credential **${c.name}** is no longer in the vault (${c.status}).`;
  }
  return {
    kind: "credential-rotation",
    label: ROTATION_LABEL,
    issues: findings.map((f) => {
      const login = f.owner ? policy.owners[f.owner] : undefined;
      return {
        fingerprint: f.fingerprint,
        title: `Rotate credential: ${f.name}`,
        body: issueBody(f),
        labels: [ROTATION_LABEL, f.status],
        assignees: login ? [login] : [],
      };
    }),
    closeComments,
  };
}
