import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFacts, readFactsInput, stablePath, transformFacts, transformFactsFiles } from "../../src/sources/ansible/source.js";
import { corpusDir, REPO_ROOT, TEST_FIXTURES } from "../helpers/corpus.js";

const keysOf = (o: { keys: { scheme: string; value: string; strength: string }[] }) => o.keys.map((k) => `${k.strength} ${k.scheme}:${k.value}`);

describe("ansible facts transform", () => {
  it("gives a Proxmox VM's facts strong machine-id, SMBIOS UUID and virtio MAC keys, and the SSH vocabulary", () => {
    const facts = parseFacts(JSON.parse(readFileSync(join(REPO_ROOT, "examples/ansible/facts/k3s-server"), "utf8")), "k3s-server");
    const { observation } = transformFacts(facts, { inventoryName: "k3s-server" }, "k3s-server");
    expect(observation.type).toBe("virtual_machine");
    expect(keysOf(observation)).toEqual([
      "strong machine-id:5b0e1c9f4a7d4e2f9c3b8a6d1e0f2a31",
      "strong smbios.uuid:3f6c2a10-58e1-4c2b-9d71-0a4be5c7d901",
      "strong mac:bc:24:11:4a:10:01",
      "weak hostname:k3s-server",
      "weak fqdn:k3s-server.home.arpa",
      "weak ip:192.168.20.11",
    ]);
    expect(observation.attributes).toMatchObject({
      os_name: "Debian GNU/Linux",
      os_id: "debian",
      os_version: "12",
      os_family: "Debian",
      memory_mb: 7937,
      cpu_cores: 4,
      cpu_model: "Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz",
      disks: [{ name: "sda", size_gb: 32 }],
      virtualization_type: "kvm",
      virtualization_role: "guest",
      interfaces: [{ name: "eth0", mac: "bc:24:11:4a:10:01", ips: ["192.168.20.11", "fe80::be24:11ff:fe4a:1001"] }],
    });
    expect(observation.attributes).not.toHaveProperty("serial");
  });

  it("inside a container takes no serial, SMBIOS UUID or device-backed MAC (they are the host's)", () => {
    const facts = parseFacts(JSON.parse(readFileSync(join(TEST_FIXTURES, "ansible-facts/setup-localhost.json"), "utf8")), "setup");
    expect(facts.virtualization_type).toBe("docker");
    const { observation } = transformFacts(facts, {}, "setup");
    expect(observation.type).toBe("container");
    expect(keysOf(observation).filter((k) => k.startsWith("strong"))).toEqual([`strong machine-id:${facts.machine_id}`]);
    expect(observation.attributes).not.toHaveProperty("ansible_env");
    expect(JSON.stringify(observation)).not.toContain("/tmp/ansible-home");
  });

  it("reads the minimal corpus facts (no hardware or network subset) without inventing values", () => {
    const dir = corpusDir("ansible");
    if (!dir) return;
    const facts = parseFacts(JSON.parse(readFileSync(join(dir, "facts-localhost-min.json"), "utf8")), "min");
    const { observation } = transformFacts(facts, {}, "min");
    expect(observation.attributes).not.toHaveProperty("interfaces");
    expect(observation.attributes).not.toHaveProperty("memory_mb");
    expect(observation.attributes).toMatchObject({ os_family: "Debian", machine_id: facts.machine_id });
  });

  it("accepts `host | SUCCESS =>` output and refuses what is not facts, naming the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmdb-facts-"));
    try {
      const setup = readFileSync(join(TEST_FIXTURES, "ansible-facts/setup-localhost.json"), "utf8");
      writeFileSync(join(dir, "pasted.txt"), `web1 | SUCCESS => ${setup}`);
      const pasted = await readFactsInput(join(dir, "pasted.txt"));
      expect(pasted.files[0]!.host).toBe("web1");
      const batch = transformFactsFiles(
        pasted.files.map((f) => ({ ...f, facts: parseFacts(f.document, f.where) })),
        "ansible-facts:x",
      );
      expect(batch.observations.map((o) => o.ref)).toEqual(["web1"]);
      writeFileSync(join(dir, "other.json"), JSON.stringify({ changed: false, msg: "hello" }));
      expect(() => parseFacts(JSON.parse(readFileSync(join(dir, "other.json"), "utf8")), join(dir, "other.json"))).toThrow(/no Ansible facts found/);
      writeFileSync(join(dir, "typed.json"), JSON.stringify({ ansible_facts: { ansible_hostname: "a", ansible_interfaces: "eth0" } }));
      try {
        parseFacts(JSON.parse(readFileSync(join(dir, "typed.json"), "utf8")), "typed.json");
        expect.unreachable();
      } catch (error) {
        expect(error).toMatchObject({ where: "typed.json: ansible_interfaces" });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("spells a path the same however it was typed", () => {
    expect(stablePath("./inv/hosts", "/repo")).toBe("inv/hosts");
    expect(stablePath("inv/hosts/", "/repo")).toBe("inv/hosts");
    expect(stablePath("/repo/inv/hosts", "/repo")).toBe("inv/hosts");
    expect(stablePath("../elsewhere/hosts", "/repo")).toBe("/elsewhere/hosts");
    expect(stablePath("web1,web2,", "/repo")).toBe("web1,web2,");
  });
});
