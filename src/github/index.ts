export { type WriteBudget, writeBudget } from "./budget.js";
export { type ClientOptions, createGitHubClient } from "./client.js";
export { dashboardPages } from "./dashboard.js";
export { DASHBOARD_TITLE, driftGroups, driftSyncSpec, syncDriftIssues } from "./drift-issues.js";
export { ROTATION_LABELS, ROTATION_NAMESPACE, rotationGroups, rotationSyncSpec, syncRotationIssues } from "./rotation-issues.js";
export { type StoreSyncOptions, syncWithStore } from "./run.js";
export { contentHash, type Marker, parseMarker } from "./marker.js";
export { describeAction, type SyncTarget, syncIssues } from "./sync.js";
export type * from "./types.js";
