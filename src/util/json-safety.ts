import { CmdbError } from "./errors.js";
import { MAX_DEPTH } from "./redact.js";

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  step: string | number | undefined;
}

function pathOf(frame: Frame): string {
  const steps: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.step !== undefined; f = f.parent) steps.push(f.step);
  return `$${steps
    .reverse()
    .map((s) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z_][\w-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
    .join("")}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what PostgreSQL refuses
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what PostgreSQL refuses
const UNSTORABLE_ALL = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const storable = (s: string): string => s.replace(UNSTORABLE_ALL, "\ufffd");

/**
 * Makes parsed JSON storable, in place, and says what it changed: PostgreSQL's jsonb and text refuse
 * NUL and lone surrogates (replaced by U+FFFD), and a number beyond a double (`1e999`, parsed as
 * Infinity) would become null (kept as the string "Infinity"). A value nested deeper than
 * MAX_DEPTH is refused with its JSON path: nothing real nests that deep, and walking it would
 * overflow the stack. Iterative, so it is itself safe at any depth.
 */
export function makeStorable(root: unknown, where: string): string[] {
  const notes: string[] = [];
  const note = (frame: Frame, what: string) => {
    if (notes.length < 20) notes.push(`${where} at ${pathOf(frame)}: ${what}`);
    else if (notes.length === 20) notes.push(`${where}: more values were changed the same way`);
  };
  const stack: Frame[] = [{ value: root, depth: 0, parent: undefined, step: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value } = frame;
    if (value === null || typeof value !== "object") continue;
    if (frame.depth >= MAX_DEPTH) {
      throw new CmdbError(`nested more than ${MAX_DEPTH} levels deep`, { where: `${where} at ${pathOf(frame)}`, hint: "this is not data cmdb can store" });
    }
    const container = value as Record<string | number, unknown>;
    const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
    for (let key of keys) {
      if (typeof key === "string" && UNSTORABLE.test(key)) {
        const fixed = storable(key);
        const v = container[key];
        delete container[key];
        container[fixed] = v;
        key = fixed;
        note({ value: v, depth: frame.depth + 1, parent: frame, step: key }, "a key with NUL or a lone surrogate: replaced by U+FFFD");
      }
      const child = container[key];
      const childFrame = { value: child, depth: frame.depth + 1, parent: frame, step: key };
      if (typeof child === "string") {
        if (UNSTORABLE.test(child)) {
          container[key] = storable(child);
          note(childFrame, "NUL or a lone surrogate: replaced by U+FFFD");
        }
      } else if (typeof child === "number") {
        if (!Number.isFinite(child)) {
          container[key] = String(child);
          note(childFrame, `a number too large for a double: kept as the string "${String(child)}"`);
        }
      } else if (child !== null && typeof child === "object") {
        stack.push(childFrame);
      }
    }
  }
  return notes;
}
