import { parseDuration } from "../../config/duration.js";
import { type DiscoverContext, ingestInOrder, type LiveTask, type Problem } from "../../discover/task.js";
import { MACHINE_TYPES } from "../../model/ci-types.js";
import { parseKey } from "../../model/keys.js";
import { type ObservationRow, observationFromRow } from "../../store/rows.js";
import { type CiFilter, listCis } from "../../store/queries.js";
import type { Store } from "../../store/store.js";
import { UsageError } from "../../util/errors.js";
import { type SshSection, sshTargetSchema } from "./config.js";
import { jumpSchema, type SshConfig, type SshHost } from "./schema.js";
import { collectSsh, SSH_SOURCE } from "./source.js";

export const SSH_SCOPE = (host: Pick<SshHost, "host" | "name">): string => `${SSH_SOURCE}:${host.name ?? host.host}`;

/**
 * SSH hosts, one scope each. Errors the source reports for a host (`ssh:<name>`) fail that host's
 * scope only; problems not tied to a host (an unreadable known_hosts line) are warnings.
 */
export function sshTask(config: SshConfig & { hosts: SshHost[] }, notes: Problem[] = []): LiveTask {
  const total = config.hosts.length;
  return {
    source: "ssh",
    label: "ssh",
    waitingOn: `connecting to ${total} host(s)`,
    async collect({ signal, onProgress }) {
      if (total === 0) return { batches: [], errors: [], warnings: [...notes, { where: "ssh", message: "no hosts to collect" }] };
      const pending = new Set(config.hosts.map((h) => SSH_SCOPE(h)));
      const collected = await collectSsh(config, {
        ...(signal ? { signal } : {}),
        onProgress: (message) => {
          const done = /^(ssh:\S+): (collected|failed)/.exec(message);
          if (!done) return onProgress(message);
          pending.delete(done[1]!);
          const waiting = [...pending].map((s) => s.slice(SSH_SOURCE.length + 1));
          onProgress(
            `${total - pending.size}/${total} hosts done` +
              (waiting.length > 0 ? `; waiting on ${waiting.slice(0, 3).join(", ")}${waiting.length > 3 ? ` and ${waiting.length - 3} more` : ""}` : ""),
          );
        },
      });
      const errors: Problem[] = [];
      const warnings: Problem[] = [...notes];
      for (const e of collected.errors) (e.where.startsWith(`${SSH_SOURCE}:`) ? errors : warnings).push(e);
      return { batches: collected.batches, errors, warnings };
    },
    ingest: (collected, context) => ingestInOrder(collected.batches, context),
    async failedScopes(collected) {
      if (!collected) return config.hosts.map(SSH_SCOPE);
      const landed = new Set(collected.batches.map((b) => b.scope));
      return [...new Set(collected.errors.map((e) => e.where).filter((w) => !landed.has(w)))];
    },
  };
}

export interface SshOverrides {
  hosts?: SshHost[];
  fromCmdb?: string | true;
  user?: string;
  identityFiles?: string[];
  knownHostsFile?: string;
  acceptNew?: boolean;
  jump?: string;
  concurrency?: number;
  timeoutMs?: number;
}

/**
 * The collection's configuration: the config file's `ssh` section under the command line's
 * options, hosts from both plus the CMDB's when asked. A host named twice is logged in to once.
 */
export async function sshConfigFor(store: () => Promise<Store>, section: SshSection | undefined, overrides: SshOverrides, where: string): Promise<{ config: SshConfig & { hosts: SshHost[] }; warnings: Problem[] }> {
  const warnings: Problem[] = [];
  const hosts: SshHost[] = [...(overrides.hosts ?? []), ...(overrides.hosts?.length ? [] : (section?.hosts ?? []))];
  const fromCmdb = overrides.fromCmdb ?? section?.fromCmdb;
  if (fromCmdb !== undefined) {
    const found = await hostsFromCmdb(await store(), fromCmdb === true ? "" : fromCmdb, overrides.fromCmdb !== undefined ? "--from-cmdb" : `${where}.fromCmdb`);
    hosts.push(...found.hosts);
    warnings.push(...found.warnings);
  }
  const jumpText = overrides.jump ?? section?.jump;
  let jump: SshHost["jump"];
  if (jumpText) {
    const parsed = jumpSchema.safeParse(jumpText);
    if (!parsed.success) throw new UsageError(`${parsed.error.issues[0]!.message}, not ${JSON.stringify(jumpText)}`, { where: overrides.jump ? "--jump" : `${where}.jump` });
    jump = parsed.data;
  }
  const seen = new Set<string>();
  const unique = hosts.filter((h) => {
    const scope = SSH_SCOPE(h);
    if (seen.has(scope)) return false;
    seen.add(scope);
    return true;
  });
  const identityFiles = overrides.identityFiles?.length ? overrides.identityFiles : section?.identityFiles;
  const timeoutMs = overrides.timeoutMs ?? section?.timeout;
  const config: SshConfig & { hosts: SshHost[] } = {
    hosts: unique.map((h) => (jump && !h.jump ? { ...h, jump } : h)),
    ...pick("user", overrides.user ?? section?.user),
    ...pick("identityFiles", identityFiles),
    ...pick("useAgent", section?.useAgent),
    ...pick("knownHostsFile", overrides.knownHostsFile ?? section?.knownHostsFile),
    ...pick("acceptNew", overrides.acceptNew || section?.acceptNew || undefined),
    ...pick("concurrency", overrides.concurrency ?? section?.concurrency),
    ...pick("timeoutMs", timeoutMs),
  };
  return { config, warnings };
}

function pick<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

const FILTER_FIELDS = ["type", "provider", "status", "environment", "tag", "source"] as const;

/**
 * `--from-cmdb [filter]`: `field=value` pairs joined by commas over type, provider, status,
 * environment, tag (`tag=k` or `tag=k=v`) and source. Unless said otherwise: active machines that
 * the ansible source reports (`source=any` drops the source condition).
 */
export function parseCmdbFilter(text: string, where: string): CiFilter {
  const filter: CiFilter = { source: "ansible", status: "active" };
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const field = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    if (!(FILTER_FIELDS as readonly string[]).includes(field) || value === "") {
      throw new UsageError(`${JSON.stringify(part)} is not a filter: use field=value with field one of ${FILTER_FIELDS.join(", ")}`, { where });
    }
    if (field === "source" && value === "any") delete filter.source;
    else filter[field as (typeof FILTER_FIELDS)[number]] = value;
  }
  return filter;
}

/**
 * The hosts the CMDB knows to log in to: each CI's address from the chosen source's observation
 * (ansible_host, then its fqdn, hostname or ip key), with ansible_port and ansible_user when set.
 */
export async function hostsFromCmdb(store: Store, text: string, where: string): Promise<{ hosts: SshHost[]; warnings: Problem[] }> {
  const filter = parseCmdbFilter(text, where);
  const cis = (await listCis(store.engine, filter)).filter((ci) => filter.type !== undefined || MACHINE_TYPES.has(ci.type as never));
  if (cis.length === 0) return { hosts: [], warnings: [{ where, message: `no CI matches ${JSON.stringify(text || "source=ansible")}` }] };
  const rows = await store.engine.query<ObservationRow>("SELECT * FROM observation WHERE ci_id = ANY($1::text[]) AND status = 'present' ORDER BY source, scope, ref", [
    cis.map((c) => c.id),
  ]);
  const observations = rows.map(observationFromRow);
  const hosts: SshHost[] = [];
  const warnings: Problem[] = [];
  for (const ci of cis) {
    const mine = observations.filter((o) => o.ciId === ci.id);
    const o = mine.find((x) => x.source === filter.source) ?? mine[0];
    const attrs = o?.attributes ?? {};
    const vars = (attrs.vars && typeof attrs.vars === "object" ? attrs.vars : {}) as Record<string, unknown>;
    const keyOf = (scheme: string) => o?.keys.map(parseKey).find((k) => k?.scheme === scheme)?.value;
    const address = text1(attrs.ansible_host) ?? text1(vars.ansible_host) ?? keyOf("fqdn") ?? keyOf("hostname") ?? keyOf("ip");
    if (!address) {
      warnings.push({ where: `${where}: ${ci.name}`, message: "no address known (ansible_host, fqdn, hostname or ip): skipped" });
      continue;
    }
    const port = Number(attrs.ansible_port ?? vars.ansible_port);
    const user = text1(attrs.ansible_user) ?? text1(vars.ansible_user);
    hosts.push({ host: address, name: ci.name, ...(Number.isInteger(port) && port > 0 && port < 65536 ? { port } : {}), ...(user ? { user } : {}) });
  }
  return { hosts, warnings };
}

function text1(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" && !value.includes("{{") ? value : typeof value === "number" ? String(value) : undefined;
}


export interface SshFlags {
  host: string[];
  fromCmdb?: string | true;
  identity: string[];
  user?: string;
  knownHosts?: string;
  acceptNew?: boolean;
  jump?: string;
  concurrency?: number;
  timeout?: string;
}

/** The command line's options as overrides of the configuration's `ssh` section. */
export function sshOverrides(flags: SshFlags): SshOverrides {
  const hosts = flags.host.map((text) => {
    const parsed = sshTargetSchema.safeParse(text);
    if (!parsed.success) throw new UsageError(`${JSON.stringify(text)}: ${parsed.error.issues[0]!.message}`, { where: "--host" });
    return parsed.data;
  });
  let timeoutMs: number | undefined;
  if (flags.timeout !== undefined) {
    timeoutMs = parseDuration(flags.timeout);
    if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`not a duration: ${JSON.stringify(flags.timeout)} (use e.g. 30s, 2m)`, { where: "--timeout" });
  }
  return {
    ...(hosts.length > 0 ? { hosts } : {}),
    ...pick("fromCmdb", flags.fromCmdb),
    ...(flags.identity.length > 0 ? { identityFiles: flags.identity } : {}),
    ...pick("user", flags.user),
    ...pick("knownHostsFile", flags.knownHosts),
    ...pick("acceptNew", flags.acceptNew),
    ...pick("jump", flags.jump),
    ...pick("concurrency", flags.concurrency),
    ...pick("timeoutMs", timeoutMs),
  };
}

/** `cmdb ingest ssh`: hosts from --host, else the configuration; plus the CMDB's with --from-cmdb. */
export async function sshTasks(ctx: DiscoverContext, overrides: SshOverrides): Promise<LiveTask[]> {
  const { config, warnings } = await sshConfigFor(ctx.store, ctx.config.sources?.ssh as SshSection | undefined, overrides, `${ctx.configPath}: sources.ssh`);
  if (config.hosts.length === 0 && overrides.fromCmdb === undefined) {
    throw new UsageError("no SSH hosts to collect", { hint: "name hosts with --host user@host:port, sources.ssh.hosts in the configuration, or --from-cmdb" });
  }
  return [sshTask(config, warnings)];
}
