/**
 * Host patterns as Ansible's inventory plugins read them: `parse_address` (an optional `:port`,
 * validated as IPv4, IPv6 or host name, ranges allowed) and `expand_hostname_range`
 * (`web[01:20]`, `db-[a:f]`, `[0:10:2]`, several ranges in one name).
 */
export class RangeError_ extends Error {}

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const I6 = `(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const I4 = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
// Python's \w on str: letters, digits and underscore in any script
const WORD = String.raw`[\p{L}\p{N}_]`;
const LABEL = `(?:${WORD}|${ALNUM_RANGE})(?:${WORD}|-|${ALNUM_RANGE})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const IPV4 = new RegExp(`^(?:${I4}\\.){3}${I4}$`, "i");
const IPV6 = new RegExp(
  "^(?:" +
    [
      `(?:${I6}:){7}${I6}`,
      `(?:${I6}:){1,6}:`,
      `(?:${I6}:)(?::${I6}){1,6}`,
      `(?:${I6}:){2}(?::${I6}){1,5}`,
      `(?:${I6}:){3}(?::${I6}){1,4}`,
      `(?:${I6}:){4}(?::${I6}){1,3}`,
      `(?:${I6}:){5}(?::${I6}){1,2}`,
      `(?:${I6}:){6}(?::${I6})`,
      `:(?::${I6}){1,6}`,
      `${I6}?::`,
      `(?:0:){6}(?:${I6}\\.){3}${I6}`,
      `::(?:ffff:)?(?:${I6}\\.){3}${I6}`,
      `(?:0:){5}ffff:(?:${I6}\\.){3}${I6}`,
    ].join("|") +
    ")$",
  "i",
);
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, "iu");

/**
 * `parse_address(pattern, allow_ranges=True)`, falling back as `_expand_hostpattern` does: when the
 * text is not a valid address the whole text is the pattern and there is no port.
 */
export function splitPort(pattern: string): { pattern: string; port: number | undefined } {
  let address = pattern;
  let port: string | undefined;
  // Python's loop `continue`s after a match, so the plain host:port form is tried on the result too
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = m[2]!;
    }
  }
  if (IPV4.test(address) || IPV6.test(address) || HOSTNAME.test(address)) {
    return { pattern: address, port: port === undefined ? undefined : Number.parseInt(port, 10) };
  }
  return { pattern, port: undefined };
}

const ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Python's int() on a str: optional sign, digits with single underscores, surrounding whitespace. */
function pyInt(text: string): number {
  const t = text.trim();
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(t)) throw new RangeError_(`invalid literal for int() with base 10: '${text}'`);
  return Number(t.replace(/_/g, ""));
}

/** Ansible would try to build the list and run out of memory; a real inventory never comes near. */
const MAX_RANGE_HOSTS = 100_000;

/** `expand_hostname_range`: every name a pattern with `[begin:end(:step)]` ranges stands for, in order. */
export function expandHostRange(line: string): string[] {
  const out: string[] = [];
  expandInto(line, out);
  return out;
}

function expandInto(line: string, out: string[]): void {
  const parts = line.replace("[", "|").replace("]", "|").split("|");
  if (parts.length < 3) throw new RangeError_(`not enough values to unpack (expected 3, got ${parts.length})`);
  if (parts.length > 3) throw new RangeError_("too many values to unpack (expected 3)");
  const [head, nrange, tail] = parts as [string, string, string];
  const bounds = nrange.split(":");
  if (bounds.length !== 2 && bounds.length !== 3) throw new RangeError_("host range must be begin:end or begin:end:step");
  const beg = bounds[0] || "0";
  const end = bounds[1]!;
  const stepText = bounds[2];
  if (!end) throw new RangeError_("host range must specify end value");
  let fill = (x: number | string): string => String(x);
  if (beg[0] === "0" && beg.length > 1) {
    const width = beg.length;
    if (width !== end.length) throw new RangeError_("host range must specify equal-length begin and end formats");
    fill = (x) => zfill(String(x), width);
  }
  const iBeg = ASCII_LETTERS.indexOf(beg);
  const iEnd = ASCII_LETTERS.indexOf(end);
  let seq: (string | number)[];
  if (iBeg >= 0 && iEnd >= 0) {
    if (iBeg > iEnd) throw new RangeError_("host range must have begin <= end");
    const step = stepText === undefined ? 1 : pyInt(stepText);
    if (step === 0) throw new RangeError_("slice step cannot be zero");
    seq = [];
    // Python's ascii_letters[i_beg:i_end + 1:step]; a negative step gives nothing since begin <= end
    for (let i = iBeg; step > 0 && i <= iEnd; i += step) seq.push(ASCII_LETTERS[i]!);
  } else {
    const b = pyInt(beg);
    const e = pyInt(end) + 1;
    const step = stepText === undefined ? 1 : pyInt(stepText);
    if (step === 0) throw new RangeError_("range() arg 3 must not be zero");
    const count = Math.ceil((e - b) / step);
    if (!Number.isSafeInteger(b) || !Number.isSafeInteger(e) || count + out.length > MAX_RANGE_HOSTS) {
      throw new RangeError_(`host range [${nrange}] stands for more than ${MAX_RANGE_HOSTS} hosts, more than cmdb accepts`);
    }
    seq = [];
    if (step > 0) for (let i = b; i < e; i += step) seq.push(i);
    else for (let i = b; i > e; i += step) seq.push(i);
  }
  for (const item of seq) {
    const name = head + fill(item) + tail;
    if (name.includes("[")) expandInto(name, out);
    else out.push(name);
  }
}

/** Python's str.zfill: pad with zeros after any sign. */
function zfill(text: string, width: number): string {
  if (text.length >= width) return text;
  const sign = text[0] === "-" || text[0] === "+" ? text[0] : "";
  return sign + "0".repeat(width - text.length) + text.slice(sign.length);
}
