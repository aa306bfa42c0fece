/**
 * Python's `shlex.split(line, comments=True)` (POSIX mode), which Ansible's INI plugin uses to cut
 * a host line into the host pattern and its `key=value` words. Quotes are removed, `#` starts a
 * comment even inside a word, a backslash escapes outside quotes and only `"`/`\` inside double quotes.
 */
export class ShlexError extends Error {}

const WHITESPACE = " \t\r\n";

export function shlexSplit(line: string): string[] {
  const tokens: string[] = [];
  let token = "";
  let inToken = false;
  let quoted = false;
  let i = 0;
  const emit = (): void => {
    if (inToken || quoted) tokens.push(token);
    token = "";
    inToken = false;
    quoted = false;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (WHITESPACE.includes(c)) {
      emit();
      i++;
    } else if (c === "#") {
      break;
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new ShlexError("No escaped character");
      token += line[i + 1];
      inToken = true;
      i += 2;
    } else if (c === "'" || c === '"') {
      quoted = true;
      inToken = true;
      i++;
      for (;;) {
        if (i >= line.length) throw new ShlexError("No closing quotation");
        const d = line[i]!;
        if (d === c) {
          i++;
          break;
        }
        if (c === '"' && d === "\\") {
          if (i + 1 >= line.length) throw new ShlexError("No escaped character");
          const n = line[i + 1]!;
          token += n === '"' || n === "\\" ? n : `\\${n}`;
          i += 2;
          continue;
        }
        token += d;
        i++;
      }
    } else {
      token += c;
      inToken = true;
      i++;
    }
  }
  emit();
  return tokens;
}
