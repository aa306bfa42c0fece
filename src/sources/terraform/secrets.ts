import { REDACTED, redactByName, redactPaths } from "../../util/redact.js";
import type { StateInstance } from "./parse.js";

/**
 * Attributes that providers declare sensitive in their schema. Terraform does not write schema
 * sensitivity into `sensitive_attributes` (only values marked sensitive through the configuration),
 * so a `random_password.result` arrives unmarked; these are the ones whose names do not already
 * look secret to redactByName.
 */
const SCHEMA_SECRETS: Record<string, readonly string[]> = {
  random_password: ["result", "bcrypt_hash"],
  local_sensitive_file: ["content", "content_base64"],
  local_file: ["sensitive_content"],
  tls_self_signed_cert: ["private_key_pem"],
  aws_iam_access_key: ["secret", "ses_smtp_password_v4", "encrypted_secret"],
  aws_db_instance: ["password"],
  aws_rds_cluster: ["master_password"],
  aws_secretsmanager_secret_version: ["secret_string", "secret_binary"],
  aws_ssm_parameter: ["value", "insecure_value"],
  aws_instance: ["user_data", "user_data_base64"],
  aws_launch_template: ["user_data"],
  kubernetes_secret: ["data", "binary_data"],
  kubernetes_secret_v1: ["data", "binary_data"],
  proxmox_virtual_environment_user_token: ["value"],
  proxmox_virtual_environment_file: ["source_raw"],
};

/** A private key (PEM or OpenSSH) anywhere in a string, or such a text in base64 (`LS0tLS1CRUdJTi` is "-----BEGIN"). */
const KEY_MATERIAL = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|^LS0tLS1CRUdJTi/;

/** The instance's values with everything secret replaced by REDACTED. */
export function redactedValues(instance: StateInstance): Record<string, unknown> {
  let values = redactPaths(instance.attributes, instance.sensitivePaths);
  const known = SCHEMA_SECRETS[instance.type];
  if (known) values = redactPaths(values, known.map((name) => [name]));
  return scrubKeyMaterial(redactByName(values)) as Record<string, unknown>;
}

function scrubKeyMaterial(value: unknown): unknown {
  if (typeof value === "string") return KEY_MATERIAL.test(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map(scrubKeyMaterial);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubKeyMaterial(v);
    return out;
  }
  return value;
}
