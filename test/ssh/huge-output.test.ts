import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { transformSsh } from "../../src/sources/ssh/transform.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";

const target = { ref: "huge", host: "10.0.0.1", port: 22, user: "root" };
const recorded = readFileSync(join(TEST_FIXTURES, "ssh", "ubuntu-22.04-baremetal-docker.out"), "utf8");

/**
 * Output with a 2 MB quoted word where the parsers do not expect one (the fuzz case of seed 777
 * that never ended). Parsing is linear: with the earlier lsblk pattern, tried from each of the
 * word's 2 million positions, this input ran for hours; it now takes milliseconds, so the suite's
 * timeout is the bound.
 */
describe("SSH script output with a 2 MB quoted string", () => {
  const huge = `"${"A".repeat(2_000_000)}"`;

  it("reads an lsblk line that carries it after its pairs, and keeps the line's disk", () => {
    const output = recorded.replace('NAME="sda" SIZE="4000787030016" TYPE="disk" ROTA="1"', `NAME="sda" SIZE="4000787030016" TYPE="disk" ROTA="1"${huge}`);
    expect(output.length).toBeGreaterThan(2_000_000);
    const { observation } = transformSsh(output, target);
    expect(observation.attributes.disks).toEqual([
      { name: "nvme0n1", size_gb: 894.25 },
      { name: "nvme1n1", size_gb: 894.25 },
      { name: "sda", size_gb: 3726.02 },
    ]);
  });

  it("reads it in any section the same way: within the hostname, os-release, interfaces and sockets", () => {
    for (const mark of ["@@cmdb:hostname", "@@cmdb:os-release", "@@cmdb:lsblk", "@@cmdb:meminfo"]) {
      expect(recorded).toContain(mark);
      const output = recorded.replace(`${mark}\n`, `${mark}\nx${huge}y=${huge}: ${huge}\n`);
      const { observation } = transformSsh(output, target);
      expect(observation.type).toBe("server");
    }
    const lines = recorded.split("\n");
    // Every line of the output in turn carries the huge word in its middle.
    for (let i = 0; i < lines.length; i += 7) {
      const line = lines[i]!;
      if (line.startsWith("@@cmdb:")) continue;
      const half = Math.floor(line.length / 2);
      const output = [...lines.slice(0, i), `${line.slice(0, half)}${huge}${line.slice(half)}`, ...lines.slice(i + 1)].join("\n");
      expect(() => transformSsh(output, target)).not.toThrow();
    }
  });

  it("without its end mark, fails with the one clear error", () => {
    const cut = `${recorded.slice(0, recorded.indexOf("@@cmdb:lsblk"))}${huge}`;
    expect(() => transformSsh(cut, target)).toThrow("the discovery script's output is incomplete (no end mark)");
  });
});
