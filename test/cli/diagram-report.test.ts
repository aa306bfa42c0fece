import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

/** One demo store for the whole file: the commands only read it. Each test starts several cmdb processes, each opening PGlite. */
const SEVERAL_RUNS = { timeout: 600_000 };
let db: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cmdb-draw-"));
  db = join(dir, "store");
  const demo = await runCli(["--db", db, "demo", "--out", join(dir, "demo")]);
  expect(demo.code, demo.stderr).toBe(0);
}, 600_000);

describe("cmdb diagram", SEVERAL_RUNS, () => {
  it("prints Mermaid, writes DOT and SVG to files, and draws a root's dependencies", async () => {
    const mermaid = await runCli(["--db", db, "diagram", "--group-by", "aws-vpc"]);
    expect(mermaid.code, mermaid.stderr).toBe(0);
    expect(mermaid.stdout).toMatch(/^---\ntitle: "CMDB"\n---\nflowchart LR\n/);
    expect(mermaid.stdout).toContain('["VPC shop-vpc"]');
    const again = await runCli(["--db", db, "diagram", "--group-by", "aws-vpc"]);
    expect(again.stdout).toBe(mermaid.stdout);

    const svgFile = join(dir, "out", "cmdb.svg");
    const svg = await runCli(["--db", db, "diagram", "--format", "svg", "-o", svgFile]);
    expect(svg.code, svg.stderr).toBe(0);
    expect(svg.stderr).toMatch(/^wrote .*cmdb\.svg: 38 nodes, \d+ edges\n$/);
    expect(readFileSync(svgFile, "utf8")).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\n$/);

    const root = await runCli(["--db", db, "diagram", "--format", "dot", "--root", "aws.instance:i-0a7e5c3b1d9f24680", "--depth", "1"]);
    expect(root.code, root.stderr).toBe(0);
    expect(root.stdout).toContain('label="What shop-web-0 needs (depth 1)"');
    expect(root.stdout).toContain("shop-private-a");
    expect(root.stdout).not.toContain("shop-vpc\\n");
    const up = await runCli(["--db", db, "diagram", "--root", "terraform:module.network.aws_vpc.this", "--direction", "up", "--type", "virtual_machine"]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain("Who breaks if shop-vpc fails");
    expect(up.stdout).toContain("shop-web-1");
    expect(up.stdout).not.toContain("Security group");
  });

  it("takes marks from findings as a JSON file, and refuses a bad one saying where", async () => {
    const list = JSON.parse((await runCli(["--db", db, "ci", "list", "--json", "--type", "database"])).stdout) as { id: string }[];
    const marks = join(dir, "marks.json");
    writeFileSync(marks, JSON.stringify([{ ciId: list[0]!.id, kind: "drift", severity: "high", title: "storage differs" }]));
    const ok = await runCli(["--db", db, "diagram", "--marks", marks]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("[drift: high]");
    writeFileSync(marks, JSON.stringify([{ ciId: list[0]!.id, kind: "drift", severity: "dire" }]));
    const bad = await runCli(["--db", db, "diagram", "--marks", marks]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^cmdb: .*marks\.json: \[0\]\.severity: .*\(expected an array of \{ ciId, kind, severity\?, title\? \}\)\n$/);
  });

  it("says what is wrong with its options, exit code 2", async () => {
    for (const [args, message] of [
      [["diagram", "--group-by", "rack"], /--group-by.*rack/],
      [["diagram", "--format", "png"], /--format.*png/],
      [["diagram", "--stale-after", "soon"], /--stale-after: "soon" is not a duration/],
      [["diagram", "--since", "last tuesday"], /--since: "last tuesday" is neither a time/],
    ] as const) {
      const r = await runCli(["--db", db, ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    const missing = await runCli(["--db", db, "diagram", "--root", "hostname:nowhere"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^cmdb: no CI has the id or key "hostname:nowhere"/);
  });
});

describe("cmdb report", SEVERAL_RUNS, () => {
  it("writes dated files and a latest copy, appends to the job summary, and prints JSON", async () => {
    const out = join(dir, "reports");
    const summary = join(dir, "summary.md");
    writeFileSync(summary, "# earlier step\n");
    const r = await runCli(["--db", db, "report", "--format", "html", "--out", out, "--github-summary"], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(r.code, r.stderr).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    const dated = join(out, `health-${today}.html`);
    expect(existsSync(dated)).toBe(true);
    expect(readFileSync(join(out, "latest.html"), "utf8")).toBe(readFileSync(dated, "utf8"));
    expect(readFileSync(dated, "utf8")).toMatch(/^<!DOCTYPE html>[\s\S]*<h1>CMDB health report<\/h1>/);
    const appended = readFileSync(summary, "utf8");
    expect(appended.startsWith("# earlier step\n# CMDB health report\n")).toBe(true);
    expect(appended).toContain("## Single points of failure");

    const json = JSON.parse((await runCli(["--db", db, "report", "--format", "json"])).stdout);
    expect(json.format).toBe("gitops-cmdb-health");
    expect(json.inventory.total).toBe(40);
  });

  it("refuses --github-summary outside GitHub Actions, and -o with --out", async () => {
    const r = await runCli(["--db", db, "report", "--github-summary"], { env: { GITHUB_STEP_SUMMARY: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("cmdb: --github-summary: GITHUB_STEP_SUMMARY is not set (run it in a GitHub Actions job, or set the variable to a file)\n");
    const both = await runCli(["--db", db, "report", "-o", join(dir, "x.md"), "--out", dir]);
    expect(both.code).toBe(2);
    const unwritable = await runCli(["--db", db, "report", "-o", "/proc/cmdb/report.md"]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(/^cmdb: \/proc\/cmdb\/report\.md: cannot write/);
  });
});
