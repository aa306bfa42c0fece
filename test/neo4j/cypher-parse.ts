import { isNotParamError, lintCypherQuery, parseStatementsStrs } from "@neo4j-cypher/language-support";

/** Syntax errors Neo4j's own Cypher parser finds in one statement (undeclared parameters are not errors here). */
export function syntaxErrors(statement: string): string[] {
  const { diagnostics } = lintCypherQuery(statement, {});
  return diagnostics
    .map((d) => ({ severity: d.severity, message: typeof d.message === "string" ? d.message : d.message.value }))
    .filter((d) => d.severity === 1 && isNotParamError(d))
    .map((d) => d.message);
}

/** Every diagnostic, parameters included: a script meant to run without parameters has none. */
export function allDiagnostics(statement: string): string[] {
  return lintCypherQuery(statement, {}).diagnostics.map((d) => (typeof d.message === "string" ? d.message : d.message.value));
}

export function splitStatements(script: string): string[] {
  return parseStatementsStrs(script)
    .map((s) => s.trim())
    .filter((s) => s.replace(/\/\/[^\n]*/g, "").trim().length > 0);
}
