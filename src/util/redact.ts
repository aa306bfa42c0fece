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
      let redacted: unknown;
      try {
        redacted = walk(parsed, depth + 1);
      } catch (error) {
        // A document nested too deep to look through for secrets is not kept: it may hold one.
        if (error instanceof RangeError) return REDACTED;
        throw error;
      }
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
  if (out.includes("://")) out = redactUrls(out);
  if (out.includes("=")) out = redactPairs(out);
  if (out.includes("sshpass")) out = out.replace(/(sshpass\s+-p\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)/g, (_m, head: string, v: string) => head + quoted(v));
  out = out.replace(/(--(?:password|passwd|pass|token|secret)(?:\s+|=))('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|(?!-)\S+)/gi, (_m, head: string, v: string) => head + quoted(v));
  return out;
}

/*
 * The two scans below are linear. The patterns they replace (`[a-z][a-z0-9+.-]*://` and
 * `[A-Za-z_][\w.-]*\s*=`, unanchored) were tried from every position of a long word and ran to its
 * end each time: quadratic, hours for a 2 MB word. Here each word is looked at once.
 */

/** `scheme://rest` → `scheme://` + the authority with its password masked; the scheme starts at the first letter of the word before `://`. */
function redactUrls(text: string): string {
  let out = "";
  let done = 0;
  let from = 0;
  for (let at = text.indexOf("://", from); at >= 0; at = text.indexOf("://", from)) {
    let start = at;
    while (start > done && /[a-z0-9+.-]/i.test(text[start - 1]!)) start--;
    while (start < at && !/[a-z]/i.test(text[start]!)) start++;
    if (start === at) {
      from = at + 1;
      continue;
    }
    const restStart = at + 3;
    URL_REST.lastIndex = restStart;
    const rest = URL_REST.exec(text)![0];
    out += text.slice(done, restStart) + redactAuthority(rest);
    done = from = restStart + rest.length;
  }
  return out + text.slice(done);
}
const URL_REST = /[^\s'"<>]*/y;

const KEY_RUN = /[\w.-]+/g;
const PAIR_TAIL = /(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;,'"#]+)/y;

/** Each `key=value` whose key is secret-named gets its value masked; the key starts at the first letter or `_` of its word. */
function redactPairs(text: string): string {
  let out = "";
  let done = 0;
  KEY_RUN.lastIndex = 0;
  for (let run = KEY_RUN.exec(text); run; run = KEY_RUN.exec(text)) {
    const first = run[0].search(/[A-Za-z_]/);
    if (first < 0) continue;
    const end = run.index + run[0].length;
    PAIR_TAIL.lastIndex = end;
    const tail = PAIR_TAIL.exec(text);
    if (!tail) continue;
    const key = run[0].slice(first);
    const [, eq, v] = tail as unknown as [string, string, string];
    if (isSecretName(key) && v !== MASK) {
      out += `${text.slice(done, end)}${eq}${quoted(v)}`;
      done = end + tail[0].length;
    }
    KEY_RUN.lastIndex = end + tail[0].length;
  }
  return out + text.slice(done);
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
