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
    // "cannot read the facts" says what failed; the file system's reason says why.
    const why = fileProblem(this.cause, "read");
    const said = why && [why, fileProblem(this.cause, "write")].some((phrase) => phrase && this.message.includes(phrase));
    const message = why && !said ? `${this.message}: ${why}` : this.message;
    const head = this.where ? `${this.where}: ${message}` : message;
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
  // A Node file error that no caller translated still reads as a sentence, never `ENOENT: …, open 'x'`.
  const errno = errnoOf(error);
  if (errno?.path) return `${errno.path}: ${FILE_PROBLEMS[errno.code]![errno.syscall && WRITING_SYSCALLS.has(errno.syscall) ? "write" : "read"]}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

const FILE_PROBLEMS: Record<string, { read: string; write: string }> = {
  ENOENT: { read: "does not exist", write: "cannot be written (its directory does not exist)" },
  ENOTDIR: { read: "does not exist (a part of the path is not a directory)", write: "cannot be written (a part of the path is not a directory)" },
  EISDIR: { read: "is a directory", write: "is a directory" },
  EACCES: { read: "cannot be read (permission denied)", write: "cannot be written (permission denied)" },
  EPERM: { read: "cannot be read (operation not permitted)", write: "cannot be written (operation not permitted)" },
  EROFS: { read: "cannot be read (read-only file system)", write: "cannot be written (read-only file system)" },
  ENOSPC: { read: "cannot be read (no space left on the device)", write: "cannot be written (no space left on the device)" },
  ELOOP: { read: "cannot be read (too many symbolic links)", write: "cannot be written (too many symbolic links)" },
  ENAMETOOLONG: { read: "cannot be read (the name is too long)", write: "cannot be written (the name is too long)" },
  EMFILE: { read: "cannot be opened (too many open files)", write: "cannot be opened (too many open files)" },
};

const WRITING_SYSCALLS = new Set(["write", "mkdir", "rename", "unlink", "rmdir", "copyfile", "symlink", "link", "chmod", "utime"]);

function errnoOf(error: unknown): { code: string; path?: string; syscall?: string } | undefined {
  const e = error as { code?: unknown; path?: unknown; syscall?: unknown } | null;
  if (!e || typeof e !== "object" || typeof e.code !== "string" || !FILE_PROBLEMS[e.code]) return undefined;
  return { code: e.code, ...(typeof e.path === "string" ? { path: e.path } : {}), ...(typeof e.syscall === "string" ? { syscall: e.syscall } : {}) };
}

/** What went wrong with a file, in words: "does not exist", "cannot be written (permission denied)"… */
export function fileProblem(error: unknown, action: "read" | "write"): string | undefined {
  const errno = errnoOf(error);
  return errno && FILE_PROBLEMS[errno.code]![action];
}

/** A failed read or write of `path` as one sentence naming the file; other errors pass through. */
export function fileError(error: unknown, path: string, action: "read" | "write", options: { hint?: string; usage?: boolean } = {}): Error {
  const problem = fileProblem(error, action);
  if (!problem) return error instanceof Error ? error : new Error(String(error));
  const hint = options.hint ? { hint: options.hint } : {};
  return options.usage ? new UsageError(problem, { where: path, ...hint }) : new CmdbError(problem, { where: path, cause: error, ...hint });
}
