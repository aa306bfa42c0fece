export * from "./model/index.js";
export { CmdbError, UsageError } from "./util/errors.js";
export * as ssh from "./sources/ssh/index.js";
export * as proxmox from "./sources/proxmox/index.js";
export * as ec2 from "./sources/aws/index.js";
