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

/** How deep a value may nest: far beyond any real state, facts or API answer, short of the call stack. */
export const MAX_DEPTH = 1000;

/**
 * A deep copy of `value` with every secret replaced by REDACTED (null stays null): the value of a
 * secret-named key, the value of a `{name: "API_TOKEN", value: …}` pair (Kubernetes and ECS
 * environment lists), and inside strings the secrets redactText finds (URL passwords, secret
 * query and keyword parameters, `sshpass -p`) and those of a JSON document held in a string
 * (ECS `container_definitions`, IAM policies).
 */
export function redactByName<T>(value: T): T {
  return walk(value, 0) as T;
}

const PAIR_NAME = ["name", "Name", "key", "Key"] as const;
const PAIR_VALUE = ["value", "Value"] as const;

function walk(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`nested more than ${MAX_DEPTH} levels deep`);
  if (typeof value === "string") return redactString(value, depth);
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const pairName = PAIR_NAME.map((k) => record[k]).find((v) => typeof v === "string") as string | undefined;
    const secretPair = pairName !== undefined && isSecretName(pairName);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      const secret = isSecretName(k) || (secretPair && (PAIR_VALUE as readonly string[]).includes(k));
      out[k] = secret && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0) ? REDACTED : walk(v, depth + 1);
    }
    return out;
  }
  return value;
}

function redactString(value: string, depth: number): string {
  const first = value.trimStart()[0];
  if ((first === "{" || first === "[") && value.length > 1) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return redactText(value);
    }
    if (parsed !== null && typeof parsed === "object") {
      const redacted = walk(parsed, depth + 1);
      return JSON.stringify(redacted) === JSON.stringify(parsed) ? value : JSON.stringify(redacted);
    }
  }
  return redactText(value);
}

const MASK = "***";

/**
 * Secrets inside free text: the password of every `scheme://user:password@host` (a password may
 * hold `/`, `@` or `:`), the value of each secret-named `key=value` (URL query, libpq keyword
 * strings, `;`-separated connection strings), and the password of `sshpass -p`, `--password`.
 */
export function redactText(text: string): string {
  if (!/[:=@]|sshpass|-p/.test(text)) return text;
  let out = text;
  if (out.includes("://")) out = out.replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s'"<>]*)/gi, (_m, scheme: string, rest: string) => scheme + redactAuthority(rest));
  if (out.includes("=")) {
    out = out.replace(/([A-Za-z_][\w.-]*)(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;,'"#]+)/g, (m, key: string, eq: string, v: string) =>
      isSecretName(key) && v !== MASK ? `${key}${eq}${quoted(v)}` : m,
    );
  }
  if (out.includes("sshpass")) out = out.replace(/(sshpass\s+-p\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)/g, (_m, head: string, v: string) => head + quoted(v));
  out = out.replace(/(--(?:password|passwd|pass|token|secret)(?:\s+|=))('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|(?!-)\S+)/gi, (_m, head: string, v: string) => head + quoted(v));
  return out;
}

function quoted(v: string): string {
  return v.startsWith("'") ? `'${MASK}'` : v.startsWith('"') ? `"${MASK}"` : MASK;
}

/** `user:password@host/path?query`: the userinfo ends at the last `@` before the query. */
function redactAuthority(rest: string): string {
  const queryAt = rest.search(/[?#]/);
  const head = queryAt < 0 ? rest : rest.slice(0, queryAt);
  const at = head.lastIndexOf("@");
  if (at < 0) return rest;
  const userinfo = head.slice(0, at);
  const colon = userinfo.indexOf(":");
  if (colon < 0 || userinfo.slice(colon + 1) === MASK) return rest;
  return `${userinfo.slice(0, colon)}:${MASK}${rest.slice(at)}`;
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
