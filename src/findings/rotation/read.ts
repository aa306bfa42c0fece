import type { Sql } from "../../store/engine.js";
import { walk } from "../../graph/walk.js";
import { type CiRow, ciFromRow } from "../../store/rows.js";
import type { CredentialCi, System } from "./findings.js";

/**
 * Every credential CI a source reports (active, missing or retired), with the systems it
 * AUTHENTICATES_TO and, for each, what depends on that system up to `depth` hops.
 */
export async function readCredentials(sql: Sql, depth = 3): Promise<CredentialCi[]> {
  const rows = await sql.query<CiRow>("SELECT * FROM ci WHERE type = 'credential' ORDER BY name, id");
  const edges = await sql.query<{ from_ci: string; to_ci: string }>(
    "SELECT DISTINCT from_ci, to_ci FROM relationship WHERE type = 'AUTHENTICATES_TO' AND status = 'present' AND from_ci = ANY($1::text[]) ORDER BY from_ci, to_ci",
    [rows.map((r) => r.id)],
  );
  const systems = new Map<string, System>();
  for (const id of new Set(edges.map((e) => e.to_ci))) {
    const nodes = await walk(sql, id, "impact", depth);
    const self = nodes.find((n) => n.depth === 0);
    if (!self) continue;
    systems.set(id, {
      id,
      name: self.name,
      type: self.type,
      status: self.status,
      dependents: nodes.filter((n) => n.depth > 0 && n.type !== "credential").map((n) => ({ id: n.id, name: n.name, type: n.type, depth: n.depth })),
    });
  }
  return rows.map((row) => {
    const ci = ciFromRow(row);
    return {
      id: ci.id,
      name: ci.name,
      status: ci.status,
      owner: ci.owner,
      attributes: ci.attributes,
      systems: edges
        .filter((e) => e.from_ci === ci.id)
        .map((e) => systems.get(e.to_ci))
        .filter((s): s is System => s !== undefined)
        .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    };
  });
}
