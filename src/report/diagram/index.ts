export { toDot } from "./dot.js";
export { type DiagramFormat, type DiagramRequest, type DrawnDiagram, drawDiagram, loadDiagram, neighbourhoodMermaid, renderDiagram } from "./draw.js";
export { type FittedMermaid, fitMermaid, GITHUB_MERMAID_LIMITS, type MermaidLimits, mermaidMarkdown } from "./fit.js";
export { toMermaid } from "./mermaid.js";
export { buildDiagram, collapseLeaves, type Diagram, type DiagramEdge, type DiagramNode, GROUP_BY, type GroupBy, splitDiagram } from "./model.js";
