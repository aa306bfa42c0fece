/**
 * Secrets never reach the store, logs, issues or reports. Sources redact what they know is secret
 * (Terraform's sensitive_attributes, Ansible vault values); this module adds the name-based rule all
 * sources share, and the store applies it once more before writing.
 */
export const REDACTED = "(redacted)";

const SECRET_NAME =
  /(pass(word|wd|phrase)?|secret|token|private[_-]?key|api[_-]?key|access[_-]?key(?![_-]?id)|auth[_-]?key|credential|client[_-]?secret|ssh[_-]?pass|become[_-]?pass|vault[_-]?pass|connection[_-]?string|sas[_-]?key|signing[_-]?key|encryption[_-]?key|session[_-]?key|cipher|salt|(^|[_-])pin($|[_-])|cookie|bearer|otp|totp|mfa[_-]?seed|user[_-]?data)/i;

/** Names that look secret but hold public values. */
const NOT_SECRET =
  /^(password_last_used|password_reset_required|password_length|token_id|api_token_id|token_name|public_key|public_key_pem|public_key_openssh|public_key_fingerprint_md5|public_key_fingerprint_sha256|key_name|kms_key_id|secret_arn|secret_id|passwordless|.*_arn|access_key_id|.*_secret_version_id)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.test(name);
}

/** A deep copy of `value` with every secret-named key's value replaced by REDACTED (null stays null). */
export function redactByName<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretName(k) && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0) ? REDACTED : walk(v);
    }
    return out;
  }
  return value;
}

/** One step of a path into a JSON value: an object key or an array index. */
export type PathStep = string | number;

/** Replaces the value at each path (in place on a copy) with REDACTED; missing paths are ignored. */
export function redactPaths<T>(value: T, paths: PathStep[][]): T {
  if (paths.length === 0) return value;
  const copy = structuredClone(value) as unknown;
  for (const path of paths) {
    if (path.length === 0) return REDACTED as T;
    let node: unknown = copy;
    for (let i = 0; i < path.length - 1; i++) {
      node = node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[path[i]!] : undefined;
    }
    const last = path[path.length - 1]!;
    if (node !== null && typeof node === "object" && Object.hasOwn(node, last)) {
      const slot = node as Record<string | number, unknown>;
      if (slot[last] !== null) slot[last] = REDACTED;
    }
  }
  return copy as T;
}
