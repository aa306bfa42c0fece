import { UsageError } from "../util/errors.js";
import { glob } from "./severity.js";
import type { Finding } from "./types.js";

/**
 * Ignore rules, after driftctl's `.driftignore`: one pattern a line, naming a CI as `type.key`
 * (`virtual_machine.proxmox.vm:lab/103`) or one attribute of it as `key:attribute`
 * (`aws.instance:i-0abc:tags`); `*` matches anything, `!` re-includes what an earlier line ignored,
 * `#` starts a comment (also after a pattern). The last line that matches decides.
 */
export interface IgnoreRule {
  pattern: string;
  negate: boolean;
  /** Where it came from: `.cmdbignore:4` or `config drift.ignore[0]`. */
  origin: string;
  reason?: string;
  expires?: Date;
  regex: RegExp;
}

export function parseIgnoreFile(text: string, file: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = stripComment(raw).trim();
    if (line === "") return;
    const negate = line.startsWith("!");
    const pattern = (negate ? line.slice(1) : line).trim();
    if (pattern === "") throw new UsageError("a `!` with no pattern after it", { where: `${file}:${i + 1}`, hint: "write !type.key or !key:attribute" });
    rules.push({ pattern, negate, origin: `${file}:${i + 1}`, regex: glob(pattern) });
  });
  return rules;
}

function stripComment(line: string): string {
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && line[i + 1] === "#") {
      out += "#";
      i++;
    } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) {
      break;
    } else out += c;
  }
  return out;
}

export interface ConfigIgnore {
  rule: string;
  reason: string;
  /** An ISO date (end of that day, UTC) after which the rule no longer applies. */
  expires?: string;
}

export function configIgnoreRules(entries: readonly ConfigIgnore[]): IgnoreRule[] {
  return entries.map((e, i) => {
    const negate = e.rule.startsWith("!");
    const pattern = negate ? e.rule.slice(1) : e.rule;
    const expires = e.expires === undefined ? undefined : endOfDay(e.expires, i);
    return { pattern, negate, origin: `config drift.ignore[${i}]`, reason: e.reason, ...(expires ? { expires } : {}), regex: glob(pattern) };
  });
}

function endOfDay(text: string, i: number): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T23:59:59.999Z` : text);
  if (Number.isNaN(d.getTime())) throw new UsageError(`drift.ignore[${i}].expires: ${JSON.stringify(text)} is not a date`, { hint: "write YYYY-MM-DD" });
  return d;
}

/** What a rule can name a finding by. */
export function subjects(f: Pick<Finding, "ci" | "attribute">): string[] {
  const out: string[] = [];
  for (const key of f.ci.keys) {
    out.push(`${f.ci.type}.${key}`);
    if (f.attribute) out.push(`${key}:${f.attribute}`);
  }
  return out;
}

export interface IgnoreOutcome<T> {
  kept: T[];
  ignored: { finding: T; rule: IgnoreRule }[];
  /** Rules whose expiry has passed: what they covered is reported again. */
  expired: IgnoreRule[];
}

export function applyIgnores<T extends Pick<Finding, "ci" | "attribute">>(findings: T[], rules: readonly IgnoreRule[], now: Date): IgnoreOutcome<T> {
  const live = rules.filter((r) => !r.expires || r.expires.getTime() >= now.getTime());
  const expired = rules.filter((r) => r.expires && r.expires.getTime() < now.getTime());
  const kept: T[] = [];
  const ignored: { finding: T; rule: IgnoreRule }[] = [];
  for (const f of findings) {
    const names = subjects(f);
    let decided: IgnoreRule | undefined;
    for (const rule of live) if (names.some((n) => rule.regex.test(n))) decided = rule;
    if (decided && !decided.negate) ignored.push({ finding: f, rule: decided });
    else kept.push(f);
  }
  return { kept, ignored, expired };
}
