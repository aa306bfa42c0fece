import { execFile } from "node:child_process";
import { z } from "zod";
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

const statusSchema = z.looseObject({ status: z.string() });

export interface BitwardenOptions {
  /** The `bw` executable; found on PATH by default. */
  command?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

interface Answer {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/**
 * Reads items through the Bitwarden CLI. The session comes from BW_SESSION in the environment, as
 * `bw` reads it, never from the command line (where other users' `ps` would see it); `--nointeraction`
 * makes a locked vault an error instead of a password prompt. Each item is fetched once.
 */
export class BitwardenCli {
  private readonly items = new Map<string, Promise<BitwardenItem>>();
  private readonly command: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;

  constructor(options: BitwardenOptions = {}) {
    this.command = options.command ?? "bw";
    this.env = options.env ?? process.env;
    this.timeoutMs = options.timeoutMs ?? 60_000;
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
  private async explain(answer: Answer, name: string, reference: string): Promise<CmdbError> {
    const said = firstLine(answer.stderr) || firstLine(answer.stdout);
    if (/^not found\.?$/i.test(said)) {
      return new CmdbError(`no Bitwarden item matches ${JSON.stringify(name)}`, { where: reference, hint: "check the item's name or use its id (bw list items --search …)" });
    }
    if (/more than one result/i.test(said)) {
      return new CmdbError(`more than one Bitwarden item matches ${JSON.stringify(name)}`, { where: reference, hint: "name the item by its id: bw://<id>/<field>" });
    }
    const status = await this.status(reference);
    if (status === "unauthenticated") {
      return new CmdbError("the Bitwarden CLI is not logged in", { where: reference, hint: "run `bw login` (or `bw login --apikey`), then `export BW_SESSION=$(bw unlock --raw)`" });
    }
    if (status === "locked") {
      return new CmdbError("the Bitwarden vault is locked", {
        where: reference,
        hint: this.env.BW_SESSION ? "BW_SESSION is set but not valid: unlock again with `export BW_SESSION=$(bw unlock --raw)`" : "unlock it: `export BW_SESSION=$(bw unlock --raw)`",
      });
    }
    return new CmdbError(`\`bw get item\` failed${said ? `: ${said}` : ` (exit ${answer.code})`}`, { where: reference });
  }

  private async status(reference: string): Promise<string | undefined> {
    const answer = await this.run(["status", "--nointeraction"], reference);
    if (answer.code !== 0) return undefined;
    try {
      const parsed = statusSchema.safeParse(JSON.parse(answer.stdout));
      return parsed.success ? parsed.data.status : undefined;
    } catch {
      return undefined;
    }
  }

  private run(args: string[], reference: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      execFile(this.command, args, { env: this.env, timeout: this.timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
        const code = error ? ((error as NodeJS.ErrnoException).code ?? (error as { status?: number }).status ?? 1) : 0;
        if (code === "ENOENT") {
          reject(new CmdbError(`the Bitwarden CLI \`${this.command}\` is not installed or not on PATH`, { where: reference, hint: "install it (https://bitwarden.com/help/cli/) or use an environment variable reference" }));
          return;
        }
        if (error && (error as { killed?: boolean }).killed) {
          reject(new CmdbError(`\`bw ${args[0]}\` did not answer within ${this.timeoutMs / 1000} s`, { where: reference }));
          return;
        }
        resolve({ code: typeof code === "number" || typeof code === "string" ? code : 1, stdout, stderr });
      });
    });
  }
}

/** A field of an item: password, username or notes, else the custom field of that name. */
export function itemField(item: BitwardenItem, field: string): string | undefined {
  const builtIn: Record<string, string | null | undefined> = { password: item.login?.password, username: item.login?.username, notes: item.notes };
  if (Object.hasOwn(builtIn, field)) return builtIn[field] ?? undefined;
  return item.fields?.find((f) => f.name === field)?.value ?? undefined;
}

function firstLine(text: string): string {
  return (text.trim().split("\n")[0] ?? "").trim().slice(0, 200);
}
