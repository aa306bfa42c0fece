/** Orders strings by code point: the same order on every machine and engine, whatever its collation or locale. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
