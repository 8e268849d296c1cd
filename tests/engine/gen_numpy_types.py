"""Write numpy_types.txt: numpy's result type (or error) of every ufunc on
every combination of h5lazy's input types, the oracle of test_types.c.

Run with the project's Python: build/venv/bin/python tests/engine/gen_numpy_types.py
Lines: "<ufunc> <type> [<type>] <result>" with result a type name or "error".
numpy's float16 results are written as float32: h5lazy has no float16 and
takes the next loop (documented in the language reference).
"""
import sys
import warnings
from pathlib import Path

import numpy as np

TYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
UNARY = ("negative positive absolute sign rint floor ceil trunc sqrt square reciprocal exp exp2 expm1 log log2 "
         "log10 log1p sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh deg2rad rad2deg "
         "isnan isinf isfinite signbit logical_not invert").split()
BINARY = ("add subtract multiply divide floor_divide remainder fmod power arctan2 hypot maximum minimum fmax fmin "
          "copysign nextafter ldexp bitwise_and bitwise_or bitwise_xor left_shift right_shift logical_and "
          "logical_or logical_xor equal not_equal less less_equal greater greater_equal").split()


def result(ufunc, *types):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = ufunc(*[np.ones(1, t) for t in types])
    except TypeError:
        return "error"
    name = out.dtype.name
    return "float32" if name == "float16" else name


def main():
    lines = [f"# numpy {np.__version__}"]
    for name in UNARY:
        for t in TYPES:
            lines.append(f"{name} {t} {result(getattr(np, name), t)}")
    for name in BINARY:
        for a in TYPES:
            for b in TYPES:
                lines.append(f"{name} {a} {b} {result(getattr(np, name), a, b)}")
    Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("numpy_types.txt")).write_text(
        "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
