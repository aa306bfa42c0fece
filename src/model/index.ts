export * from "./attributes.js";
export * from "./ci-types.js";
export * from "./keys.js";
export * from "./observation.js";
export * from "./relationships.js";
