/**
 * The CDKTF construct (`gitops-cmdb/cdktf`). It needs the optional peer dependencies cdktf 0.21.0,
 * constructs 10 and @cdktf/provider-null 11.0.1; the rest of the library never loads them.
 */
export { CmdbRegistration, type CmdbRegistrationProps, DESTROY_COMMAND, INGEST_COMMAND } from "./registration.js";
