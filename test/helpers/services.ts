import { execFileSync } from "node:child_process";

/**
 * Tests that need a service this machine may lack (PostgreSQL server, sshd, ansible-core) skip
 * with a plain message, unless CMDB_TEST_REQUIRE_ALL=1 (set by .ci/run), where a missing service
 * is a failure: CI always runs everything.
 */
export const REQUIRE_ALL = process.env.CMDB_TEST_REQUIRE_ALL === "1";

export interface Availability {
  ok: boolean;
  reason: string;
}

export function requireService(name: string, probe: () => boolean | string): Availability {
  let ok = false;
  let reason = "";
  try {
    const result = probe();
    ok = result === true;
    if (typeof result === "string") reason = result;
  } catch (error) {
    reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
  }
  if (!ok) {
    const message = `${name} is not available (${reason || "probe failed"})`;
    if (REQUIRE_ALL) throw new Error(`${message}, and CMDB_TEST_REQUIRE_ALL=1 forbids skipping`);
    console.warn(`SKIPPED: tests that need ${message}`);
  }
  return { ok, reason };
}

export function commandWorks(file: string, args: string[] = ["--version"]): boolean {
  execFileSync(file, args, { stdio: "ignore", timeout: 30_000 });
  return true;
}
