import { existsSync, readFileSync } from "node:fs";
import type { ConfigFile, ReconcileSettings } from "../config/schema.js";
import type { Store } from "../store/store.js";
import { acknowledgeFindings, driftInput, findingRecords, saveFindingRecords } from "../store/findings.js";
import { UsageError } from "../util/errors.js";
import { type Coverage, computeDrift, DEFAULT_LIVE_LIFETIME, DEFAULT_STALE_AFTER, type DriftSettings, heldKey } from "./drift.js";
import { applyIgnores, configIgnoreRules, type IgnoreRule, parseIgnoreFile } from "./ignore.js";
import { type FindingRecord, type LifecyclePlan, planLifecycle } from "./lifecycle.js";
import type { Finding, FindingKind } from "./types.js";

export const DEFAULT_IGNORE_FILE = ".cmdbignore";

export interface DriftOptions {
  now?: Date;
  /** The ignore file; by default drift.ignoreFile or ./.cmdbignore when present. */
  ignoreFile?: string;
  /** Compute and report only: the store's finding lifecycle is left as it was. */
  dryRun?: boolean;
}

export interface DriftReport {
  generatedAt: string;
  findings: Finding[];
  /** Each finding's lifecycle after this run, by fingerprint. */
  lifecycle: Record<string, { firstSeen: string; lastSeen: string; reopenedAt: string | null; flaps: number; acknowledged: boolean }>;
  resolved: { fingerprint: string; kind: string; ci: string; attribute: string | null }[];
  ignored: { fingerprint: string; kind: string; ci: string; attribute: string | null; rule: string; origin: string; reason?: string }[];
  expiredIgnores: { rule: string; origin: string; expired: string }[];
  coverage: Coverage;
  /** `kind\0ciId` pairs not evaluated this run; their open findings were kept open. */
  held: string[];
  /** Strongest keys of the CIs in `held`. */
  heldKeys: string[];
}

export function driftSettings(config: ConfigFile, reconcile: ReconcileSettings, now: Date): DriftSettings {
  return {
    now,
    lifetime: reconcile.lifetime,
    defaultLifetime: config.drift?.liveLifetime ?? DEFAULT_LIVE_LIFETIME,
    staleAfter: config.drift?.staleAfter ?? DEFAULT_STALE_AFTER,
    severity: config.drift?.severity ?? [],
  };
}

export function loadIgnoreRules(config: ConfigFile, file: string | undefined): IgnoreRule[] {
  const path = file ?? config.drift?.ignoreFile ?? (existsSync(DEFAULT_IGNORE_FILE) ? DEFAULT_IGNORE_FILE : undefined);
  let rules: IgnoreRule[] = [];
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read the ignore file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { where: path });
    }
    rules = parseIgnoreFile(text, path);
  }
  return [...rules, ...configIgnoreRules(config.drift?.ignore ?? [])];
}

/**
 * One drift evaluation: reads the store, computes findings, drops ignored ones, and records every
 * finding's lifecycle (open, resolved, reopened, flaps) in one transaction.
 */
export async function evaluateDrift(store: Store, config: ConfigFile, reconcile: ReconcileSettings, options: DriftOptions = {}): Promise<DriftReport> {
  const now = options.now ?? new Date();
  const rules = loadIgnoreRules(config, options.ignoreFile);
  const input = await driftInput(store.engine);
  const result = computeDrift(input.cis, input.scopes, driftSettings(config, reconcile, now));
  const { kept, ignored, expired } = applyIgnores(result.findings, rules, now);
  const held = (kind: string, ciId: string) => result.held.has(heldKey(kind as FindingKind, ciId));
  const run = async (): Promise<LifecyclePlan> => {
    const previous = await findingRecords<Finding>(store.engine, kept.map((f) => f.fingerprint));
    return planLifecycle(previous, kept, held, now);
  };
  let plan: LifecyclePlan;
  if (options.dryRun) plan = await run();
  else {
    plan = await store.engine.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(7142009)");
      const previous = await findingRecords<Finding>(tx, kept.map((f) => f.fingerprint));
      const next = planLifecycle(previous, kept, held, now);
      await saveFindingRecords(tx, next.records);
      return next;
    });
  }
  const byFingerprint = new Map<string, FindingRecord>(plan.records.map((r) => [r.fingerprint, r]));
  const resolved = new Set(plan.resolved);
  return {
    generatedAt: now.toISOString(),
    findings: kept,
    lifecycle: Object.fromEntries(
      kept.map((f) => {
        const r = byFingerprint.get(f.fingerprint)!;
        return [
          f.fingerprint,
          { firstSeen: r.firstSeen.toISOString(), lastSeen: r.lastSeen.toISOString(), reopenedAt: r.reopenedAt?.toISOString() ?? null, flaps: r.flaps, acknowledged: r.acknowledged },
        ];
      }),
    ),
    resolved: plan.records
      .filter((r) => resolved.has(r.fingerprint))
      .map((r) => ({ fingerprint: r.fingerprint, kind: r.kind, ci: r.finding.ci.name, attribute: r.attribute })),
    ignored: ignored.map(({ finding, rule }) => ({
      fingerprint: finding.fingerprint,
      kind: finding.kind,
      ci: finding.ci.name,
      attribute: finding.attribute ?? null,
      rule: `${rule.negate ? "!" : ""}${rule.pattern}`,
      origin: rule.origin,
      ...(rule.reason ? { reason: rule.reason } : {}),
    })),
    expiredIgnores: expired.map((r) => ({ rule: r.pattern, origin: r.origin, expired: r.expires!.toISOString() })),
    coverage: result.coverage,
    held: [...result.held].map((h) => h.replace("\u0000", ":")),
    heldKeys: [...result.heldKeys],
  };
}

/** Records that a person closed these findings' issue as "not planned". */
export async function acknowledge(store: Store, fingerprints: readonly string[]): Promise<void> {
  await store.engine.transaction((tx) => acknowledgeFindings(tx, fingerprints));
}
