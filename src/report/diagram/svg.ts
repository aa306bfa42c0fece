import { CmdbError } from "../../util/errors.js";

/**
 * Renders DOT to SVG with Graphviz compiled to WebAssembly: no system package, and loaded only when
 * an SVG is asked for (the module carries the whole of Graphviz).
 */
export async function dotToSvg(dot: string): Promise<string> {
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const graphviz = await Graphviz.load();
  try {
    return graphviz.dot(dot, "svg");
  } catch (error) {
    throw new CmdbError(`Graphviz could not lay out the diagram: ${error instanceof Error ? error.message : String(error)}`, { where: "svg" });
  }
}
