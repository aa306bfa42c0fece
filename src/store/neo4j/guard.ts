import { UsageError } from "../../util/errors.js";

/**
 * `cmdb graph query` runs Cypher in a read transaction, which Neo4j itself refuses to write in.
 * This guard refuses the obvious writes before anything is sent, with a clear message: it reads the
 * query's words outside strings, comments and backticked names, and rejects the clauses that
 * write (a property or map key spelled like one, `n.set` or `{create: 1}`, is not a clause).
 * Writes it cannot see (a procedure that writes) are still refused by the read transaction, and
 * a result whose summary reports updates is rolled back.
 */

const WRITE_CLAUSES = new Set([
  "CREATE",
  "MERGE",
  "DELETE",
  "DETACH",
  "NODETACH",
  "SET",
  "REMOVE",
  "DROP",
  "ALTER",
  "RENAME",
  "GRANT",
  "DENY",
  "REVOKE",
  "FOREACH",
  "INSERT",
  "LOAD",
  "START",
  "STOP",
  "ENABLE",
  "DEALLOCATE",
  "REALLOCATE",
  "TERMINATE",
]);

interface Word {
  text: string;
  /** The nearest character before the word, or "a" when that is another word. */
  before: string;
  /** The word before, if the word follows one. */
  previous: string;
  after: string;
}

/** The query's bare words, each with the nearest non-space character before and after it. */
export function cypherWords(query: string): Word[] {
  const words: Word[] = [];
  let prev = "";
  let previousWord = "";
  let i = 0;
  const n = query.length;
  const nextSignificant = (from: number): string => {
    let j = from;
    while (j < n && /\s/.test(query[j]!)) j++;
    return query[j] ?? "";
  };
  while (i < n) {
    const ch = query[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "/" && query[i + 1] === "/") {
      while (i < n && query[i] !== "\n") i++;
      continue;
    }
    if (ch === "/" && query[i + 1] === "*") {
      const end = query.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      while (j < n) {
        if (query[j] === "\\" && ch !== "`") j += 2;
        else if (query[j] === ch && ch === "`" && query[j + 1] === "`") j += 2;
        else if (query[j] === ch) break;
        else j++;
      }
      i = j + 1;
      prev = ch;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_]/.test(query[j]!)) j++;
      const text = query.slice(i, j);
      words.push({ text, before: prev, previous: prev === "a" ? previousWord : "", after: nextSignificant(j) });
      previousWord = text;
      prev = "a";
      i = j;
      continue;
    }
    prev = ch;
    i++;
  }
  return words;
}

/** The first writing clause of a query, or undefined when it only reads. */
export function writeClause(query: string): string | undefined {
  for (const w of cypherWords(query)) {
    const upper = w.text.toUpperCase();
    if (!WRITE_CLAUSES.has(upper)) continue;
    // n.set, :Create, $merge, {create: 1}, (set), a, set, AS remove: a property, label, parameter,
    // key or variable (set.name), not a clause.
    if ([".", ":", "$", "(", ","].includes(w.before) || w.after === ":" || w.after === "." || w.previous.toUpperCase() === "AS") continue;
    return upper;
  }
  return undefined;
}

export function assertReadOnly(query: string): void {
  const clause = writeClause(query);
  if (clause) {
    throw new UsageError(`the query writes (${clause}): graph query runs read-only Cypher only`, {
      where: "--cypher",
      hint: "the Neo4j projection is rebuilt from the CMDB by `cmdb graph sync`; change the CMDB, not the projection",
    });
  }
}

/** `--param k=v`: the value as JSON when it reads as JSON (numbers, booleans, lists, "quoted"), else the text. */
export function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? "" : pair.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UsageError(`--param ${JSON.stringify(pair)}: expected NAME=VALUE with a plain parameter name`);
    }
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    out[name] = value;
  }
  return out;
}
