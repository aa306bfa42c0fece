import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { expandHostRange } from "../../src/sources/ansible/hostpattern.js";
import { LiteralCrash, literalEval } from "../../src/sources/ansible/pyliteral.js";
import { ShlexError, shlexSplit } from "../../src/sources/ansible/shlex.js";
import { commandWorks, requireService } from "../helpers/services.js";

// ansible-core runs on the system Python
const PYTHON = "/usr/bin/python3";

/** The ports of Python's ast.literal_eval, shlex.split and Ansible's range expansion, checked against Python itself. */
const python = requireService("ansible-core", () => commandWorks(PYTHON, ["-c", "import ansible"]));

const SCRIPT = `
import ast, json, shlex, sys, warnings
warnings.simplefilter("ignore")
from ansible.plugins.inventory import expand_hostname_range
from ansible.module_utils._text import to_text
out = []
for kind, text in json.load(sys.stdin):
    try:
        if kind == "literal":
            try:
                v = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                v = text
            v = to_text(v, nonstring="passthru")
            out.append(["ok", json.loads(json.dumps(v))])
        elif kind == "shlex":
            out.append(["ok", shlex.split(text, comments=True)])
        else:
            out.append(["ok", expand_hostname_range(text)])
    except Exception as e:
        out.append(["error", type(e).__name__])
print(json.dumps(out))
`;

const literals = [
  "1", "-5", "+2.5", "1_000", "0x1F", "0o17", "0b101", "007", "00", "1e3", "1.", ".5", "True", "None", "false",
  "'a' 'b'", "\"x\\ty\"", "r'\\d+'", "b'bytes'", "u'text'", "f'x'", "[1, 'two', (3, 4)]", "{'k': [1, {'n': None}], 2: 'x', True: 1}",
  "(1,)", "()", "1, 2", "[]", "{}", "'unterminated", "foo bar", "{{ jinja }}", "1 + 2", "-(1)", "--1", "'a' # comment",
  "\"3\\#4\"", "[1, 2,]", "{'a': 1,}", "'\\x41\\101\\u00e9'", "C:\\Temp", "gitlab-runner-01.internal.example.net", "  42", "1if 1 else 2",
];
const shlexLines = [
  "web1 a=1 b='two words' c=\"x \\\" y\" # comment",
  "h#c d=1",
  "h path=\"C:\\\\Temp\\n\" e=a\\ b f='' g=\"\"",
  "h 'it''s' x=\"a'b\"",
];
const ranges = ["web[01:10:3]", "db-[a:f:2]", "n[0:2]-[x:y]", "r[ab:cd]", "h[-1:2]", "z[1:3:-1]", "[8:10].edge"];

describe.skipIf(!python.ok)("Python ports behave as Python does", () => {
  const input = [...literals.map((t) => ["literal", t]), ...shlexLines.map((t) => ["shlex", t]), ...ranges.map((t) => ["range", t])];
  const results = python.ok ? (JSON.parse(execFileSync(PYTHON, ["-c", SCRIPT], { input: JSON.stringify(input) }).toString()) as [string, unknown][]) : [];

  it("literal_eval (as the INI plugin applies it) gives the same value", () => {
    literals.forEach((text, i) => {
      expect(JSON.parse(JSON.stringify(literalEval(text))), text).toEqual(results[i]![1]);
    });
  });

  it("shlex.split(comments=True) gives the same words", () => {
    shlexLines.forEach((text, i) => {
      expect(shlexSplit(text), text).toEqual(results[literals.length + i]![1]);
    });
  });

  it("expand_hostname_range gives the same names in the same order", () => {
    ranges.forEach((text, i) => {
      expect(expandHostRange(text), text).toEqual(results[literals.length + shlexLines.length + i]![1]);
    });
  });
});

describe("values ansible-inventory cannot print", () => {
  it("complex numbers, sets and Ellipsis raise LiteralCrash instead of becoming text", () => {
    for (const text of ["1j", "1+2j", "{1, 2}", "set()", "...", "[b'x']"]) expect(() => literalEval(text), text).toThrow(LiteralCrash);
  });

  it("an unclosed quote is a shlex error", () => {
    expect(() => shlexSplit("h a='b")).toThrow(ShlexError);
  });
});
