/** Credential rotation findings: due dates, findings, issue drafts and the Markdown report. See README.md. */
export { type CredentialCi, factsOf, type RotationFinding, rotationFindings, rotationFingerprint, type RotationReport, type RotationStatus, type System } from "./findings.js";
export { type IssueDraft, issueBody, ROTATION_LABEL, type RotationIssues, rotationIssues } from "./issues.js";
export { type CredentialFacts, DEFAULT_ROTATION_DAYS, DEFAULT_WITHIN_DAYS, type Due, dueOf, type RotationConfig, rotationConfigSchema, type RotationPolicy, rotationPolicy } from "./policy.js";
export { readCredentials } from "./read.js";
export { rotationMarkdown } from "./report.js";
