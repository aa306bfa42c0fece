/**
 * Errors that reach the user as one sentence. `where` names the file, line, JSON path, host or URL;
 * `hint` says what to do. The CLI prints `cmdb: <where>: <message> (<hint>)` and exits 1, or 2 for
 * usage errors; the stack only with --debug.
 */
export class CmdbError extends Error {
  readonly where: string | undefined;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: { where?: string; hint?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CmdbError";
    this.where = options.where;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }

  describe(): string {
    const head = this.where ? `${this.where}: ${this.message}` : this.message;
    return this.hint ? `${head} (${this.hint})` : head;
  }
}

/** Bad command-line usage or configuration: exit code 2. */
export class UsageError extends CmdbError {
  constructor(message: string, options: { where?: string; hint?: string } = {}) {
    super(message, { ...options, exitCode: 2 });
    this.name = "UsageError";
  }
}

export function describeError(error: unknown): string {
  if (error instanceof CmdbError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
