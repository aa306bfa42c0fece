export { type GraphChanges, graphChanges, resolvePoint } from "./changes.js";
export { DEFAULT_STALE_AFTER_MS, type Mark, staleMarks, staleReason } from "./marks.js";
export { dependencyEdges, type Reach, reach } from "./reach.js";
export { edgesBetween, graphCis, subgraph } from "./subgraph.js";
export type { Graph, GraphCi, GraphEdge, GraphScope } from "./types.js";
export { type GraphNode, walk, type WalkDirection } from "./walk.js";
