#!/usr/bin/env python3
"""make_seeds.py — candidate seeds for fuzz/corpus/expr and
fuzz/corpus/definition from the expressions the project already has.

  python3 fuzz/make_seeds.py /tmp/seeds
  build/fuzz/fuzz/fuzz_expr -merge=1 fuzz/corpus/expr /tmp/seeds/expr
  build/fuzz/fuzz/fuzz_definition -merge=1 fuzz/corpus/definition /tmp/seeds/definition

Expressions come from docs/language.md and README.md (inline code), the
CUnit suites and the pytest suites (string literals that look like
expressions), plus a list below that uses every function once. The merge
keeps only the candidates that add coverage (scripts/fuzz.sh builds the
fuzzers). File names are a hash of the content.

Definition seeds (fuzz_definition.c's input layout): a header selecting
the placeholder's mode, type, shape and the three attribute specs, then the
expression text. Most use the engine-shaped mode with a well-formed
definition, so that reads reach evaluation; a few take the odd paths
(future format, chunk hints, fixed-length strings, a wrong type).
"""
import hashlib
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/h5lazy-seeds"
OUT_EXPR = os.path.join(OUT, "expr")
OUT_DEF = os.path.join(OUT, "definition")

# Names the fuzz targets serve (fuzz_expr.c: a..k; fuzz_definition.c: the
# operands of its base file).
OPERAND = re.compile(r"(?<![A-Za-z_0-9\"'])[a-z](?![A-Za-z_0-9(\"'])|ds\(")
FUNC = re.compile(r"\b[a-z_0-9]+\(")
OPS = re.compile(r"[-+*/%<>=&|^~\[\]]")


def looks_like_expression(s):
    if not s or len(s) > 240 or "\n" in s.strip("\n") and len(s) > 120:
        return False
    if s.startswith(("-", "/", ".")) and " " not in s and not OPS.search(s[1:]):
        return False  # option names, paths
    if re.search(r"[{}$;\\]|::|\.h5|\.py|%[sd]|\bimport\b|\bdef\b|=\s*$", s):
        return False
    return bool(OPERAND.search(s) or FUNC.search(s) or re.fullmatch(r"[\d.e+\-*/ ()%<>=a-z_]+", s))


def from_docs():
    out = []
    for name in ("docs/language.md", "README.md"):
        text = open(os.path.join(ROOT, name), encoding="utf-8").read()
        out += re.findall(r"`([^`\n]+)`", text)
    return out


def from_c():
    out = []
    for d in ("tests/engine", "tests/vol"):
        for f in sorted(os.listdir(os.path.join(ROOT, d))):
            if f.endswith(".c"):
                text = open(os.path.join(ROOT, d, f), encoding="utf-8").read()
                out += [bytes(s, "utf-8").decode("unicode_escape") for s in re.findall(r'"((?:[^"\\\n]|\\.)*)"', text)]
    return out


def from_python():
    out = []
    d = os.path.join(ROOT, "tests", "python")
    for f in sorted(os.listdir(d)):
        if f.endswith(".py"):
            text = open(os.path.join(d, f), encoding="utf-8").read()
            out += re.findall(r'"([^"\\\n]{1,200})"', text)
            out += re.findall(r"'([^'\\\n]{1,200})'", text)
    return out


def write(dirname, data):
    os.makedirs(dirname, exist_ok=True)
    path = os.path.join(dirname, hashlib.sha1(data).hexdigest()[:16])
    if not os.path.exists(path):
        with open(path, "wb") as fh:
            fh.write(data)
        return 1
    return 0


def expressions():
    seen, out = set(), []
    for s in from_docs() + from_c() + from_python():
        s = s.strip()
        if looks_like_expression(s) and s not in seen:
            seen.add(s)
            out.append(s)
    # Every function and reduction once, over the served operands.
    extra = """a + b * c - d / 2
where(a > 0, a, -a)
clip(a, None, 2)
astype(a, "int8") + astype(b, "uint64")
sum(c, axis=(0, 2), keepdims=true)
var(a, axis=1, ddof=1)
nanstd(a, axis=None)
argmax(a, axis=1) + argmin(g)
nanargmin(a)
count(a, axis=0)
any(f) | all(f, axis=0)
prod(i, axis=-1) + nanprod(a)
amin(k) - amax(h)
concatenate([a, g], axis=1)
stack([b, b, b], axis=-1)
transpose(c, axes=(2, 0, 1))[::-1, ..., None]
squeeze(f, axis=1)
expand_dims(d, (0, 1))
broadcast_to(d, (2, 3))
e[:, 1:] + e[0:0, ::2]
j[0, ...] ** 2 // 3 % 5
b << 3 >> 1 & 255 ^ ~b
ldexp(a, b[:3, None][:, 0])
nextafter(a, inf) - copysign(1, -0.0)
arctan2(a, 2) + hypot(a, 3)
fmax(a, nan) + fmin(a, -inf)
logical_xor(a > 0, g < 0)
signbit(a) == isnan(a)
isfinite(d) != isinf(d)
2 ** -1 + 7 // -2 + true + true
-2**2
a[-1, -1] * a[0]
ds("/a") + ds("a") * ds("g/h")[:4]
ds("other.h5", "/a")
mean(x - mean(x, axis=0), axis=0)
sum(a)  # a comment
cumsum(a, axis=0) + nancumprod(c)[:4]
cumprod(c, axis=-1, dtype="int8")
take(a, [2, 0, 0, 1], axis=1) + c[[1, 0], ..., 1][:, :1]
diff(a, n=2, axis=0) + diff(f)
max(sliding_window_view(c, (2, 2), axis=(0, 2)), axis=(-1, -2))
average(a, axis=1, weights=a[0]) + average(g)
a
+ b""".split("\n")
    for s in extra:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def definition_seed(mode, tsel, space, dims, fmt, expr, chunks, text):
    dims = (list(dims) + [0, 0, 0, 0])[:4]
    return bytes([mode, tsel, space] + dims) + bytes(fmt) + bytes(expr) + bytes(chunks) + text.encode()


def main():
    exprs = expressions()
    n = sum(write(OUT_EXPR, e.encode()) for e in exprs)
    # A few with the parameter trailer (fuzz_expr.c): small budget, cache,
    # two threads, eval_many, failing allocations, other operand types.
    trailers = [bytes([0, 1, 1, 0, 0, 0, 0, 0]), bytes([1, 2, 2, 0, 0, 25, 40, 3]),
                bytes([2, 0, 3, 5, 0, 0, 0, 0]), bytes([0, 3, 0, 20, 0, 101, 0, 0])]
    for i, e in enumerate(exprs[:: max(1, len(exprs) // 24)]):
        n += write(OUT_EXPR, e.encode() + b"\0" + trailers[i % len(trailers)])
    print(f"{n} new expression seeds ({len(exprs)} expressions)")

    good_fmt, vlen = [0, 1], [4]
    absent = [7]
    engine_exprs = [e for e in exprs if re.fullmatch(r"[a-h(), .:\[\]*+\-/0-9_a-z=\"]+", e)][:40] + [
        "a * 2", "v - a", "w + v", "sum(c, axis=0)", "mean(a, axis=1)", "ds(\"/g/h\") * 2", "h + 1", "b[::2]",
        "a[1:, ::-2]", "d", "e + 1", "f & true", "p", "s + 1", "n", "ds(\"x.h5\", \"/a\")"]
    m = 0
    for i, e in enumerate(engine_exprs):
        mode = 1 | ((i % 4) << 2) | ((i % 4) << 5) | (2 if i % 7 == 3 else 0)
        m += write(OUT_DEF, definition_seed(mode, 0, 0, [], good_fmt, vlen, absent, e))
    odd = [
        (0, 10, 2, [3, 4], [0, 2], vlen, absent, "a * 2"),          # format 2: future
        (0, 10, 2, [3, 4], [0, 1], vlen, [1 | 8, 2, 2, 3], "a * 2"),  # chunk hint (2, 3)
        (1, 0, 0, [], [0, 1], [6, 0], absent, "a + 1"),              # fixed null-padded string
        (1, 0, 0, [], [0, 1], [6 | 64, 2], absent, "a + 1"),         # space-padded
        (1, 0, 0, [], [1 | 32, 1], [5], absent, "a + 1"),            # int64 BE format, ASCII
        (0, 13, 1, [3], [0, 1], vlen, absent, "b"),                  # string placeholder
        (0, 5 | 128, 1, [4], [0, 1], vlen, absent, "b"),             # no placeholder storage
        (0, 10, 2, [3, 4], absent, vlen, absent, "a"),               # no format
        (0, 10, 2, [3, 4], [0, 1], [2], absent, "a"),                # expression not a string
        (1, 0, 0, [], [0, 1], vlen, [1 | 8, 2, 0xf3, 0xf2], "a"),    # huge chunk hint
        (1, 0, 0, [], [0, 1], vlen, [3 | 8, 2, 1, 1], "a"),          # float chunk hint
        (0x61, 0, 0, [], [0, 1], vlen, absent, "a - 1"),             # read as double
    ]
    for o in odd:
        m += write(OUT_DEF, definition_seed(*o))
    print(f"{m} new definition seeds")


if __name__ == "__main__":
    sys.exit(main())
