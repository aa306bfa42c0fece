import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quietAwsNodeWarning, supportedNode } from "../../src/cli/warnings.js";
import { ec2Check, labRoutes } from "../aws/ec2-replay.js";
import { awsEnv } from "../discover/aws-env.js";
import { runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/corpus.js";
import { type ReplayServer, startReplayServer } from "../helpers/replay-server.js";

const SLOW = 300_000;
const major = Number(process.versions.node.split(".")[0]);
const NOTICE = /NodeVersionSupportWarning|AWS SDK for JavaScript/;

describe("the Node versions cmdb supports", () => {
  it("are the ones package.json engines states", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe("^20 || ^22 || >=24");
    expect(["18.20.0", "19.9.0", "20.0.0", "21.7.0", "22.12.0", "23.1.0", "24.22.3", "26.0.0"].filter((v) => supportedNode(v))).toEqual(["20.0.0", "22.12.0", "24.22.3", "26.0.0"]);
    expect(supportedNode(process.versions.node)).toBe(true);
  });

  it("turn the AWS SDK's notice off with its own switch, and leave a user's choice alone", () => {
    const env: NodeJS.ProcessEnv = {};
    quietAwsNodeWarning(env, "20.20.2");
    expect(env).toEqual({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" });
    const chosen: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" };
    quietAwsNodeWarning(chosen, "20.20.2");
    expect(chosen.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe("false");
    const old: NodeJS.ProcessEnv = {};
    quietAwsNodeWarning(old, "18.20.0");
    expect(old).toEqual({});
  });
});

describe("an EC2 command on this Node", () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await startReplayServer({ routes: labRoutes(), check: ec2Check() });
  }, SLOW);
  afterAll(() => server?.close());

  it("prints no AWS SDK notice about Node versions", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "cmdb-node-warning-")), "store");
    const r = await runCli(["--db", db, "ingest", "ec2", "--region", "us-east-1", "--json"], { env: { ...awsEnv(server.url), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(NOTICE);
    expect(server.violations).toEqual([]);
  }, SLOW);

  // Proves the test above: without cmdb's handling, the same SDK on this Node does print the notice.
  it.runIf(major < 22)("where the SDK itself would print it (Node before 22)", () => {
    const script = "const { EC2Client } = require('@aws-sdk/client-ec2'); new EC2Client({ region: 'us-east-1' });";
    const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined };
    const bare = spawnSync(process.execPath, ["-e", script], { cwd: REPO_ROOT, env, encoding: "utf8" });
    expect(bare.stderr).toMatch(NOTICE);
  });
});
