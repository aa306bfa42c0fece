import { z } from "zod";
import type { Observation, ObservationBatch } from "../../model/index.js";
import { CmdbError } from "../../util/errors.js";
import { redactByName } from "../../util/redact.js";
import { parseFacts } from "./facts-schema.js";
import { transformFacts } from "./facts-transform.js";
import { ansibleHostKeys, inventoryNameKeys, namesOf } from "./host-keys.js";
import { stablePath } from "./scope.js";

export const PLAYBOOK_SOURCE = "ansible-playbook";
/** The document version the callback plugin writes (`ansible/plugins/callback/cmdb.py`). */
export const PLAYBOOK_FORMAT = "gitops-cmdb.ansible-playbook.v1";

const counter = z.number().int().nonnegative();

export const hostStatsSchema = z
  .object({ ok: counter, changed: counter, failures: counter, unreachable: counter, skipped: counter, rescued: counter, ignored: counter })
  .strict();

export const playbookDocumentSchema = z
  .object({
    format: z.literal(PLAYBOOK_FORMAT),
    playbook: z.string().min(1),
    cwd: z.string().min(1),
    started: z.iso.datetime({ offset: true }),
    ended: z.iso.datetime({ offset: true }),
    ansible_version: z.string().optional(),
    check_mode: z.boolean().optional(),
    limit: z.string().nullable().optional(),
    plays: z.array(z.string()).optional(),
    spooled: z.boolean().optional(),
    hosts: z.record(
      z.string(),
      z
        .object({
          stats: hostStatsSchema,
          ansible_host: z.string().optional(),
          facts: z.record(z.string(), z.unknown()).optional(),
        })
        .strict(),
    ),
  })
  .strict();

export type PlaybookDocument = z.infer<typeof playbookDocumentSchema>;

export function parsePlaybookDocument(text: string, where: string): PlaybookDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CmdbError(`not valid JSON (${error instanceof Error ? error.message : String(error)})`, { where });
  }
  const parsed = playbookDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CmdbError(`not a playbook report from the cmdb callback: ${issue.message}`, {
      where: `${where}: ${issue.path.join(".") || "(document)"}`,
      hint: `expected the JSON the gitops_cmdb.cmdb.cmdb callback writes (format ${PLAYBOOK_FORMAT})`,
    });
  }
  return parsed.data;
}

/**
 * One batch for one playbook run, scoped to the playbook (path relative to the directory it ran
 * in). Each host it touched is an observation with its counts and, when facts were gathered, the
 * facts' vocabulary and strong keys. A run limited with `--limit` is partial: hosts it did not
 * touch are not marked gone.
 */
export function transformPlaybook(doc: PlaybookDocument, where: string): ObservationBatch {
  const playbook = stablePath(doc.playbook, doc.cwd);
  const observations: Observation[] = [];
  const warnings: string[] = [];
  const totals = { ok: 0, changed: 0, failures: 0, unreachable: 0, skipped: 0, rescued: 0, ignored: 0 };
  for (const [host, entry] of Object.entries(doc.hosts).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += entry.stats[k];
    const run = {
      playbook,
      ended: doc.ended,
      ok: entry.stats.ok,
      changed: entry.stats.changed,
      failed: entry.stats.failures,
      unreachable: entry.stats.unreachable,
      skipped: entry.stats.skipped,
      rescued: entry.stats.rescued,
      ignored: entry.stats.ignored,
    };
    const nameKeys = [...inventoryNameKeys(host), ...ansibleHostKeys(entry.ansible_host)];
    if (entry.facts && Object.keys(entry.facts).length > 0) {
      const facts = parseFacts(entry.facts, `${where}: hosts.${host}.facts`);
      const result = transformFacts(facts, { inventoryName: host }, `${where}: ${host}`);
      warnings.push(...result.warnings);
      const keys = [...result.observation.keys];
      for (const k of nameKeys) if (!keys.some((o) => o.scheme === k.scheme && o.value === k.value)) keys.push(k);
      observations.push({ ...result.observation, keys, attributes: { ...result.observation.attributes, playbook_run: run } });
    } else {
      observations.push({
        ref: host,
        type: "server",
        name: host,
        keys: nameKeys,
        attributes: redactByName({ ...namesOf(host), playbook_run: run }),
      });
    }
  }
  return {
    source: PLAYBOOK_SOURCE,
    scope: `${PLAYBOOK_SOURCE}:${playbook}`,
    complete: !doc.limit,
    observations,
    relationships: [],
    meta: {
      playbook,
      started: doc.started,
      ended: doc.ended,
      ...(doc.ansible_version ? { ansible_version: doc.ansible_version } : {}),
      check_mode: doc.check_mode ?? false,
      limit: doc.limit ?? null,
      ...(doc.plays ? { plays: doc.plays } : {}),
      ...(doc.spooled ? { spooled: true } : {}),
      totals,
      hosts: observations.length,
    },
    warnings,
  };
}
