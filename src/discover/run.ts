import { formatDuration } from "../config/duration.js";
import { newRunId, recordFailure } from "../reconcile/ingest.js";
import { describeError } from "../util/errors.js";
import type { Progress } from "./progress.js";
import { discoveredSources } from "../sources/registry.js";
import type { Collected, IngestContext, LiveTask, Problem } from "./task.js";

export interface ScopeRun {
  scope: string;
  runId: string;
  outcome: "success" | "partial" | "failed";
  seen: number;
  new: number;
  changed: number;
  gone: number;
}

export interface SourceReport {
  source: string;
  label: string;
  /** Scopes ingested (complete or partial), and scopes recorded as failed. */
  scopes: number;
  failedScopes: string[];
  seen: number;
  new: number;
  changed: number;
  gone: number;
  missing: number;
  retired: number;
  errors: Problem[];
  warnings: Problem[];
  ok: boolean;
  durationMs: number;
  runs: ScopeRun[];
}

export interface DiscoveryReport {
  ok: boolean;
  exitCode: 0 | 1;
  durationMs: number;
  sources: SourceReport[];
}

export interface DiscoveryOptions extends Omit<IngestContext, "store"> {
  /** A promise lets the store open (and migrate) while the sources are being collected. */
  store: IngestContext["store"] | Promise<IngestContext["store"]>;
  progress: Progress;
  /** Removes secrets from every text that leaves: progress, errors, the failed runs' records. */
  scrub: (text: string) => string;
  signal?: AbortSignal;
}

/**
 * Live sources land in the registry's order: what others point at (hypervisors, VPCs) before what
 * joins them (hosts over SSH); credentials last, their edges point at the machines the others report.
 */
const INGEST_ORDER: string[] = discoveredSources().map((s) => s.name);

/**
 * Collects every task at once, then ingests them one source after the other as each collection
 * ends (the store takes one ingest at a time anyway). A task that fails, or reports errors, fails
 * only itself: its scopes without a batch get a failed run and retire nothing.
 */
export async function runDiscovery(tasks: LiveTask[], options: DiscoveryOptions): Promise<DiscoveryReport> {
  const started = Date.now();
  const { progress, scrub } = options;
  const startedAt = new Date();
  const collections = tasks.map((task) => {
    progress.update(task.label, task.waitingOn);
    const begun = Date.now();
    const promise: Promise<Collected> = task.collect({
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (message) => progress.update(task.label, scrub(message)),
    });
    promise.catch(() => undefined);
    return { task, promise, begun };
  });
  let context: IngestContext;
  try {
    context = { ...options, store: await options.store };
  } catch (error) {
    progress.close();
    throw error;
  }
  const ordered = [...collections].sort((a, b) => INGEST_ORDER.indexOf(a.task.source) - INGEST_ORDER.indexOf(b.task.source));
  const reports = new Map<LiveTask, SourceReport>();
  for (const { task, promise, begun } of ordered) {
    const report: SourceReport = {
      source: task.source,
      label: task.label,
      scopes: 0,
      failedScopes: [],
      seen: 0,
      new: 0,
      changed: 0,
      gone: 0,
      missing: 0,
      retired: 0,
      errors: [],
      warnings: [],
      ok: true,
      durationMs: 0,
      runs: [],
    };
    reports.set(task, report);
    let collected: Collected | undefined;
    try {
      collected = await promise;
    } catch (error) {
      report.errors.push({ where: task.label, message: scrub(describeError(error)) });
    }
    if (collected) {
      const clean = (p: Problem): Problem => ({ where: scrub(p.where), message: scrub(p.message) });
      report.errors.push(...collected.errors.map(clean));
      report.warnings.push(...(collected.warnings ?? []).map(clean));
      progress.update(task.label, `ingesting ${collected.batches.length} scope(s)`);
      const ingested = await task.ingest(collected, context);
      report.errors.push(...ingested.errors.map(clean));
      for (const r of ingested.results) {
        report.runs.push({ scope: r.scope, runId: r.runId, outcome: r.outcome, seen: r.counts.seen, new: r.counts.new, changed: r.counts.changed, gone: r.counts.gone });
        report.seen += r.counts.seen;
        report.new += r.counts.new;
        report.changed += r.counts.changed;
        report.gone += r.counts.gone;
        report.missing += r.counts.missing;
        report.retired += r.counts.retired;
        report.warnings.push(...r.warnings.map((w) => ({ where: `${r.source} ${r.scope}`, message: scrub(w) })));
      }
      report.scopes = ingested.results.length;
    }
    if (report.errors.length > 0) {
      report.ok = false;
      report.failedScopes = await task.failedScopes(collected, context);
      const summary = new Error(report.errors.slice(0, 3).map((e) => `${e.where}: ${e.message}`).join("; "));
      for (const scope of report.failedScopes) {
        const runId = newRunId(startedAt);
        await recordFailure(context.store, task.source, scope, runId, startedAt, summary);
        report.runs.push({ scope, runId, outcome: "failed", seen: 0, new: 0, changed: 0, gone: 0 });
      }
    }
    report.durationMs = Date.now() - begun;
    progress.update(
      task.label,
      report.ok
        ? `done: ${report.scopes} scope(s), ${report.seen} seen, ${report.new} new, ${report.changed} changed, ${report.gone} gone in ${formatDuration(report.durationMs)}`
        : `FAILED: ${report.errors.length} error(s); ${report.scopes} scope(s) ingested, ${report.failedScopes.length} recorded as failed`,
    );
  }
  progress.close();
  const sources = tasks.map((t) => reports.get(t)!);
  const ok = sources.every((s) => s.ok);
  return { ok, exitCode: ok ? 0 : 1, durationMs: Date.now() - started, sources };
}
