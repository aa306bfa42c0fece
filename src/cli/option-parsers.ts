import { InvalidArgumentError } from "commander";

/** Commander parsers shared by the commands: a repeatable option collected into a list, and a count. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number above 0");
  return n;
}
