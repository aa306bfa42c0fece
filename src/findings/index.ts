export { computeDrift, coverageUnit, type Coverage, type DriftResult, type DriftSettings, LIVE_SOURCES } from "./drift.js";
export { acknowledge, type DriftOptions, type DriftReport, evaluateDrift, loadIgnoreRules } from "./evaluate.js";
export { fingerprint, strongestKey } from "./fingerprint.js";
export { applyIgnores, configIgnoreRules, type IgnoreRule, parseIgnoreFile } from "./ignore.js";
export { type FindingRecord, planLifecycle } from "./lifecycle.js";
export { compare, DRIFT_MAPPINGS, type DriftMapping } from "./mappings.js";
export { driftMarkdown } from "./render.js";
export { DEFAULT_SEVERITY, type SeverityRule } from "./severity.js";
export * from "./types.js";
