export { type Neo4jTarget, resolveTarget } from "./driver.js";
export { EXPORT_FORMATS, type ExportFormat, exportProjection } from "./export.js";
export { assertReadOnly, parseParams, writeClause } from "./guard.js";
export { type ChangeSet, changeSet, dryRunCounts, runBatched, runBoundedDelete, type SyncCounts } from "./plan.js";
export { type GraphCi, type GraphRelationship, type Projection, project } from "./project.js";
export { type QueryResult, runReadQuery } from "./query.js";
export { readGraph } from "./read.js";
export { projectStore, type SyncOptions, type SyncReport, syncGraph } from "./sync.js";
