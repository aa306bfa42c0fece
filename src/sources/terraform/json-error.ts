/**
 * Where a JSON text stops being JSON. `JSON.parse` reports a position in some Node versions and
 * messages and not in others ("Unexpected end of JSON input", "Unexpected token 'x', … is not valid
 * JSON"), so on failure this small scanner walks the text once more to find the offset and say
 * what it expected there. It runs only after JSON.parse has already failed.
 */
export interface JsonSyntaxProblem {
  offset: number;
  line: number;
  column: number;
  expected: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {
    super(expected);
  }
}

export function locateJsonError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++;
  };
  const fail = (expected: string): never => {
    throw new Stop(i, i >= text.length ? `${expected}, but the input ends (truncated?)` : expected);
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`expected \`${word}\``);
      i++;
    }
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return;
      }
      if (ch < 0x20) fail("a control character must be escaped inside a string");
      if (ch === 0x5c) {
        i++;
        const esc = text[i];
        if (esc === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail("expected 4 hex digits after \\u");
          i += 5;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i++;
        else fail("invalid escape in string");
      } else i++;
    }
    fail("expected the closing `\"` of a string");
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === "" || match[0] === "-") fail("expected a number");
    i += match![0].length;
  };
  const key = () => {
    ws();
    if (text[i] !== '"') fail("expected a property name in double quotes");
    string();
    ws();
    if (text[i] !== ":") fail("expected `:` after the property name");
    i++;
  };
  // Iterative, with the open containers on a stack: a document nested 100,000 deep is located too.
  const value = (): void => {
    const open: ("}" | "]")[] = [];
    for (;;) {
      ws();
      const ch = text[i];
      if (ch === "{" || ch === "[") {
        const close = ch === "{" ? "}" : "]";
        i++;
        ws();
        if (text[i] !== close) {
          open.push(close);
          if (close === "}") key();
          continue;
        }
        i++;
      } else if (ch === '"') string();
      else if (ch === "t") literal("true");
      else if (ch === "f") literal("false");
      else if (ch === "n") literal("null");
      else if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) number();
      else fail("expected a JSON value");
      // A value is complete: close what it completes, up to the next `,`.
      for (;;) {
        const close = open.at(-1);
        if (close === undefined) return;
        ws();
        if (text[i] === ",") {
          i++;
          if (close === "}") key();
          break;
        }
        if (text[i] === close) {
          i++;
          open.pop();
          continue;
        }
        fail(close === "}" ? "expected `,` or `}` after a property value" : "expected `,` or `]` after an array element");
      }
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail("expected the end of the input after the JSON value");
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { offset: error.offset, ...lineColumn(text, error.offset), expected: error.expected };
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      start = k + 1;
    }
  }
  return { line, column: offset - start + 1 };
}
