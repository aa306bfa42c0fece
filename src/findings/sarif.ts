import { declaringBlock, type DeclaredAt } from "./tf-locate.js";
import { FINDING_KINDS, type Finding, type Severity } from "./types.js";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note", info: "note" };

const RULE_TEXT: Record<string, string> = {
  changed: "A Terraform-managed resource's live value differs from its declaration",
  missing: "A resource declared in Terraform is not live",
  unmanaged: "A live resource is declared in no Terraform state",
  "not-in-inventory": "A live machine is in no Ansible inventory that covers its scope",
  "inventory-orphan": "An inventory host is reported by no live source",
  stale: "No source has seen the CI recently, or its live data is stale",
};

/**
 * SARIF 2.1.0 for GitHub code scanning: each finding on a Terraform-managed CI, located on the line
 * of the resource block that declares it. Findings with no declaring block are left out (code
 * scanning needs a location). Pure.
 */
export function toSarif(findings: readonly Finding[], located: ReadonlyMap<string, DeclaredAt>, srcRoot: string): Record<string, unknown> {
  const results: Record<string, unknown>[] = [];
  for (const f of findings) {
    const address = f.ci.keys.find((k) => k.startsWith("terraform:"))?.slice("terraform:".length);
    const at = address ? located.get(declaringBlock(address)) : undefined;
    if (!at) continue;
    results.push({
      ruleId: `drift/${f.kind}`,
      level: LEVEL[f.severity],
      message: { text: `${f.message}${address ? ` (${address})` : ""}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: joinUri(srcRoot, at.file) }, region: { startLine: at.line } } }],
      partialFingerprints: { cmdbDrift: f.fingerprint },
      properties: { severity: f.severity, ci: f.ci.id, ...(f.attribute ? { attribute: f.attribute } : {}), ...(f.diffs ? { diffs: f.diffs } : {}) },
    });
  }
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "gitops-cmdb",
            rules: FINDING_KINDS.map((k) => ({ id: `drift/${k}`, shortDescription: { text: RULE_TEXT[k] } })),
          },
        },
        results,
      },
    ],
  };
}

function joinUri(root: string, file: string): string {
  const r = root.replace(/\\/g, "/").replace(/^\.\/?/, "").replace(/\/+$/, "");
  return r ? `${r}/${file}` : file;
}
