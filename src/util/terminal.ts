/**
 * Text from infrastructure (names, tags, hostnames, file paths, error messages of other systems)
 * on its way to a terminal: every control character is shown, not obeyed. ESC, OSC, BEL, CR and
 * newlines would otherwise clear the screen, retitle the window or forge a table row (the class of
 * kubectl's CVE-2021-25743). C0 and C1 controls, DEL, line and paragraph separators and the bidi
 * overrides become visible escapes; `--json` output never goes through here.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u001b": "\\e" };

export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

/** Each line escaped on its own: the newlines between them are the renderer's, those inside a value are not. */
export function terminalLines(lines: string[]): string {
  return lines.map(terminalSafe).join("\n");
}
