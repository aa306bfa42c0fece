export * from "./model/index.js";
export { CmdbError, UsageError } from "./util/errors.js";
