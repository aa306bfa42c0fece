/**
 * Secret references: a configuration value that names where a secret lives instead of holding it.
 * `${NAME}` is the environment variable NAME; `bw://<item>/<field>` is a field of a Bitwarden item
 * (item and field percent-encoded when they hold `/`). A reference is the whole value, never a part.
 */
export type SecretRef = { kind: "env"; name: string; text: string } | { kind: "bw"; item: string; field: string; text: string };

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const BW_REF = /^bw:\/\/(.+)\/([^/]+)$/;

/** What the configuration schema accepts as a reference (checked again, in detail, by parseSecretRef). */
export const SECRET_REF_PATTERN = /^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|bw:\/\/.+\/[^/]+)$/;

export function parseSecretRef(text: string): SecretRef | undefined {
  const env = ENV_REF.exec(text);
  if (env) return { kind: "env", name: env[1]!, text };
  const bw = BW_REF.exec(text);
  if (!bw) return undefined;
  const item = decode(bw[1]!);
  const field = decode(bw[2]!);
  if (item === undefined || field === undefined || item === "" || field === "") return undefined;
  return { kind: "bw", item, field, text };
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
