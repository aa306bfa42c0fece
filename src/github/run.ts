import { githubWritesSince, recordGithubWrites } from "../store/findings.js";
import type { Store } from "../store/store.js";
import { writeBudget } from "./budget.js";
import { type ClientOptions, createGitHubClient } from "./client.js";
import { syncIssues } from "./sync.js";
import type { SyncResult, SyncSpec } from "./types.js";

export interface StoreSyncOptions extends ClientOptions {
  /** OWNER/REPO */
  repo: string;
  dryRun: boolean;
  now?: () => Date;
}

/**
 * One sync of `spec` into `repo`, its writes counted in the store's `github_write` table against the
 * secondary limits, whatever kind of issue it keeps (drift, rotation): every kind shares one budget per repository.
 */
export async function syncWithStore(store: Store, spec: SyncSpec, options: StoreSyncOptions): Promise<SyncResult & { dryRunLog: string[] }> {
  const [owner, repo] = options.repo.split("/") as [string, string];
  const octokit = await createGitHubClient(options);
  const now = options.now ?? (() => new Date());
  const earlier = await githubWritesSince(store.engine, options.repo, new Date(now().getTime() - 3_600_000));
  const budget = writeBudget(earlier, { now });
  const dryRunLog: string[] = [];
  try {
    const result = await syncIssues(spec, {
      octokit,
      owner,
      repo,
      budget,
      dryRun: options.dryRun,
      log: options.dryRun ? (line) => dryRunLog.push(line) : options.log,
    });
    return { ...result, dryRunLog };
  } finally {
    if (!options.dryRun) await store.engine.transaction((tx) => recordGithubWrites(tx, options.repo, budget.spent, now()));
  }
}
