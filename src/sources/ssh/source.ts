/**
 * The SSH discovery source: logs in to Linux hosts (key files or ssh-agent, host keys checked
 * against known_hosts, optionally through a jump host), runs one discovery script per host and
 * turns its output into one complete ObservationBatch per host. A host that cannot be reached,
 * authenticated, verified or read in time is reported in `errors` and does not stop the others.
 */
import type { CollectOptions, CollectResult } from "../collect.js";
import type { SourceImplementation } from "../contract.js";
import type { SshSection } from "./config.js";
import type { ObservationBatch } from "../../model/index.js";
import { CmdbError, describeError } from "../../util/errors.js";
import { fetchHost, mapLimit, openSession } from "./get.js";
import { type SshConfig, sshConfigSchema } from "./schema.js";
import { type SshFlags, sshConfigFor, sshOverrides, sshTask, sshTasks } from "./task.js";
import { transformSsh } from "./transform.js";

export { type KnownHostEntry, type KnownHosts, parseKnownHosts } from "./known-hosts.js";
export { type SshConfig, type SshHost, sshConfigSchema } from "./schema.js";
export { COLLECT_SCRIPT } from "./script.js";
export { type SshTarget, transformSsh } from "./transform.js";
export { SSH_TARGET, type SshSection, sshSectionSchema, sshTargetSchema } from "./config.js";
export { hostsFromCmdb, parseCmdbFilter, SSH_SCOPE, sshConfigFor, type SshFlags, type SshOverrides, sshOverrides, sshTask, sshTasks } from "./task.js";

export const SSH_SOURCE = "ssh";

/** The shared collection contract (src/sources/collect.ts), under the names this source has exported. */
export type SshCollectOptions = CollectOptions;
export type SshCollectResult = CollectResult;

export async function collectSsh(input: SshConfig, options: SshCollectOptions = {}): Promise<SshCollectResult> {
  const parsed = sshConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CmdbError(`${issue.message}`, { where: `ssh config: ${issue.path.join(".") || "(root)"}`, exitCode: 2 });
  }
  const config = parsed.data;
  const session = openSession(config);
  const { signal, onProgress } = options;
  const batches: (ObservationBatch | undefined)[] = new Array(config.hosts.length);
  const errors: SshCollectResult["errors"] = session.known.problems.map((p) => ({
    where: `${session.knownHostsFile}:${p.line}`,
    message: `ignored known_hosts line: ${p.message}`,
  }));

  await mapLimit(config.hosts, config.concurrency ?? 10, signal, async (entry, index) => {
    const ref = entry.name ?? entry.host;
    const where = `ssh:${ref}`;
    try {
      const got = await fetchHost(session, entry, signal);
      const { observation, warnings } = transformSsh(got.output, {
        ref,
        ...(entry.name ? { name: entry.name } : {}),
        host: entry.host,
        port: got.port,
        user: got.user,
        hostKey: got.hostKey,
      });
      batches[index] = {
        source: SSH_SOURCE,
        scope: where,
        complete: true,
        observations: [observation],
        relationships: [],
        meta: { host: entry.host, port: got.port, user: got.user, hostKey: got.hostKey, ...(entry.jump ? { jump: entry.jump.host } : {}) },
        ...(warnings.length > 0 ? { warnings } : {}),
      };
      onProgress?.(`${where}: collected`);
    } catch (error) {
      if (signal?.aborted) return;
      const detail = error instanceof CmdbError && error.where ? `${error.where}: ${error.message}` : describeError(error);
      errors.push({ where, message: detail });
      onProgress?.(`${where}: failed: ${detail}`);
    }
  });
  signal?.throwIfAborted();
  return { batches: batches.filter((b): b is ObservationBatch => b !== undefined), errors };
}

export const implementation: SourceImplementation = {
  async ingest(_command, { options }) {
    const overrides = sshOverrides(options as unknown as SshFlags);
    return { kind: "live", tasks: (context) => sshTasks(context, overrides) };
  },
  async discover(section, where, context) {
    const { config, warnings } = await sshConfigFor(context.store, section as SshSection, {}, where);
    return [sshTask(config, warnings)];
  },
};
