import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseTerraformState } from "../../src/sources/terraform/source.js";
import { CmdbError } from "../../src/util/errors.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";

const V4 = readFileSync(join(TEST_FIXTURES, "terraform/planted-secrets-v4.tfstate"), "utf8");

function failure(text: string, origin = "state.tfstate"): CmdbError {
  try {
    parseTerraformState(text, origin);
  } catch (error) {
    expect(error).toBeInstanceOf(CmdbError);
    return error as CmdbError;
  }
  throw new Error("expected parseTerraformState to fail");
}

const withV4 = (edit: (state: Record<string, unknown>) => void) => {
  const state = JSON.parse(V4) as Record<string, unknown>;
  edit(state);
  return JSON.stringify(state, null, 2);
};

describe("parseTerraformState: what it reads", () => {
  it("reads state v4 into instances with addresses, providers, dependencies and sensitive paths", () => {
    const parsed = parseTerraformState(V4, "v4");
    expect(parsed).toMatchObject({ format: "state-v4", formatVersion: "4", serial: 7, terraformVersion: "1.9.8" });
    const green = parsed.instances.filter((i) => i.address === 'aws_instance.web["green"]');
    expect(green.map((i) => i.deposed)).toEqual([undefined, "a1b2c3d4"]);
    expect(green[0]!.tainted).toBe(true);
    expect(green[0]!.sensitivePaths).toEqual([["custom_settings", "db", "conn"]]);
    const blue = parsed.instances.find((i) => i.indexKey === 'blue "one"')!;
    expect(blue.sensitivePaths).toEqual([["root_block_device", 0, "volume_id"]]);
    expect(blue.provider).toBe('provider["registry.terraform.io/hashicorp/aws"].eu');
  });

  it("reads state v4 whose attributes are still in legacy flatmap form", () => {
    const text = withV4((s) => {
      s.resources = [
        {
          mode: "managed",
          type: "aws_instance",
          name: "old",
          provider: "provider.aws",
          instances: [{ schema_version: 0, attributes_flat: { id: "i-1", "tags.%": "1", "tags.Name": "old", "vpc_security_group_ids.#": "1", "vpc_security_group_ids.1234": "sg-1" } }],
        },
      ];
    });
    const [old] = parseTerraformState(text, "flat").instances;
    expect(old!.attributes).toEqual({ id: "i-1", tags: { Name: "old" }, vpc_security_group_ids: ["sg-1"] });
  });

  it("reads legacy state v3: flatmap attributes, count suffixes, modules and depends_on", () => {
    const text = JSON.stringify({
      version: 3,
      terraform_version: "0.11.14",
      serial: 4,
      lineage: "3f1c0000-0000-4000-8000-000000000003",
      modules: [
        { path: ["root"], resources: {} },
        {
          path: ["root", "web"],
          resources: {
            "aws_instance.app.1": {
              type: "aws_instance",
              depends_on: ["aws_subnet.a.*", "data.aws_ami.x"],
              primary: {
                id: "i-0abc",
                attributes: { id: "i-0abc", "ebs_block_device.#": "1", "ebs_block_device.2576023345.volume_size": "20", "tags.%": "1", "tags.Name": "app-1" },
                tainted: true,
              },
              deposed: [{ id: "i-0old", attributes: { id: "i-0old" } }],
              provider: "provider.aws.west",
            },
            "data.aws_ami.x": { type: "aws_ami", primary: { id: "ami-1", attributes: { id: "ami-1" } } },
          },
        },
      ],
    });
    const parsed = parseTerraformState(text, "v3");
    expect(parsed).toMatchObject({ format: "state-v3", serial: 4, lineage: "3f1c0000-0000-4000-8000-000000000003" });
    const [app, deposed, ami] = parsed.instances;
    expect(app).toMatchObject({
      address: "module.web.aws_instance.app[1]",
      module: "module.web",
      tainted: true,
      provider: "provider.aws.west",
      dependencies: ["module.web.aws_subnet.a", "module.web.data.aws_ami.x"],
      attributes: { id: "i-0abc", ebs_block_device: [{ volume_size: "20" }], tags: { Name: "app-1" } },
    });
    expect(deposed).toMatchObject({ address: "module.web.aws_instance.app[1]", deposed: "v3-deposed-0" });
    expect(ami).toMatchObject({ address: "module.web.data.aws_ami.x", mode: "data" });
  });

  it("reads an empty state (after destroy) as no instances", () => {
    const text = JSON.stringify({ version: 4, terraform_version: "1.9.8", serial: 104, lineage: "2bbf", outputs: {}, resources: [], check_results: null });
    expect(parseTerraformState(text, "empty").instances).toEqual([]);
  });

  it("reads show -json of an empty workspace (no values at all)", () => {
    expect(parseTerraformState('{"format_version":"1.0","terraform_version":"1.9.0"}', "show").instances).toEqual([]);
  });
});

describe("parseTerraformState: clear errors naming where", () => {
  it("rejects empty input", () => {
    for (const text of ["", "  \n\t "]) {
      const e = failure(text, "empty.tfstate");
      expect(e.where).toBe("empty.tfstate");
      expect(e.message).toMatch(/empty/);
    }
  });

  it("rejects binary junk", () => {
    const junk = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0xae, 0x05, 0x00, 0x43, 0xbf, 0xa6, 0xa3]);
    const e = failure(junk.toString("utf8"), "state.gz");
    expect(e.where).toBe("state.gz");
    expect(e.message).toMatch(/binary/);
  });

  it("names the line and column where truncated JSON ends", () => {
    const truncated = V4.slice(0, Math.floor(V4.length / 2));
    const e = failure(truncated, "cut.tfstate");
    const lines = truncated.split("\n");
    expect(e.where).toBe(`cut.tfstate:${lines.length}:${lines.at(-1)!.length + 1}`);
    expect(e.message).toMatch(/invalid JSON.*truncated/);
  });

  it("names the line and column of a syntax error inside the JSON", () => {
    const e = failure('{\n  "version": 4,\n  "serial": x\n}', "bad.tfstate");
    expect(e.where).toBe("bad.tfstate:3:13");
    expect(e.message).toMatch(/expected a JSON value/);
  });

  it("rejects a JSON array at the top", () => {
    const e = failure("[1, 2]", "list.json");
    expect(e.where).toBe("list.json at $");
    expect(e.message).toMatch(/found an array/);
  });

  it("names the JSON path of a missing lineage", () => {
    const e = failure(withV4((s) => delete s.lineage), "nolineage.tfstate");
    expect(e.where).toBe("nolineage.tfstate at $.lineage");
    expect(e.message).toMatch(/expected string/);
  });

  it("names the JSON path of a wrong value deep inside", () => {
    const e = failure(
      withV4((s) => {
        ((s.resources as { instances: { index_key?: unknown }[] }[])[2]!.instances[1]!).index_key = true;
      }),
    );
    expect(e.where).toBe("state.tfstate at $.resources[2].instances[1].index_key");
    expect(e.message).toMatch(/found boolean true/);
  });

  it("says which old version was found and how to upgrade it", () => {
    const e = failure('{"version": 1, "serial": 1, "modules": []}', "old.tfstate");
    expect(e.message).toMatch(/version 1/);
    expect(e.hint).toMatch(/terraform state pull/);
    expect(e.where).toBe("old.tfstate at $.version");
  });

  it("refuses unknown future versions of the state and of show -json", () => {
    expect(failure('{"version": 5, "serial": 1, "lineage": "x"}').message).toMatch(/version 5 is newer/);
    expect(failure('{"format_version": "2.0", "values": {}}').message).toMatch(/format_version 2.0 is newer/);
  });

  it("tells a plan from a state", () => {
    expect(failure('{"format_version": "1.2", "planned_values": {}, "resource_changes": []}').message).toMatch(/plan, not of a state/);
  });

  it("rejects JSON that is no Terraform state at all", () => {
    const e = failure('{"name": "package", "dependencies": {}}', "package.json");
    expect(e.message).toMatch(/neither `version` nor `format_version`/);
  });
});
