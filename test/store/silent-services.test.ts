import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";

/** A TCP listener that accepts every connection and never sends a byte. */
async function silentListener(): Promise<{ port: number; close: () => void }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

let dir: string;
const closers: (() => void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cmdb-silent-"));
});
afterEach(() => {
  for (const c of closers.splice(0)) c();
  rmSync(dir, { recursive: true, force: true });
});

describe("a service that accepts and never answers", () => {
  it("as the database: the command ends, naming the server and the bound", async () => {
    const silent = await silentListener();
    closers.push(silent.close);
    const url = `postgres://cmdb:s3cret@127.0.0.1:${silent.port}/cmdb`;
    const r = await runCli(["--db", url, "ci", "list"], { env: { CMDB_DB_TIMEOUT_MS: "1000" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `cmdb: postgres://cmdb:***@127.0.0.1:${silent.port}/cmdb: no answer from the PostgreSQL server within 1 s (it accepted the connection or never answered it) (check that this host and port are a PostgreSQL server; CMDB_DB_TIMEOUT_MS sets how long to wait)\n`,
    );
  });

  it("as the Proxmox API: the ingest ends with the request it waited on, and retires nothing", async () => {
    const silent = await silentListener();
    closers.push(silent.close);
    const r = await runCli(["--db", join(dir, "store"), "ingest", "proxmox", "--json"], {
      env: {
        CMDB_HTTP_TIMEOUT_MS: "1000",
        PROXMOX_URL: `http://127.0.0.1:${silent.port}`,
        PROXMOX_TOKEN_ID: "cmdb@pve!ci",
        PROXMOX_TOKEN_SECRET: "12345678-1234-1234-1234-1234567890ab",
      },
    });
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary.sources[0].errors).toEqual([{ where: `127.0.0.1:${silent.port} GET /cluster/status`, message: "no answer within 1 s (CMDB_HTTP_TIMEOUT_MS sets how long to wait)" }]);
    expect(summary.sources[0].runs.map((run: { outcome: string }) => run.outcome)).toEqual(["failed"]);
    expect(r.stdout + r.stderr).not.toContain("12345678-1234");
  });

  it("as a Terraform HTTP backend that stalls in the middle of the state: the URL and the bytes received are named", async () => {
    const state = readFileSync(join(TEST_FIXTURES, "terraform", "aws-vpc-instance-eip.tfstate"));
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(state.length) });
      res.write(state.subarray(0, 100));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => server.close());
    closers.push(() => server.closeAllConnections());
    const port = (server.address() as { port: number }).port;
    const r = await runCli(["--db", join(dir, "store"), "ingest", "terraform", `http://user:pw-secret@127.0.0.1:${port}/state/prod`], { env: { CMDB_HTTP_TIMEOUT_MS: "1000" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `cmdb: http://127.0.0.1:${port}/state/prod: the state backend sent nothing for 1 s in the middle of the state (after 100 bytes) (check the backend; CMDB_HTTP_TIMEOUT_MS sets how long to wait)\n`,
    );
  });
});
