/**
 * Resolves secret references (`${ENV_NAME}`, `bw://item/field`) to their values, and remembers
 * every value it handed out so that anything printed can be scrubbed of them. Errors name the
 * reference and the configuration path, never a value.
 */
import { CmdbError } from "../util/errors.js";
import { REDACTED } from "../util/redact.js";
import { BitwardenCli, type BitwardenOptions, itemField } from "./bitwarden.js";
import { parseSecretRef } from "./ref.js";

export { BitwardenCli, itemField } from "./bitwarden.js";
export { parseSecretRef, SECRET_REF_PATTERN, type SecretRef } from "./ref.js";

export interface SecretResolverOptions {
  env?: NodeJS.ProcessEnv;
  bitwarden?: BitwardenOptions;
}

export class SecretResolver {
  private readonly env: NodeJS.ProcessEnv;
  private readonly bitwarden: BitwardenCli;
  private readonly values = new Set<string>();

  constructor(options: SecretResolverOptions = {}) {
    this.env = options.env ?? process.env;
    this.bitwarden = new BitwardenCli({ env: this.env, ...options.bitwarden });
  }

  /**
   * The value itself when it is no reference; `where` names the configuration path for errors.
   * What a reference yields is scrubbed from output later, and so is a literal marked `secret`.
   */
  async resolve(value: string, where: string, options: { secret?: boolean } = {}): Promise<string> {
    const ref = parseSecretRef(value);
    if (!ref) {
      if (value.startsWith("bw://")) throw new CmdbError("not a Bitwarden reference of the form bw://<item>/<field>", { where, exitCode: 2 });
      if (options.secret) this.remember(value);
      return value;
    }
    let resolved: string | undefined;
    if (ref.kind === "env") {
      resolved = this.env[ref.name];
      if (resolved === undefined || resolved === "") throw new CmdbError(`the environment variable ${ref.name} is not set`, { where: `${where} (${ref.text})` });
    } else {
      const item = await this.bitwarden.item(ref.item, `${where} (${ref.text})`);
      resolved = itemField(item, ref.field);
      if (resolved === undefined || resolved === "") {
        throw new CmdbError(`the Bitwarden item ${JSON.stringify(item.name)} has no value in field ${JSON.stringify(ref.field)}`, {
          where: `${where} (${ref.text})`,
          hint: "fields are password, username, notes, or a custom field's exact name",
        });
      }
    }
    this.values.add(resolved);
    return resolved;
  }

  /** Marks a value as secret without resolving it (a token given in the environment directly). */
  remember(value: string | undefined): void {
    if (value) this.values.add(value);
  }

  /** `text` with every secret this resolver handed out replaced; longest first, so none leaves a tail. */
  scrub(text: string): string {
    let out = text;
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      if (value.length >= 4) out = out.split(value).join(REDACTED);
    }
    return out;
  }
}
