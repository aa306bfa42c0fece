import { CmdbError } from "../../util/errors.js";
import { describeNeo4jError, fromNeo4jValue, type Neo4jTarget, openDriver, toNeo4jValue } from "./driver.js";
import { assertReadOnly } from "./guard.js";

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/**
 * `cmdb graph query`: read-only Cypher. Three fences: the guard refuses writing clauses before
 * anything is sent; the query runs in a read transaction, where Neo4j refuses writes; and a result
 * whose summary says it wrote anyway (or is not a read query) is rolled back and refused.
 */
export async function runReadQuery(target: Neo4jTarget, cypher: string, params: Record<string, unknown>, env?: NodeJS.ProcessEnv): Promise<QueryResult> {
  assertReadOnly(cypher);
  const driver = await openDriver(target, env);
  try {
    const session = driver.session({ ...(target.database ? { database: target.database } : {}), defaultAccessMode: "READ" });
    try {
      return await session.executeRead(async (tx) => {
        const result = await tx.run(cypher, toNeo4jValue(params) as Record<string, unknown>);
        const { summary } = result;
        if (summary.counters.containsUpdates() || summary.counters.containsSystemUpdates() || (summary.queryType && summary.queryType !== "r")) {
          throw new CmdbError(`the query is of type ${JSON.stringify(summary.queryType)}, not read-only; it was rolled back`, { where: "--cypher", exitCode: 2 });
        }
        const columns = result.records[0]?.keys.map(String) ?? [];
        const rows = result.records.map((r) => Object.fromEntries(r.keys.map((k) => [String(k), fromNeo4jValue(r.get(k))])));
        return { columns, rows };
      });
    } finally {
      await session.close();
    }
  } catch (error) {
    throw describeNeo4jError(error, target);
  } finally {
    await driver.close();
  }
}
