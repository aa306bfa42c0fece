import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { type Command, Option } from "commander";
import { CmdbError } from "../util/errors.js";
import { print } from "./context.js";
import { collect, count } from "./option-parsers.js";

const NEO4J_OPTION = "--neo4j <url>";
const NEO4J_HELP = "bolt://host:7687 or neo4j://… (default: $CMDB_NEO4J_URL, else graph.neo4j.url); credentials only from $NEO4J_USERNAME / $NEO4J_PASSWORD";

/** `cmdb graph sync|query|export`: the CMDB's graph projected into Neo4j, queried there, or written as a file. */
export function registerGraph(program: Command): void {
  const graph = program.command("graph").description("the CMDB graph for Cypher users: sync it into Neo4j, query it, export it");

  graph
    .command("sync")
    .description("project the CMDB into Neo4j: what changed since the last sync, or everything with --full")
    .option(NEO4J_OPTION, NEO4J_HELP)
    .option("--database <name>", "the Neo4j database (default: graph.neo4j.database, else the server's default)")
    .option("--full", "send every CI and relationship, then delete what the store no longer has")
    .option("--dry-run", "print the counts of what would be merged and deleted, and change nothing")
    .option("--batch-size <n>", "rows per transaction to start with (default: graph.neo4j.batchSize, else 1000)", count)
    .option("--json", "print the report as JSON")
    .action(async (opts: { neo4j?: string; database?: string; full?: boolean; dryRun?: boolean; batchSize?: number; json?: boolean }, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { resolveTarget, syncGraph } = await import("../store/neo4j/index.js");
      const { loadConfig } = await import("../config/load.js");
      const { globals } = await import("./context.js");
      // The target is checked before the store opens: a wrong URL is told at once.
      const conf = loadConfig(globals(command).config).config.graph?.neo4j;
      const target = resolveTarget(opts.neo4j, { ...conf, ...(opts.database ? { database: opts.database } : {}) });
      const batchSize = opts.batchSize ?? conf?.batchSize;
      const report = await withStore(command, ({ store }) =>
        syncGraph(store, target, { full: opts.full === true, dryRun: opts.dryRun === true, ...(batchSize ? { batchSize } : {}) }),
      { existing: true },
      );
      print(report, opts.json === true, () => renderSync(report));
    });

  graph
    .command("query")
    .description("run read-only Cypher against the projection (in a read transaction: writes are refused)")
    .requiredOption("--cypher <query>", "the Cypher query")
    .option("--param <name=value>", "a query parameter, value as JSON when it reads as JSON (repeatable)", collect, [])
    .option(NEO4J_OPTION, NEO4J_HELP)
    .option("--database <name>", "the Neo4j database")
    .option("--json", "print the rows as a JSON array")
    .action(async (opts: { cypher: string; param: string[]; neo4j?: string; database?: string; json?: boolean }, command: Command) => {
      const { assertReadOnly, parseParams, resolveTarget, runReadQuery } = await import("../store/neo4j/index.js");
      const { loadConfig } = await import("../config/load.js");
      const { globals } = await import("./context.js");
      assertReadOnly(opts.cypher);
      const params = parseParams(opts.param);
      const conf = loadConfig(globals(command).config).config.graph?.neo4j;
      const target = resolveTarget(opts.neo4j, { ...conf, ...(opts.database ? { database: opts.database } : {}) });
      const result = await runReadQuery(target, opts.cypher, params);
      const { table } = await import("../util/table.js");
      print(result.rows, opts.json === true, () =>
        result.rows.length === 0
          ? "no rows\n"
          : table(
              result.columns,
              result.rows.map((r) => result.columns.map((c) => cell(r[c]))),
            ),
      );
    });

  graph
    .command("export")
    .description("write the projection as a file that cypher-shell, Gephi, yEd or a program loads; no server needed")
    .addOption(new Option("--format <format>", "cypher (idempotent MERGE script), graphml or json").choices(["cypher", "graphml", "json"]).makeOptionMandatory())
    .option("-o, --output <file>", "write to this file instead of stdout")
    .option("--json", "print what was written as JSON (with -o)")
    .action(async (opts: { format: "cypher" | "graphml" | "json"; output?: string; json?: boolean }, command: Command) => {
      const { withStore } = await import("./store-context.js");
      const { exportProjection, projectStore } = await import("../store/neo4j/index.js");
      const projection = await withStore(command, ({ store }) => projectStore(store), { existing: true });
      const chunks = exportProjection(projection, opts.format);
      if (!opts.output) {
        for (const chunk of chunks) if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once("drain", r));
        return;
      }
      const bytes = await writeChunks(opts.output, chunks);
      const summary = { file: opts.output, format: opts.format, nodes: projection.nodes.length, relationships: projection.edges.length, bytes };
      print(summary, opts.json === true, () => `wrote ${summary.nodes} CIs and ${summary.relationships} relationships to ${summary.file} (${summary.format}, ${bytes} bytes)`);
    });

  // After every ingest or discovery, when graph.neo4j is configured: send what changed.
  for (const group of program.commands.filter((c) => c.name() === "ingest" || c.name() === "discover")) {
    group.hook("postAction", async (_group, action) => syncAfterIngest(action));
  }
}

/** Writes text pieces to a file through a stream, and says how many bytes went out. */
async function writeChunks(file: string, chunks: Iterable<string>): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  try {
    for (const chunk of chunks) {
      bytes += Buffer.byteLength(chunk);
      // events.once rejects on the stream's 'error': a failed open or write ends the loop here.
      if (!out.write(chunk)) await once(out, "drain");
    }
    out.end();
    await once(out, "finish");
  } catch (error) {
    out.destroy();
    const e = error as NodeJS.ErrnoException;
    throw new CmdbError(`cannot write: ${e.code ?? e.message}`, { where: file, hint: "check that the directory exists and is writable" });
  }
  return bytes;
}

async function syncAfterIngest(action: Command): Promise<void> {
  const { loadConfig } = await import("../config/load.js");
  const { globals } = await import("./context.js");
  const { config } = loadConfig(globals(action).config);
  const conf = config.graph?.neo4j;
  if (!conf) return;
  const { withStore } = await import("./store-context.js");
  const { resolveTarget, syncGraph } = await import("../store/neo4j/index.js");
  const { describeError } = await import("../util/errors.js");
  try {
    const report = await withStore(action, ({ store }) => syncGraph(store, resolveTarget(undefined, conf), conf.batchSize ? { batchSize: conf.batchSize } : {}));
    process.stderr.write(`cmdb: graph: ${renderSync(report)}`);
  } catch (error) {
    // The ingest landed; the projection catches up at the next sync, which resends everything after its watermark.
    process.stderr.write(`cmdb: warning: graph sync after the ingest failed: ${describeError(error)} (the ingest landed; run \`cmdb graph sync\`)\n`);
  }
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function renderSync(r: import("../store/neo4j/index.js").SyncReport): string {
  const c = r.counts;
  const verb = r.dryRun ? "would merge" : "merged";
  const del = r.dryRun ? "would delete" : "deleted";
  return `${r.mode} sync${r.dryRun ? " (dry run)" : ""} to ${r.target}: ${verb} ${c.nodesMerged} nodes and ${c.edgesMerged} relationships, ${del} ${c.nodesDeleted} nodes and ${c.edgesDeleted} relationships${r.dryRun ? "" : ` (${r.transactions} transactions, ${r.halvings} halvings, ${r.durationMs} ms)`}\n`;
}
