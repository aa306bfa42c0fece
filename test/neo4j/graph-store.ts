import { join } from "node:path";
import { reconcileSettings } from "../../src/config/schema.js";
import { ingestAnsibleInventory } from "../../src/sources/ansible/ingest.js";
import { ingestTerraform } from "../../src/sources/terraform/ingest.js";
import type { Store } from "../../src/store/store.js";
import { TEST_FIXTURES } from "../helpers/corpus.js";

export const settings = reconcileSettings({});

/** A value planted straight into the store under a secret-looking name: no export may carry it. */
export const PLANTED = "PLANTED-neo4j-export-secret";

/** Text that breaks naive quoting in Cypher, XML and JSON alike. */
export const HOSTILE = "it's a \"test\" \\ with\nnewline, tab\t, `tick`, </data> & ]]> */ // $param {x: 1}";

/**
 * A store with real ingests (the cross-source lab's Terraform state and inventory, the Terraform
 * state with planted secrets) plus one CI edited the way no source writes: a hostile name, a tag
 * key with a space, nested and mixed attributes, a secret-named attribute that bypassed redaction.
 */
export async function populate(store: Store): Promise<{ hostileId: string }> {
  const now = new Date("2026-11-20T10:00:00Z");
  await ingestTerraform(store, { input: join(TEST_FIXTURES, "cross-source/lab.tfstate"), workspace: "lab", proxmoxCluster: "lab", settings, now });
  await ingestAnsibleInventory(store, [join(TEST_FIXTURES, "cross-source/inventory.ini")], { settings, now });
  await ingestTerraform(store, { input: join(TEST_FIXTURES, "terraform/planted-secrets-v4.tfstate"), workspace: "planted", settings, now });
  const [row] = await store.engine.query<{ id: string }>("SELECT id FROM ci WHERE type = 'virtual_machine' ORDER BY id LIMIT 1");
  const hostileId = row!.id;
  await store.engine.query(
    `UPDATE ci SET name = $2, tags = tags || $3::jsonb, attributes = attributes || $4::jsonb WHERE id = $1`,
    [
      hostileId,
      HOSTILE,
      JSON.stringify({ "Cost Center": "R&D <7>", quote: HOSTILE }),
      JSON.stringify({
        db_password: PLANTED,
        nested: { deeper: { value: 3, ratio: 0.25 } },
        mixed: [1, "two", { three: 3 }],
        flags: [true, false],
        empty: [],
        big: 2 ** 40,
        name: "an attribute called name",
        hostile: HOSTILE,
      }),
    ],
  );
  return { hostileId };
}
