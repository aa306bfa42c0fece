import { expect } from "vitest";
import { CmdbError } from "../../src/util/errors.js";

/** The CmdbError a promise rejects with; a promise that resolves fails the test. */
export async function failure(promise: Promise<unknown>): Promise<CmdbError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CmdbError);
    return error as CmdbError;
  }
  throw new Error("expected a failure");
}
