import { describe, expect, it } from "vitest";
import { REDACTED, redactByName, redactText } from "../../src/util/redact.js";

/**
 * Free-text redaction reads a 2 MB word once. Its earlier patterns were tried from every position of
 * such a word and ran to its end each time (hours); these cases end in milliseconds, so the suite's
 * timeout is the bound.
 */
describe("redactText on a 2 MB word", () => {
  const word = "A".repeat(2_000_000);

  it("keeps a word with no = and no :// as it is, beside pairs and URLs it still masks", () => {
    const text = `${word} password=hunter2 x${word}y postgres://admin:s3cret@db/app ${word}://`;
    expect(redactText(text)).toBe(`${word} password=*** x${word}y postgres://admin:***@db/app ${word}://`);
  });

  it("masks a secret pair whose key follows the word, and a URL whose scheme is the word", () => {
    expect(redactText(`1${word}_token = "abc" ${word}:`)).toBe(`1${word}_token = "***" ${word}:`);
    expect(redactText(`-${word}://u:p@h`)).toBe(`-${word}://u:***@h`);
  });

  it("still masks as before: the key starts at the first letter of its word, values end where they did", () => {
    expect(redactText("1.api_key=abc&user=bob")).toBe("1.api_key=***&user=bob");
    expect(redactText("a=1 password='x y' pass=b;c")).toBe("a=1 password='***' pass=***;c");
    expect(redactText("see 9://x and https://u:pw@h/p?password=q")).toBe("see 9://x and https://u:***@h/p?password=***");
  });
});

describe("a string holding a JSON document nested too deep to look through", () => {
  it("is redacted whole (it may hold a secret), and the value around it is kept", () => {
    const deep = `${"[".repeat(20_000)}{"password": "hunter2"}${"]".repeat(20_000)}`;
    expect(redactByName({ note: deep, name: "web1" })).toEqual({ note: REDACTED, name: "web1" });
    expect(redactByName({ note: '[[{"password": "hunter2"}]]' })).toEqual({ note: `[[{"password":"${REDACTED}"}]]` });
  });
});
