import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestAnsibleInventory } from "../../src/sources/ansible/ingest.js";
import { ingestBatch } from "../../src/reconcile/ingest.js";
import { redactUrl } from "../../src/store/engine.js";
import { exportSnapshot } from "../../src/store/snapshot.js";
import type { Store } from "../../src/store/store.js";
import { REDACTED, redactByName, redactText } from "../../src/util/redact.js";
import { runCli } from "../helpers/cli.js";
import { dropTestSchemas, ENGINES } from "../helpers/engines.js";
import { storeDump } from "../helpers/store-dump.js";

const settings = reconcileSettings({});
afterAll(dropTestSchemas);

/** Every shape of secret the name rule alone misses, each with its own planted value. */
const SHAPES = {
  // Kubernetes (Terraform kubernetes_deployment) and ECS environment lists.
  env: [
    { name: "API_TOKEN", value: "PLANTED-k8s-env", value_from: [] },
    { name: "LOG_LEVEL", value: "debug" },
  ],
  environment: [{ Name: "DB_PASSWORD", Value: "PLANTED-ecs-env" }],
  // ECS container_definitions: a JSON document inside a string.
  container_definitions: JSON.stringify([
    { name: "app", image: "app:1", environment: [{ name: "SECRET_KEY", value: "PLANTED-in-json" }], secretPassword: "PLANTED-json-key" },
  ]),
  database_url: "postgres://admin:PLANTED-url@db.internal:5432/app",
  api_url: "https://svc-user:PLANTED-userinfo@pve.example.net:8006/api2/json",
  ansible_ssh_common_args: "-o ProxyCommand='sshpass -p PLANTED-sshpass ssh -W %h:%p jump'",
  dsn: "host=db user=app password='PLANTED libpq' sslmode=verify-full",
  jdbc: "Server=db;Database=app;User Id=app;Password=PLANTED-ado;",
  query: "postgres://db/app?sslmode=require&sslpassword=PLANTED-sslpassword&application_name=x",
};

describe("redaction of secrets that are not under a secret name", () => {
  it("masks each shape and keeps what is not secret", () => {
    const out = redactByName(SHAPES);
    expect(JSON.stringify(out)).not.toMatch(/PLANTED/);
    expect(out.env).toEqual([
      { name: "API_TOKEN", value: REDACTED, value_from: [] },
      { name: "LOG_LEVEL", value: "debug" },
    ]);
    expect(JSON.parse(out.container_definitions)[0]).toMatchObject({ name: "app", image: "app:1", environment: [{ name: "SECRET_KEY", value: REDACTED }] });
    expect(out.database_url).toBe("postgres://admin:***@db.internal:5432/app");
    expect(out.api_url).toBe("https://svc-user:***@pve.example.net:8006/api2/json");
    expect(out.ansible_ssh_common_args).toBe("-o ProxyCommand='sshpass -p *** ssh -W %h:%p jump'");
    expect(out.dsn).toBe("host=db user=app password='***' sslmode=verify-full");
    expect(out.jdbc).toBe("Server=db;Database=app;User Id=app;Password=***;");
    expect(out.query).toBe("postgres://db/app?sslmode=require&sslpassword=***&application_name=x");
  });

  it("leaves a JSON string with nothing secret byte for byte as it was", () => {
    const policy = '{ "Version": "2012-10-17", "Statement": [] }';
    expect(redactByName({ policy }).policy).toBe(policy);
  });

  it.each([
    ["postgres://root:ZQ/PW@db:5432/cmdb", "postgres://root:***@db:5432/cmdb"],
    ["postgres://root:p@ss:w/rd@db/cmdb", "postgres://root:***@db/cmdb"],
    ["postgresql://u:s3cr%2Fet@db/cmdb?sslmode=require", "postgresql://u:***@db/cmdb?sslmode=require"],
    ["postgres://u@db/cmdb?password=s3cret&sslmode=require", "postgres://u@db/cmdb?password=***&sslmode=require"],
    ["postgres://u@db/cmdb?sslpassword=s3cret", "postgres://u@db/cmdb?sslpassword=***"],
    ["postgres://db/cmdb?user=u&password=s3cret#x", "postgres://db/cmdb?user=u&password=***#x"],
    ["postgres://u:@db/cmdb", "postgres://u:***@db/cmdb"],
    ["postgres://db/cmdb", "postgres://db/cmdb"],
  ])("redactUrl(%s) masks every credential", (url, masked) => {
    expect(redactUrl(url)).toBe(masked);
    expect(redactText(`cannot connect to ${url} (refused)`)).toBe(`cannot connect to ${masked} (refused)`);
    expect(redactText(`cannot connect to ${url}: refused`)).not.toMatch(/s3cr|ZQ|PW|p@ss/);
  });

  it("the CLI names the database without any of its credentials, with or without --debug", async () => {
    for (const url of ["postgres://root:ZQ/PW@127.0.0.1:9/cmdb", "postgres://root@127.0.0.1:9/cmdb?password=ZQPW&sslpassword=ZQPW2"]) {
      for (const debug of [[], ["--debug"]]) {
        const r = await runCli([...debug, "--db", url, "ci", "list"]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^cmdb: postgres:\/\/root(:\*\*\*)?@127\.0\.0\.1:9\/cmdb/);
        expect(r.stderr).not.toMatch(/ZQ\/PW|ZQPW/);
      }
    }
  });
});

describe.each(ENGINES)("planted secrets of every shape on $name", (engine) => {
  let store: Store;
  let dir: string;
  beforeEach(async (ctx) => {
    if (!engine.available) ctx.skip();
    store = await engine.open();
    dir = mkdtempSync(join(tmpdir(), "cmdb-redact-"));
  });
  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("never reach the store or the snapshot, whichever source reports them", async () => {
    await ingestBatch(
      store,
      { source: "terraform", scope: "terraform:planted", complete: true, observations: [{ ref: "aws_ecs_task_definition.app", type: "service", keys: [], attributes: SHAPES }], relationships: [] },
      { settings },
    );
    const inventory = join(dir, "hosts.yml");
    writeFileSync(
      inventory,
      `all:\n  hosts:\n    pve1:\n      ansible_host: 10.0.0.5\n      api_url: "${SHAPES.api_url}"\n      ansible_ssh_common_args: "${SHAPES.ansible_ssh_common_args}"\n      app_env:\n        - name: API_TOKEN\n          value: PLANTED-inventory-env\n`,
    );
    await ingestAnsibleInventory(store, [inventory], { settings, cwd: dir });
    const everything = `${await storeDump(store)}\n${await exportSnapshot(store.engine)}`;
    expect(everything).toContain("pve.example.net");
    expect(everything).toContain("sshpass -p ***");
    expect(everything).not.toMatch(/PLANTED/);
  });
});
