export * from "./model/index.js";
export { CmdbError, UsageError } from "./util/errors.js";
export * as ssh from "./sources/ssh/index.js";
