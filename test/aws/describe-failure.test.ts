import { describe, expect, it } from "vitest";
import { describeFailure } from "../../src/sources/aws/get.js";

describe("an EC2 call's failure in one line", () => {
  it("keeps the first line of an SDK message and cuts an echoed huge value short", () => {
    const parse = Object.assign(new Error(`@aws-sdk XML parse error: mismatched tags <a> and </a"${"A".repeat(2_000_000)}\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.`), {
      $metadata: { httpStatusCode: 200 },
    });
    const said = describeFailure(parse);
    expect(said).not.toContain("\n");
    expect(said).toMatch(/^@aws-sdk XML parse error: mismatched tags <a> and <\/a"A+… \(\d+ characters\) \(HTTP 200\)$/);
    expect(said.length).toBeLessThan(400);
  });

  it("says a short message as it is", () => {
    expect(describeFailure(Object.assign(new Error("AWS was not able to validate the provided access credentials"), { name: "AuthFailure", $metadata: { httpStatusCode: 401 } }))).toBe(
      "AuthFailure: AWS was not able to validate the provided access credentials (HTTP 401)",
    );
  });
});
