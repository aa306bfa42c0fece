/**
 * On Node.js before 22 the AWS SDK prints an eight-line notice that its releases after January 2027
 * will need Node.js 22. It is worth one line, once per command; every other warning prints as Node
 * prints it.
 */
export function quietAwsNodeWarning(): void {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) return;
  const defaults = process.listeners("warning");
  if (defaults.length === 0) return; // --no-warnings: nothing is printed anyway
  let said = false;
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (/^NodeVersionSupportWarning\b/.test(warning.message) || warning.name === "NodeVersionSupportWarning") {
      if (!said) process.stderr.write(`cmdb: warning: the AWS SDK's releases after January 2027 need Node.js 22 or later (this is ${process.version})\n`);
      said = true;
      return;
    }
    for (const listener of defaults) listener(warning);
  });
}
