/**
 * A warning for the person at the terminal: one line on stderr, in the same shape as errors
 * (`cmdb: warning: <where>: <what> (<what to do>)`), never on stdout where --json goes.
 */
export function warn(where: string, message: string, hint?: string): void {
  process.stderr.write(`cmdb: warning: ${where}: ${message}${hint ? ` (${hint})` : ""}\n`);
}
