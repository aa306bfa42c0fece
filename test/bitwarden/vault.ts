import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { VaultSnapshot } from "../../src/sources/bitwarden/get.js";
import { BW_DIR } from "../discover/bw-standin.js";

export const ROTATION_FILES = {
  items: join(BW_DIR, "rotation-items.json"),
  folders: join(BW_DIR, "rotation-folders.json"),
  collections: join(BW_DIR, "rotation-collections.json"),
  organizations: join(BW_DIR, "rotation-organizations.json"),
  export: join(BW_DIR, "export-rotation.json"),
};

const read = (file: string) => JSON.parse(readFileSync(file, "utf8"));

/** The homelab vault of rotation-*.json, as the CLI path reads it. */
export function rotationSnapshot(): VaultSnapshot {
  return {
    via: "cli",
    account: "vault.lab.example/ops@lab.example",
    filter: {},
    items: read(ROTATION_FILES.items),
    folders: read(ROTATION_FILES.folders),
    collections: read(ROTATION_FILES.collections),
    organizations: read(ROTATION_FILES.organizations),
  };
}

/** Every secret value planted in rotation-items.json: none may reach the store, output or issues. */
export const PLANTED = [
  "PLANTED",
  "PLANTEDTOTPSEEDONE",
  "otpauth://",
  "age1qyqszqgpqyqs",
  "4000000000000002",
  "planted7@example.org",
  "AAAAC3NzaC1lZDI1NTE5AAAAIPlanted",
  "OPENSSH PRIVATE KEY",
  "recovery codes",
];

/** The rotation section the tests' configuration holds. */
export const ROTATION_CONFIG = `rotation:
  folders:
    Infrastructure: 120d
  collections:
    hypervisors: 60d
  owners:
    alice: alice-gh
`;
