import { describe, expect, it } from "vitest";
import { locateJsonError } from "../../src/sources/terraform/json-error.js";

describe("locating a JSON syntax error in a deeply nested document", () => {
  it("walks 200,000 levels without recursion and names the offset", () => {
    const deep = `{"items": [${"[".repeat(200_000)}1${"]".repeat(200_000)}], "x" 1}`;
    const at = locateJsonError(deep);
    expect(at).toMatchObject({ expected: "expected `:` after the property name", line: 1, column: deep.indexOf(' 1}') + 2 });
  });

  it("says what it expected, as before, in objects and arrays", () => {
    expect(locateJsonError('{"a": [1, 2,]}')?.expected).toBe("expected a JSON value");
    expect(locateJsonError('{"a": {"b" 1}}')?.expected).toBe("expected `:` after the property name");
    expect(locateJsonError('{"a": 1,}')?.expected).toBe("expected a property name in double quotes");
    expect(locateJsonError("[[1] 2]")?.expected).toBe("expected `,` or `]` after an array element");
    expect(locateJsonError('{"a": [{}, [], {"b": [null, true, false, -1.5e3, "s"]}]}')).toBeUndefined();
    expect(locateJsonError(`${"[".repeat(50_000)}`)?.expected).toBe("expected a JSON value, but the input ends (truncated?)");
  });
});
