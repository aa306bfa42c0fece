import { advisoryLock, MIGRATION_LOCK } from "./advisory.js";
import type { Engine } from "./engine.js";

/**
 * One set of migrations for both engines. Each runs once, in order, recorded in cmdb_migration;
 * a store newer than this cmdb is refused rather than misread.
 */
export const MIGRATIONS: { id: number; name: string; sql: string }[] = [
  {
    id: 1,
    name: "initial",
    sql: `
CREATE TABLE run (
  id text PRIMARY KEY,
  source text NOT NULL,
  scope text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  outcome text NOT NULL,
  complete boolean NOT NULL DEFAULT false,
  counts jsonb NOT NULL DEFAULT '{}',
  errors jsonb NOT NULL DEFAULT '[]',
  meta jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX run_scope_idx ON run (source, scope, started_at DESC);

CREATE TABLE scope_state (
  source text NOT NULL,
  scope text NOT NULL,
  last_run_id text,
  last_complete_run_id text,
  last_complete_at timestamptz,
  meta jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (source, scope)
);

CREATE TABLE ci (
  id text PRIMARY KEY,
  type text NOT NULL,
  name text NOT NULL,
  status text NOT NULL,
  environment text,
  provider text,
  region text,
  zone text,
  owner text,
  tags jsonb NOT NULL DEFAULT '{}',
  attributes jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  missing_since timestamptz,
  retired_at timestamptz
);
CREATE INDEX ci_type_idx ON ci (type);
CREATE INDEX ci_status_idx ON ci (status);

CREATE TABLE observation (
  source text NOT NULL,
  scope text NOT NULL,
  ref text NOT NULL,
  ci_id text NOT NULL REFERENCES ci (id),
  type text NOT NULL,
  keys text[] NOT NULL,
  strong_keys text[] NOT NULL,
  fields jsonb NOT NULL,
  attributes jsonb NOT NULL,
  status text NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  gone_at timestamptz,
  run_id text NOT NULL,
  PRIMARY KEY (source, scope, ref)
);
CREATE INDEX observation_ci_idx ON observation (ci_id);
CREATE INDEX observation_keys_idx ON observation USING gin (keys);

CREATE TABLE relationship (
  source text NOT NULL,
  scope text NOT NULL,
  type text NOT NULL,
  from_ci text NOT NULL REFERENCES ci (id),
  to_ci text NOT NULL REFERENCES ci (id),
  status text NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  gone_at timestamptz,
  run_id text NOT NULL,
  PRIMARY KEY (source, scope, type, from_ci, to_ci)
);
CREATE INDEX relationship_from_idx ON relationship (from_ci);
CREATE INDEX relationship_to_idx ON relationship (to_ci);

CREATE TABLE change (
  id bigserial PRIMARY KEY,
  ci_id text NOT NULL,
  source text,
  field text NOT NULL,
  old_value jsonb,
  new_value jsonb,
  run_id text,
  at timestamptz NOT NULL
);
CREATE INDEX change_ci_idx ON change (ci_id);
CREATE INDEX change_at_idx ON change (at);
CREATE INDEX change_run_idx ON change (run_id);
`,
  },
  {
    id: 2,
    name: "pending relationships",
    sql: `
CREATE TABLE pending_relationship (
  source text NOT NULL,
  scope text NOT NULL,
  type text NOT NULL,
  from_ci text NOT NULL REFERENCES ci (id),
  to_key text NOT NULL,
  run_id text NOT NULL,
  PRIMARY KEY (source, scope, type, from_ci, to_key)
);
CREATE INDEX pending_relationship_key_idx ON pending_relationship (to_key);
`,
  },
  {
    id: 3,
    name: "identification: merges, shared keys, corrections",
    sql: `
CREATE TABLE ci_alias (
  id text PRIMARY KEY,
  ci_id text NOT NULL,
  run_id text,
  at timestamptz NOT NULL,
  keys jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX ci_alias_ci_idx ON ci_alias (ci_id);

CREATE TABLE shared_key (
  key text PRIMARY KEY,
  reason text NOT NULL,
  evidence jsonb NOT NULL DEFAULT '[]',
  run_id text,
  at timestamptz NOT NULL
);

CREATE TABLE identity_override (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  a_source text NOT NULL,
  a_scope text NOT NULL,
  a_ref text NOT NULL,
  b_source text NOT NULL,
  b_scope text NOT NULL,
  b_ref text NOT NULL,
  at timestamptz NOT NULL,
  UNIQUE (kind, a_source, a_scope, a_ref, b_source, b_scope, b_ref)
);
`,
  },
  {
    id: 4,
    name: "findings and GitHub write log",
    sql: `
CREATE TABLE finding (
  fingerprint text PRIMARY KEY,
  kind text NOT NULL,
  severity text NOT NULL,
  ci_id text NOT NULL,
  ci_key text NOT NULL,
  attribute text,
  status text NOT NULL,
  acknowledged boolean NOT NULL DEFAULT false,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  resolved_at timestamptz,
  reopened_at timestamptz,
  flaps integer NOT NULL DEFAULT 0,
  data jsonb NOT NULL
);
CREATE INDEX finding_status_idx ON finding (status);
CREATE INDEX finding_ci_idx ON finding (ci_id);

CREATE TABLE github_write (
  repo text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX github_write_idx ON github_write (repo, at);
`,
  },
  {
    id: 5,
    name: "identity keys looked up through the index without a pending list",
    // GIN's fast-update pending list is merged only by vacuum, which PGlite never runs: every key
    // probe then scans the whole list. Without it each probe is a few index pages.
    sql: `
ALTER INDEX observation_keys_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('observation_keys_idx'::regclass);
`,
  },
  {
    id: 6,
    name: "an unchanged re-ingest writes no rows: last seen of present rows comes from the scope's last complete run",
    // A complete run states everything its scope holds: what it still reports present was seen
    // then, so those rows need not be rewritten. The tables keep what changed; the views of the
    // old names add the scope's last complete run to present rows. No query looks changes up by
    // run, so that index only cost writes.
    sql: `
ALTER TABLE observation RENAME TO observation_row;
ALTER TABLE relationship RENAME TO relationship_row;
ALTER TABLE scope_state ADD COLUMN seen_at timestamptz;
ALTER TABLE scope_state ADD COLUMN seen_run_id text;
ALTER TABLE scope_state ADD COLUMN batch_digest text;
DROP INDEX change_run_idx;
UPDATE scope_state s SET seen_at = r.started_at, seen_run_id = r.id FROM run r WHERE r.id = s.last_complete_run_id;
CREATE VIEW observation AS
SELECT o.source, o.scope, o.ref, o.ci_id, o.type, o.keys, o.strong_keys, o.fields, o.attributes, o.status, o.first_seen,
       CASE WHEN o.status = 'present' AND s.seen_at > o.last_seen THEN s.seen_at ELSE o.last_seen END AS last_seen,
       o.gone_at,
       CASE WHEN o.status = 'present' AND s.seen_at > o.last_seen THEN s.seen_run_id ELSE o.run_id END AS run_id
  FROM observation_row o LEFT JOIN scope_state s ON s.source = o.source AND s.scope = o.scope;
CREATE VIEW relationship AS
SELECT r.source, r.scope, r.type, r.from_ci, r.to_ci, r.status, r.first_seen,
       CASE WHEN r.status = 'present' AND s.seen_at > r.last_seen THEN s.seen_at ELSE r.last_seen END AS last_seen,
       r.gone_at,
       CASE WHEN r.status = 'present' AND s.seen_at > r.last_seen THEN s.seen_run_id ELSE r.run_id END AS run_id
  FROM relationship_row r LEFT JOIN scope_state s ON s.source = r.source AND s.scope = r.scope;
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.id;

export async function migrate(engine: Engine): Promise<void> {
  await engine.transaction(async (tx) => {
    await advisoryLock(tx, engine, MIGRATION_LOCK, "migration");
    await tx.query("CREATE TABLE IF NOT EXISTS cmdb_migration (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    const rows = await tx.query<{ id: number }>("SELECT id FROM cmdb_migration ORDER BY id");
    const applied = new Set(rows.map((r) => Number(r.id)));
    const newest = Math.max(0, ...applied);
    if (newest > SCHEMA_VERSION) {
      throw new Error(`the store has schema version ${newest}, newer than this cmdb understands (${SCHEMA_VERSION}): upgrade cmdb`);
    }
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.id)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query("INSERT INTO cmdb_migration (id, name) VALUES ($1, $2)", [migration.id, migration.name]);
    }
  });
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
