/** The Node.js majors cmdb supports, as package.json `engines` states them (`^20 || ^22 || >=24`). */
export function supportedNode(version: string = process.versions.node): boolean {
  const major = Number(version.replace(/^v/, "").split(".")[0]);
  return major === 20 || major === 22 || major >= 24;
}

/**
 * The AWS SDK prints an eight-line process warning on Node.js before 22 (its releases after January
 * 2027 will need 22) the first time a client is built. On a Node that cmdb supports it is noise in
 * every EC2 and S3 command, so it is turned off with the SDK's own switch, which silences that notice
 * and nothing else: every other warning prints as Node prints it. A user who sets the variable
 * (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=false) sees the SDK's notice again.
 */
export function quietAwsNodeWarning(env: NodeJS.ProcessEnv = process.env, version: string = process.versions.node): void {
  if (!supportedNode(version)) return;
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}
