#!/usr/bin/env python3
"""Writes adversarial.txt: the sandbox's adversarial corpus.

Each line: EXPECT <TAB> PROGRAM. EXPECT is `ok`, `ok=<exact rendering>`, or an
error kind (`syntax_error`, `too_large`, ..., `program_too_large`,
`out_of_fuel`, `memory_limit`, `deadline_exceeded`). PROGRAM is escaped:
\\n \\r \\t \\\\ \\xHH \\u{HHHH}, and \\rep{N}{TEXT} repeats TEXT (no `}` inside) N
times. The expectations are written by hand per category below, not computed
by the evaluator; `tests/adversarial.rs` checks every case in one process.

Run: python3 sandbox/host/tests/corpus/generate.py > sandbox/host/tests/corpus/adversarial.txt
"""

cases = []


def add(expect, program, note=""):
    cases.append((expect, program, note))


def esc(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        elif o > 0x7E:
            out.append("\\u{%04x}" % o)
        else:
            out.append(ch)
    return "".join(out)


MARK = "\U0010fffe"  # a noncharacter, never in a program here


def rep(n, text):
    assert "}" not in text
    return "%sREP%d%s%s%s" % (MARK, n, MARK, text, MARK)


def encode(program):
    # rep markers survive esc() as \x00 sequences; rewrite them after escaping.
    parts = program.split(MARK)
    out = []
    i = 0
    while i < len(parts):
        p = parts[i]
        if p.startswith("REP") and i + 1 < len(parts):
            n = p[3:]
            out.append("\\rep{%s}{%s}" % (n, esc(parts[i + 1])))
            i += 2
        else:
            out.append(esc(p))
            i += 1
    return "".join(out)


# 1. Huge exponents and towers: refused up front as too_large.
for prog in [
    "2**2**40", "9**9**9**9", "10**10**10", "2**2**2**2**2", "2**32768", "(-2)**99999", "0.5**99999",
    "2**-99999", "10**(10**5)", "pow(2, 10**9)", "3**3**3**3", "7**77777", "(1/3)**100000",
    "2**(2**64)", "2**(2**64+1)", "(10**100)**(10**100)", "1.0001**(10**9)", "99**99**99",
    "x = 10**5\ny = 2**x\ny", "a = 2**16\nb = a**a\nb", "10**9999 * 10**9999", "(10**9000)**2",
    "2**30000 * 2**30000", "(2**20000 + 1) * (3**15000)", "sqrt(10**200000)", "round(1, 10**9)",
    "round(1, -10**9)", "1e1000000", "1e-1000000", "1e99999999999999999999999999999999",
    "123.456e99999", "2**1e6", "2**-1e6", "(2/3)**-50000", "-(2**40000)", "max(2**40000, 1)",
    "sum([2**20000, 2**20000, 2**40000])", "16**8193", "(2**16384)**2", "2 ** 65536",
    "2 ** 2 ** 2 ** 2 ** 2 ** 2", "10 ** 10 ** 10 ** 10",
]:
    add("too_large", prog)
for prog, val in [
    ("2**2**2**2", "65536"), ("(-1)**(10**100)", "1"), ("1**(10**1000)", "1"), ("0**(10**100)", "0"),
    ("(-1)**(10**100+1)", "-1"), ("2**10", "1024"), ("2**-1", "1/2"), ("(2/3)**3", "8/27"),
    ("2**0", "1"), ("0**0", "1"), ("(-2)**3", "-8"), ("-2**2", "-4"), ("4**0.5", "2"), ("8**(1/3)", "2"),
    ("(9/4)**1.5", "27/8"), ("2**8191 // 2**8190", "2"),
]:
    add("ok=" + val, prog)
add("ok", "2**8191")
add("ok", "3**5000")
add("too_large", "2**8192")
add("too_large", "3**6000")
add("too_large", "2**32767")

# 2. Deep nesting (past 64 KiB the size limit answers first).
for n in [100, 101, 150, 1000, 10000, 100000]:
    for program, size in [
        (rep(n, "(") + "1" + rep(n, ")"), 2 * n + 1),
        (rep(n, "(") + "1", n + 1),
        (rep(n, "-") + "1", n + 1),
        (rep(n, "[") + "1" + rep(n, "]"), 2 * n + 1),
        (rep(n, "abs(") + "1" + rep(n, ")"), 5 * n + 1),
        (rep(n, "2**") + "2", 3 * n + 1),
    ]:
        add("too_deep" if size <= 65536 else "program_too_large", program)
for n in [1, 10, 50, 98, 99]:
    add("ok=1", rep(n, "(") + "1" + rep(n, ")"))
    add("ok=-1" if n % 2 else "ok=1", rep(n, "-") + "1")
    add("ok=1", rep(n, "abs(") + "1" + rep(n, ")"))
add("too_deep", rep(60, "+-") + "1")
add("ok=1", rep(49, "+-") + "-1")
add("too_deep", "x = " + rep(200, "(") + "1" + rep(200, ")") + "\nx")
add("ok=16000", "1" + rep(15999, " + 1"))
add("ok=0", "1" + rep(15000, " - 1") + " - " + "1" + " + 15000")
add("ok=1", "2" + rep(15000, " * 1") + " / 2")

# 3. Large inputs: over the 64 KiB default they are refused before the sandbox.
add("program_too_large", rep(500000, "1+") + "1")
add("program_too_large", "#" + rep(1048576, "x"))
add("program_too_large", rep(1048576, " ") + "1")
add("program_too_large", rep(1048576, "\n") + "1")
add("program_too_large", rep(1048576, "9"))
add("program_too_large", "x = 1\n" + rep(100000, "x = x + 1\n") + "x")
add("program_too_large", rep(65537, "1"))
add("program_too_large", rep(262144, "((((") + "1")
add("program_too_large", rep(200000, "\u00d7"))
add("program_too_large", rep(70000, "\x00"))
# Just under the limit they run, and end in a typed result.
add("ok=16383", "1" + rep(16382, "+1"))
add("ok=0", "#" + rep(65000, "x") + "\n0")
add("ok=1", rep(65000, " ") + "1")
add("ok=7", rep(60000, "\n") + "7")
add("too_large", rep(60000, "9"))
add("ok=0", rep(60000, "0"))
add("syntax_error", rep(60000, "\x00"))
add("too_deep", rep(30000, "(("))

# 4. Huge literals.
for n in [10000, 20000, 50000]:
    add("too_large", rep(n, "9"))
    add("too_large", "0x" + rep(n, "f"))
    add("too_large", "0." + rep(n, "0") + "1")
    add("too_large", "1" + rep(n, "0") + ".5")
    add("too_large", "1e" + rep(n // 100, "9"))
add("ok=0", "0." + rep(50000, "0"))
add("ok=0", "0e" + rep(500, "9"))
add("ok", rep(2400, "9"))
add("too_large", rep(2500, "9"))
add("ok", "1e2400")
add("too_large", "1e2500")
add("ok", "0b" + rep(8000, "1"))
add("too_large", "0b" + rep(8300, "1"))
add("ok=1", "0." + rep(2000, "9") + " + 1/10**2000")
add("ok=1000000", "1_000_000")
add("ok=255", "0xff")
add("ok=511", "0o777")
add("ok=5", "0b101")
add("syntax_error", "1" + rep(1000, "_") + "0")

# 5. NUL bytes and control characters.
for c in [c for c in range(0x20) if chr(c) not in "\t\n\r\x0c"] + [0x7F]:
    ch = chr(c)
    add("syntax_error", ch)
    add("syntax_error", "1 +" + ch + "2")
    add("syntax_error", "x = 1" + ch + "\nx")
add("ok=3", "1 +\t2")
add("ok=3", "1 +\x0c2")
add("ok=3", "x = 1\r\ny = 2\r\nx + y")
add("ok=3", "x = 1\ry = 2\rx + y")
add("syntax_error", "1\x00")
add("syntax_error", "\x00import os")
add("syntax_error", "2 # ok\n\x00")

# 6. Unicode digits, look-alike operators, invisible and confusable characters.
for ch in ["\u0663", "\u0969", "\uff13", "\u00b2", "\u00b3", "\u00b9", "\u2162", "\u09e9", "\u0e53", "\u1813",
           "\u2153", "\u00bd", "\U0001d7d1", "\u2083"]:
    add("syntax_error", ch)
    add("syntax_error", "1 + " + ch)
    add("syntax_error", "2" + ch)
for ch in ["\u2212", "\u2013", "\u2014", "\u00d7", "\u00f7", "\u2217", "\u2215", "\u2044", "\uff0b", "\uff0d",
           "\uff0a", "\uff0f", "\uff05", "\u066a", "\u00b7", "\u22c5", "\u2715", "\ufe63", "\u2010", "\uff1d",
           "\uff08", "\uff09", "\uff04", "\u20ac", "\u00a3", "\u2018", "\u201c"]:
    add("syntax_error", "6 " + ch + " 3")
    add("syntax_error", ch + "5")
for ch in ["\u200b", "\u200d", "\u202e", "\u2028", "\u2029", "\u00a0", "\u3000", "\u2060", "\ufeff", "\u0301",
           "\U0001f600", "\ue000", "\ufffd"]:
    add("syntax_error", "1" + ch + "+2")
add("ok=3", "\ufeff1+2")
for name in ["caf\u00e9", "\u0430", "x\u0301", "\u03c0", "\u00b5s", "na\u00efve", "\u0131"]:
    add("syntax_error", name + " = 1\n" + name)

# 7. Python escape attempts.
for prog, kind in [
    ("__import__('os').system('ls')", "unknown_name"),
    ("__import__", "unknown_name"),
    ("open('/etc/passwd')", "unknown_name"),
    ("open('/etc/passwd').read()", "unknown_name"),
    ("eval('1+1')", "unknown_name"),
    ("exec('import os')", "unknown_name"),
    ("compile('1', 'x', 'eval')", "unknown_name"),
    ("globals()", "unknown_name"),
    ("locals()", "unknown_name"),
    ("vars()", "unknown_name"),
    ("dir()", "unknown_name"),
    ("getattr(1, 'real')", "unknown_name"),
    ("setattr(x, 'y', 1)", "unknown_name"),
    ("input()", "unknown_name"),
    ("breakpoint()", "unknown_name"),
    ("help()", "unknown_name"),
    ("exit()", "unknown_name"),
    ("quit()", "unknown_name"),
    ("range(10)", "unknown_name"),
    ("len([1])", "unknown_name"),
    ("type(1)", "unknown_name"),
    ("object()", "unknown_name"),
    ("memoryview(b)", "unknown_name"),
    ("print(__import__('os'))", "unknown_name"),
    ("x = __import__('os')", "unknown_name"),
    ("__builtins__", "unknown_name"),
    ("os", "unknown_name"),
    ("sys", "unknown_name"),
    ("math", "unknown_name"),
    ("math.pi", "unknown_name"),
    ("math.e", "unknown_name"),
    ("math.tau * 2", "unknown_name"),
    ("math.os", "unknown_name"),
    ("math.__dict__", "unknown_name"),
    ("math.gamma(5)", "unknown_name"),
    ("math.sqrt.__globals__", "unknown_name"),
    ("from math import os", "unknown_name"),
    ("print(1, 2)", "type_error"),
    ("print()", "type_error"),
    ("lambda: 1", "syntax_error"),
    ("(lambda x: x)(1)", "syntax_error"),
    ("f = lambda: __import__('os')", "syntax_error"),
    ("x.__class__", "syntax_error"),
    ("().__class__.__bases__[0].__subclasses__()", "syntax_error"),
    ("(1).real", "syntax_error"),
    ("1 .real", "syntax_error"),
    ("1.real", "syntax_error"),
    ("abs(-1).__class__", "syntax_error"),
    ("sum.__call__", "syntax_error"),
    ("os.system('ls')", "syntax_error"),
    ("sys.exit()", "syntax_error"),
    ("import os", "syntax_error"),
    ("import sys", "syntax_error"),
    ("import subprocess", "syntax_error"),
    ("import math, os", "syntax_error"),
    ("import math as m", "syntax_error"),
    ("from os import system", "syntax_error"),
    ("from os import *", "syntax_error"),
    ("from . import x", "syntax_error"),
    ("'\\x00'", "syntax_error"),
    ("\"a\" * 10**9", "syntax_error"),
    ("f\"{1}\"", "syntax_error"),
    ("b'x'", "syntax_error"),
    ("[x for x in range(10)]", "syntax_error"),
    ("1 if 1 else 2", "syntax_error"),
    ("def f(): pass", "syntax_error"),
    ("class A: pass", "syntax_error"),
    ("while True: pass", "syntax_error"),
    ("for i in range(9**9): pass", "syntax_error"),
    ("try:\n  1\nexcept: 2", "syntax_error"),
    ("with open('x') as f: 1", "syntax_error"),
    ("assert 0", "syntax_error"),
    ("raise SystemExit", "syntax_error"),
    ("del x", "syntax_error"),
    ("global x", "syntax_error"),
    ("nonlocal x", "syntax_error"),
    ("yield 1", "syntax_error"),
    ("await x", "syntax_error"),
    ("async def f(): 1", "syntax_error"),
    ("pass", "syntax_error"),
    ("return 1", "syntax_error"),
    ("x := 5", "syntax_error"),
    ("(x := 5)", "syntax_error"),
    ("@decorator\ndef f(): 1", "syntax_error"),
    ("1 @ 2", "syntax_error"),
    ("~1", "syntax_error"),
    ("1 << 2", "syntax_error"),
    ("1 >> 2", "syntax_error"),
    ("1 & 2", "syntax_error"),
    ("1 | 2", "syntax_error"),
    ("not 1", "syntax_error"),
    ("1 and 2", "syntax_error"),
    ("1 or 2", "syntax_error"),
    ("1 < 2", "syntax_error"),
    ("1 == 1", "syntax_error"),
    ("1 != 2", "syntax_error"),
    ("True + 1", "syntax_error"),
    ("False", "syntax_error"),
    ("None", "syntax_error"),
    ("x = None", "syntax_error"),
    ("True = 1", "syntax_error"),
    ("...", "syntax_error"),
    ("{}", "syntax_error"),
    ("{1: 2}", "syntax_error"),
    ("{1, 2}", "syntax_error"),
    ("[1, 2][0]", "syntax_error"),
    ("x = 1\nx[0]", "syntax_error"),
    ("`ls`", "syntax_error"),
    ("!ls", "syntax_error"),
    ("$(ls)", "syntax_error"),
    ("$HOME", "syntax_error"),
    ("1; import os", "syntax_error"),
    ("x = 1 # \\\nimport os", "syntax_error"),
    ("\\x41", "syntax_error"),
    ("a.b.c.d", "syntax_error"),
    ("?", "syntax_error"),
    ("1:2", "syntax_error"),
    ("x = 1\nx.y = 2", "syntax_error"),
    ("*a, b = 1, 2", "syntax_error"),
    ("a, b = 1, 2", "syntax_error"),
    ("x = y = 1", "syntax_error"),
    ("round(2, ndigits=1)", "syntax_error"),
    ("max(*[1, 2])", "syntax_error"),
]:
    add(kind, prog)

# 8. Empty input and only comments.
for prog in ["", " ", "\n", "\n\n\n", "\t", "#", "# nothing here", "# a\n# b\n", "   # indented comment",
             ";", ";;;", "\r\n", "\ufeff", "import math", "from math import *", "from math import sqrt, floor",
             "import math\n# comment", "\\\n", "\x0c", rep(1000, "# c\n")]:
    add("empty_program", prog)

# 9. Malformed programs.
for prog in ["(1+2", "1+", "*2", "1 2", ")", "((1)", "1))", "[1,2", ",", "=", "x =", "= 5", "1 = 2", "1e",
             "1e+", "1__0", "0x", "0b2", "0o9", "09", "1.2.3", "1..2", "$", "$$5", "5$", "%5", "x = = 1",
             "1 + * 2", "2 ** ** 2", "1 // / 2", "(,)", "(1,,2)", "[,]", "abs(,)", "abs(1,,)", "max(1 2)",
             "sum([1 2])", "1 +\n2", "x = (1\ny = 2", "x\n = 1", "1 + 2 3", "sqrt", "sqrt 4", "2x", "2 x",
             "x y", "3j", "1_", "_", "x = 1\n_", "5 dollars", "10 % of 50", "\\", "1 \\ 2", "(((", ")))",
             "]", "[", "abs(", "abs)", "round(2.5", "1 += 2", "(x) = 1", "x + 1 = 2", "-x = 1", "1,000",
             "$1,000", "1,000,000", "x = 1,000\nx", "12,5", "3 apples + 4 apples"]:
    expect = "syntax_error"
    # Statements run in order: an unknown name on line 1 is found before
    # line 2 is parsed.
    if prog in ("sqrt", "_", "x = 1\n_", "x\n = 1"):
        expect = "unknown_name"
    add(expect, prog)

# 10. Errors of meaning.
for prog, kind in [
    ("1/0", "division_by_zero"), ("1//0", "division_by_zero"), ("1%0", "division_by_zero"),
    ("0**-1", "division_by_zero"), ("x = 0\n5 / x", "division_by_zero"), ("1/(1-1)", "division_by_zero"),
    ("1/0.0", "division_by_zero"), ("pow(0, -2)", "division_by_zero"), ("1 / (2 - 2*1)", "division_by_zero"),
    ("5 % (3 - 3)", "division_by_zero"), ("x = 1\nx /= 0", "division_by_zero"), ("0 ** -0.5", "division_by_zero"),
    ("y", "unknown_name"), ("x + 1", "unknown_name"), ("x += 1", "unknown_name"), ("foo(1)", "unknown_name"),
    ("a = 1\nb", "unknown_name"), ("Sum([1])", "unknown_name"), ("SQRT(4)", "unknown_name"),
    ("sqrt(-1)", "math_domain"), ("(-8)**(1/3)", "math_domain"), ("(-1)**0.5", "math_domain"),
    ("sqrt(-0.0001)", "math_domain"), ("pow(-2, 0.5)", "math_domain"),
    ("round(1, 0.5)", "type_error"), ("max()", "type_error"), ("min([])", "type_error"), ("sum(1)", "type_error"),
    ("sum(1, 2, 3)", "type_error"), ("abs(1, 2)", "type_error"), ("abs()", "type_error"), ("[1] + 1", "type_error"),
    ("-[1]", "type_error"), ("x = [1, 2]", "type_error"), ("(1, 2) * 3", "type_error"), ("pow(1, 2, 3)", "type_error"),
    ("min(5)", "type_error"), ("max([])", "type_error"), ("sqrt([4])", "type_error"), ("floor(1, 2)", "type_error"),
    ("round()", "type_error"), ("int([1])", "type_error"), ("[1, 2]", "type_error"), ("()", "type_error"),
    ("(1, 2)", "type_error"), ("sum([1, [2]])", "type_error"), ("print(1, 2)", "type_error"),
]:
    add(kind, prog)

# 11. Programs that must work, with their exact values.
for prog, val in [
    ("books = 5*20 + 3*30 + 2*45\nbooks", "280"), ("1/3 + 1/6", "1/2"), ("0.1 + 0.2", "3/10"),
    ("$20 * 3", "60"), ("200 * 15%", "30"), ("price = $80\ndiscount = price * 25%\nprice - discount", "60"),
    ("-7 // 2", "-4"), ("-7 % 3", "2"), ("7 % -3", "-2"), ("round(2.5)", "2"), ("round(3.5)", "4"),
    ("round(-0.5)", "0"), ("round(2.675, 2)", "67/25"), ("floor(-0.5)", "-1"), ("ceil(-0.5)", "0"),
    ("int(-7/2)", "-3"), ("abs(-3/4)", "3/4"), ("min(3, 1.5, 2)", "3/2"), ("max([1, 9, 3])", "9"),
    ("sum([1, 2, 3.5])", "13/2"), ("sqrt(144)", "12"), ("sqrt(1/4)", "1/2"), ("math.sqrt(81)", "9"),
    ("import math\nmath.floor(9.99)", "9"), ("x = 5\nx *= 2\nx -= 3\nx", "7"), ("print(6 * 7)", "42"),
    ("a = 3; b = 4; sqrt(a**2 + b**2)", "5"), ("(1 +\n 2 +\n 3)", "6"), ("total = 12 * \\\n 3\ntotal", "36"),
    ("2 ** 3 ** 2", "512"), ("10 - 2 - 3", "5"), ("48 / 2 / 3", "8"), ("1e3 + 1_000", "2000"),
    ("3.0 * 2", "6"), ("float(7) / 2", "7/2"), ("pow(3, 4)", "81"), ("100 * (1 + 5/100) ** 2", "441/4"),
    ("x = 0.5\ny = 0.25\nx + y", "3/4"), ("eggs = 16\neggs = eggs - 3 - 4\neggs * $2", "18"),
    ("hours = 40\nrate = $12.50\novertime = 5 * rate * 1.5\nhours * rate + overtime", "2375/4"),
    ("(15%)", "3/20"), ("15% * 15%", "9/400"), ("x = 50%\nx * 10", "5"), ("5 %% 2", "1/20"), ("5%%", "1/2000"),
    ("17 % (5)", "2"), ("17 % -5", "-3"), ("2*15% + 1", "0"), ("2*15% * 10 + 1", "4"), ("round(7/3, 3)", "2333/1000"),
    ("max(-1, -2)", "-1"), ("sum([])", "0"), ("sum([], 5)", "5"), ("min((4, 2, 8))", "2"),
    ("[1, 2, 3] and 1" if False else "1", "1"), ("-0", "0"), ("+-+5", "-5"), ("0.000", "0"),
    (".5 + .5", "1"), ("5. * 2", "10"), ("1E2", "100"), ("2.5e-1", "1/4"), ("0X1F", "31"),
    ("x = 1\nx = x + 1\nx = x * 10\nx", "20"), ("a = 7\nb = 2\na // b * b + a % b", "7"),
    ("ceil(10 / 3)", "4"), ("floor(10 / 3)", "3"), ("round(10 / 3)", "3"), ("int(10 / 3)", "3"),
    ("from math import ceil\nceil(1.1)", "2"), ("pow(2, -3)", "1/8"), ("abs(-0)", "0"), ("27 ** (2/3)", "9"),
    ("1/3 * 3", "1"), ("2/3 - 2/3", "0"), ("(2/3) ** 2", "4/9"), ("sqrt(2) ** 0", "1"),
]:
    add("ok=" + val, prog)
for prog in ["sqrt(2)", "sqrt(3) * sqrt(3)", "2 ** 0.5", "10 ** (1/3)", "sqrt(0.5)", "sqrt(10**100 + 1)"]:
    add("ok", prog)

# 12. Heavy but bounded work: fuel, not memory, ends it.
big = "a = 3**5000 + 1\nb = 7**2800 + 3\n"
add("out_of_fuel", big + rep(2000, "c = a / b\n") + "c")
add("out_of_fuel", big + rep(2000, "c = b / a + 1\n") + "c")

seen = set()
lines = []
for expect, program, _ in cases:
    line = expect + "\t" + encode(program)
    if line in seen:
        continue
    seen.add(line)
    lines.append(line)
print("# The sandbox's adversarial corpus: EXPECT<TAB>PROGRAM; see generate.py for the format.")
print("# %d cases. Regenerate: python3 sandbox/host/tests/corpus/generate.py > sandbox/host/tests/corpus/adversarial.txt" % len(lines))
for line in lines:
    print(line)
