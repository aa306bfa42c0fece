/**
 * Legacy flatmap attributes (state version 3, and `attributes_flat` in v4 states upgraded from it):
 * `tags.% = 2`, `tags.Name = web` is a map; `disk.# = 1`, `disk.0.size = 10` a list; set elements
 * are keyed by a hash instead of a position. Values stay strings: without the provider's schema a
 * flatmap does not say which strings were numbers or booleans.
 */
export function expandFlatmap(flat: Record<string, string>): Record<string, unknown> {
  return expandObject(new Map(Object.entries(flat)));
}

function expandObject(flat: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const heads = new Set<string>();
  for (const key of flat.keys()) heads.add(head(key));
  for (const name of heads) {
    if (name === "") continue;
    if (flat.has(`${name}.%`)) out[name] = expandMap(flat, name);
    else if (flat.has(`${name}.#`)) out[name] = expandList(flat, name);
    else if (flat.has(name)) out[name] = flat.get(name);
    else out[name] = expandObject(children(flat, name));
  }
  return out;
}

function expandMap(flat: Map<string, string>, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  const prefix = `${name}.`;
  for (const [key, value] of flat) {
    if (key.startsWith(prefix) && key !== `${name}.%`) out[key.slice(prefix.length)] = value;
  }
  return out;
}

function expandList(flat: Map<string, string>, name: string): unknown[] {
  const items = new Map<string, Map<string, string>>();
  const prefix = `${name}.`;
  for (const [key, value] of flat) {
    if (!key.startsWith(prefix) || key === `${name}.#`) continue;
    const rest = key.slice(prefix.length);
    const index = head(rest);
    const inner = rest.length > index.length ? rest.slice(index.length + 1) : "";
    const item = items.get(index) ?? new Map<string, string>();
    items.set(index, item);
    item.set(inner, value);
  }
  return [...items.entries()]
    .sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b))
    .map(([, item]) => (item.size === 1 && item.has("") ? item.get("") : expandObject(item)));
}

function children(flat: Map<string, string>, name: string): Map<string, string> {
  const out = new Map<string, string>();
  const prefix = `${name}.`;
  for (const [key, value] of flat) if (key.startsWith(prefix)) out.set(key.slice(prefix.length), value);
  return out;
}

function head(key: string): string {
  const dot = key.indexOf(".");
  return dot < 0 ? key : key.slice(0, dot);
}
