import { ROTATION_LABEL, type RotationIssues } from "../findings/rotation/issues.js";
import type { Store } from "../store/store.js";
import { type StoreSyncOptions, syncWithStore } from "./run.js";
import type { IssueGroup, LabelSpec, SyncResult, SyncSpec } from "./types.js";

/** Its own marker namespace and listing label: a drift sync never sees these issues, nor this sync drift's. */
export const ROTATION_NAMESPACE = "rotation";

export const ROTATION_LABELS: LabelSpec[] = [
  { name: ROTATION_LABEL, color: "5319e7", description: "A credential to rotate, kept by gitops-cmdb" },
  { name: "cmdb", color: "5319e7", description: "Kept by gitops-cmdb" },
  { name: "overdue", color: "b60205", description: "Past its rotation due date" },
  { name: "due-soon", color: "fbca04", description: "Falls due for rotation soon" },
];

const BASE_LABELS = [ROTATION_LABEL, "cmdb"];

/** One group per due credential, keyed by its fingerprint (stable per Bitwarden item). Pure. */
export function rotationGroups(drafts: RotationIssues): IssueGroup[] {
  return drafts.issues.map((d) => ({
    key: d.fingerprint,
    title: d.title,
    body: `${d.body.trimEnd()}\n\nThis issue is kept by \`cmdb rotation --github\`: it is updated when the credential's facts change and closed once the item shows a newer rotation. Close it as *not planned* to stop tracking this cycle.\n`,
    labels: d.labels.filter((l) => !BASE_LABELS.includes(l)),
    assignees: d.assignees,
    items: [{ id: d.fingerprint, line: d.title }],
  }));
}

/**
 * The rotation issues as the generic sync takes them. `held`: fingerprints of credentials that could
 * not be evaluated (no date to count from): their open issues stay open.
 */
export function rotationSyncSpec(drafts: RotationIssues, held: Iterable<string> = []): SyncSpec {
  return {
    namespace: ROTATION_NAMESPACE,
    // Listed by `credential-rotation`, not by `cmdb`: the drift sync lists `cmdb` and skips this namespace.
    baseLabels: BASE_LABELS,
    labelSpecs: ROTATION_LABELS,
    groups: rotationGroups(drafts),
    held: new Set(held),
    texts: {
      resolved: (key) => drafts.closeComments[key] ?? "The credential is no longer in the CMDB: closing.",
      reopened: () => "The credential is due for rotation again: reopening.",
      added: () => "Due for rotation again.",
    },
  };
}

/** The rotation issues in `repo`; writes share the repository's budget with every other sync. */
export async function syncRotationIssues(store: Store, drafts: RotationIssues, options: StoreSyncOptions & { held?: Iterable<string> }): Promise<SyncResult & { dryRunLog: string[] }> {
  return syncWithStore(store, rotationSyncSpec(drafts, options.held), options);
}
