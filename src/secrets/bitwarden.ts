import { z } from "zod";
import { type BwAnswer, type BwRunner, bwStatus, firstLine, runBw, vaultStateError, vaultwardenError } from "../sources/bitwarden/bw.js";
import { CmdbError } from "../util/errors.js";

/** The part of `bw get item` output that references read; everything else is ignored. */
const itemSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  notes: z.string().nullish(),
  login: z.looseObject({ username: z.string().nullish(), password: z.string().nullish() }).nullish(),
  fields: z.array(z.looseObject({ name: z.string().nullish(), value: z.string().nullish() })).nullish(),
});
export type BitwardenItem = z.infer<typeof itemSchema>;

export interface BitwardenOptions {
  /** The `bw` executable; found on PATH by default. */
  command?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Reads items through the Bitwarden CLI. The session comes from BW_SESSION in the environment, as
 * `bw` reads it, never from the command line (where other users' `ps` would see it); `--nointeraction`
 * makes a locked vault an error instead of a password prompt. Each item is fetched once.
 */
export class BitwardenCli {
  private readonly items = new Map<string, Promise<BitwardenItem>>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly runner: BwRunner;

  constructor(options: BitwardenOptions = {}) {
    this.env = options.env ?? process.env;
    this.runner = {
      command: options.command ?? "bw",
      env: this.env,
      timeoutMs: options.timeoutMs ?? 60_000,
      missingHint: "install it (https://bitwarden.com/help/cli/) or use an environment variable reference",
    };
  }

  item(name: string, reference: string): Promise<BitwardenItem> {
    let pending = this.items.get(name);
    if (!pending) {
      pending = this.fetchItem(name, reference);
      this.items.set(name, pending);
    }
    return pending;
  }

  private async fetchItem(name: string, reference: string): Promise<BitwardenItem> {
    const answer = await this.run(["get", "item", name, "--nointeraction"], reference);
    if (answer.code !== 0) throw await this.explain(answer, name, reference);
    let data: unknown;
    try {
      data = JSON.parse(answer.stdout);
    } catch {
      throw new CmdbError(`\`bw get item\` did not answer JSON for item ${JSON.stringify(name)}`, { where: reference });
    }
    const item = itemSchema.safeParse(data);
    if (!item.success) {
      const issue = item.error.issues[0]!;
      throw new CmdbError(`\`bw get item\` answered an item of unexpected shape (at ${issue.path.join(".") || "the top"}: ${issue.message})`, { where: reference });
    }
    return item.data;
  }

  /** Why `bw get item` failed, in one sentence, asking `bw status` when the vault may be locked. */
  private async explain(answer: BwAnswer, name: string, reference: string): Promise<CmdbError> {
    const said = firstLine(answer.stderr) || firstLine(answer.stdout);
    if (/^not found\.?$/i.test(said)) {
      return new CmdbError(`no Bitwarden item matches ${JSON.stringify(name)}`, { where: reference, hint: "check the item's name or use its id (bw list items --search …)" });
    }
    if (/more than one result/i.test(said)) {
      return new CmdbError(`more than one Bitwarden item matches ${JSON.stringify(name)}`, { where: reference, hint: "name the item by its id: bw://<id>/<field>" });
    }
    const vaultwarden = vaultwardenError(answer, undefined, reference);
    if (vaultwarden) return vaultwarden;
    const status = await bwStatus(this.runner, reference);
    return vaultStateError(status?.status, this.env, reference) ?? new CmdbError(`\`bw get item\` failed${said ? `: ${said}` : ` (exit ${answer.code})`}`, { where: reference });
  }

  private run(args: string[], reference: string): Promise<BwAnswer> {
    return runBw(this.runner, args, reference);
  }
}

/** A field of an item: password, username or notes, else the custom field of that name. */
export function itemField(item: BitwardenItem, field: string): string | undefined {
  const builtIn: Record<string, string | null | undefined> = { password: item.login?.password, username: item.login?.username, notes: item.notes };
  if (Object.hasOwn(builtIn, field)) return builtIn[field] ?? undefined;
  return item.fields?.find((f) => f.name === field)?.value ?? undefined;
}
