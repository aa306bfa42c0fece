import type { CiType } from "../../model/ci-types.js";
import type { RelationshipType } from "../../model/relationships.js";
import { CI_LABEL, EDGE_TYPES, SYNC_PROPERTY, TYPE_LABELS } from "./project.js";

/**
 * Every Cypher statement a sync can send. Values always travel as parameters; the only words
 * written into statement text are labels and relationship types from the CI type and
 * relationship registries (checked to be plain identifiers below), because Cypher cannot take a
 * label or a relationship type as a parameter on the Neo4j versions in use (4.4 and 5.x). So the
 * statements are a closed, finite set built once at load time, never from input.
 */

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;
function ident(word: string): string {
  if (!IDENT.test(word)) throw new Error(`not a Cypher identifier: ${JSON.stringify(word)}`);
  return word;
}

/** The node that holds a target's sync lock, sequence and watermark. */
export const SYNC_LABEL = "CmdbSync";

export const SCHEMA_STATEMENTS: readonly string[] = [
  `CREATE CONSTRAINT cmdb_ci_id IF NOT EXISTS FOR (n:${CI_LABEL}) REQUIRE n.id IS UNIQUE`,
  `CREATE CONSTRAINT cmdb_sync_name IF NOT EXISTS FOR (n:${SYNC_LABEL}) REQUIRE n.name IS UNIQUE`,
  `CREATE INDEX cmdb_ci_sync IF NOT EXISTS FOR (n:${CI_LABEL}) ON (n.${SYNC_PROPERTY})`,
  `CREATE INDEX cmdb_ci_name IF NOT EXISTS FOR (n:${CI_LABEL}) ON (n.name)`,
  `CREATE INDEX cmdb_ci_type IF NOT EXISTS FOR (n:${CI_LABEL}) ON (n.type)`,
  ...EDGE_TYPES.map((t) => `CREATE INDEX cmdb_${ident(t).toLowerCase()}_sync IF NOT EXISTS FOR ()-[r:${ident(t)}]-() ON (r.${SYNC_PROPERTY})`),
];

/**
 * Takes the target's lock (or renews it for its owner), expiring after `$ttlMs` on the server's
 * clock; every take advances the sequence that stamps the sync. No row back: another sync holds it.
 */
export const ACQUIRE_LOCK = `MERGE (s:${SYNC_LABEL} {name: $name})
WITH s WHERE s.owner IS NULL OR s.owner = $owner OR s.expires < timestamp()
SET s.owner = $owner, s.expires = timestamp() + $ttlMs, s.seq = coalesce(s.seq, 0) + 1
RETURN s.seq AS seq, s.changeId AS changeId`;

export const RENEW_LOCK = `MATCH (s:${SYNC_LABEL} {name: $name}) WHERE s.owner = $owner
SET s.expires = timestamp() + $ttlMs
RETURN s.seq AS seq`;

export const LOCK_HOLDER = `MATCH (s:${SYNC_LABEL} {name: $name})
RETURN s.owner AS owner, s.expires - timestamp() AS remainingMs`;

/** Releases the lock; a completed sync also records the store change id it reached. */
export const RELEASE_LOCK = `MATCH (s:${SYNC_LABEL} {name: $name}) WHERE s.owner = $owner
SET s.owner = null, s.expires = null, s.changeId = coalesce($changeId, s.changeId), s.lastSync = CASE WHEN $changeId IS NULL THEN s.lastSync ELSE $seq END
RETURN s.seq AS seq`;

export const READ_WATERMARK = `OPTIONAL MATCH (s:${SYNC_LABEL} {name: $name}) RETURN s.changeId AS changeId, s.seq AS seq`;

function mergeNodes(type: CiType): string {
  const label = ident(TYPE_LABELS[type]);
  const others = Object.values(TYPE_LABELS)
    .filter((l) => l !== label)
    .map(ident);
  return `UNWIND $rows AS row
MERGE (n:${CI_LABEL} {id: row.id})
SET n = row.props, n.${SYNC_PROPERTY} = $sync, n:${label}
REMOVE n:${others.join(":")}`;
}

function mergeEdges(type: RelationshipType): string {
  return `UNWIND $rows AS row
MATCH (a:${CI_LABEL} {id: row.from})
MATCH (b:${CI_LABEL} {id: row.to})
MERGE (a)-[r:${ident(type)}]->(b)
SET r = row.props, r.${SYNC_PROPERTY} = $sync`;
}

export const MERGE_NODES: Readonly<Record<CiType, string>> = Object.fromEntries(
  (Object.keys(TYPE_LABELS) as CiType[]).map((t) => [t, mergeNodes(t)]),
) as Record<CiType, string>;

export const MERGE_EDGES: Readonly<Record<RelationshipType, string>> = Object.fromEntries(EDGE_TYPES.map((t) => [t, mergeEdges(t)])) as Record<
  RelationshipType,
  string
>;

/*
 * Deletes, each bounded by `$limit` and run again until it deletes fewer: never one unbounded
 * DETACH DELETE cascade (Cartography's cleanup jobs that ran out of transaction memory).
 * Relationships go first, then the nodes, which by then have none.
 */

/** CMDB edges of one type a full sync did not stamp. */
export const DELETE_STALE_EDGES: Readonly<Record<RelationshipType, string>> = Object.fromEntries(
  EDGE_TYPES.map((t) => [
    t,
    `MATCH ()-[r:${ident(t)}]->() WHERE r.${SYNC_PROPERTY} < $sync
WITH r LIMIT $limit
DELETE r
RETURN count(r) AS deleted`,
  ]),
) as Record<RelationshipType, string>;

/** Whatever edges (the CMDB's or anyone's) still touch CI nodes a full sync did not stamp. */
export const DELETE_STALE_NODE_EDGES = `MATCH (n:${CI_LABEL})-[r]-() WHERE n.${SYNC_PROPERTY} < $sync
WITH DISTINCT r LIMIT $limit
DELETE r
RETURN count(r) AS deleted`;

export const DELETE_STALE_NODES = `MATCH (n:${CI_LABEL}) WHERE n.${SYNC_PROPERTY} < $sync
WITH n LIMIT $limit
DELETE n
RETURN count(n) AS deleted`;

/** Incremental: the CMDB edges leaving changed CIs that this sync did not stamp again. */
export const DELETE_STALE_EDGES_FROM = `UNWIND $ids AS id
MATCH (:${CI_LABEL} {id: id})-[r]->(:${CI_LABEL}) WHERE r.${SYNC_PROPERTY} < $sync
WITH DISTINCT r LIMIT $limit
DELETE r
RETURN count(r) AS deleted`;

/** Incremental: edges of CIs the store no longer has, then the nodes. */
export const DELETE_EDGES_OF = `UNWIND $ids AS id
MATCH (:${CI_LABEL} {id: id})-[r]-()
WITH DISTINCT r LIMIT $limit
DELETE r
RETURN count(r) AS deleted`;

export const DELETE_NODES = `UNWIND $ids AS id
MATCH (n:${CI_LABEL} {id: id})
WITH n LIMIT $limit
DELETE n
RETURN count(n) AS deleted`;

/** Dry run: what the target holds now, to count what a sync would delete. */
export const EXISTING_NODE_IDS = `MATCH (n:${CI_LABEL}) WHERE n.${SYNC_PROPERTY} IS NOT NULL RETURN n.id AS id`;
export const EXISTING_EDGES = `MATCH (a:${CI_LABEL})-[r]->(b:${CI_LABEL}) WHERE r.${SYNC_PROPERTY} IS NOT NULL RETURN a.id AS from, type(r) AS type, b.id AS to`;

/** Every statement text this module can send, for the tests that parse each with Neo4j's parser. */
export function allStatements(): string[] {
  return [
    ...SCHEMA_STATEMENTS,
    ACQUIRE_LOCK,
    RENEW_LOCK,
    LOCK_HOLDER,
    RELEASE_LOCK,
    READ_WATERMARK,
    ...Object.values(MERGE_NODES),
    ...Object.values(MERGE_EDGES),
    ...Object.values(DELETE_STALE_EDGES),
    DELETE_STALE_NODE_EDGES,
    DELETE_STALE_NODES,
    DELETE_STALE_EDGES_FROM,
    DELETE_EDGES_OF,
    DELETE_NODES,
    EXISTING_NODE_IDS,
    EXISTING_EDGES,
  ];
}
