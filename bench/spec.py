"""What the benchmark measures: the source files and the workloads.

Shared by the harness (bench.py, data.py) and the measured Python programs
(methods.py). Every workload reads two sources A and B of one variant; the
virtual datasets live in vds.h5 next to them.
"""
from dataclasses import dataclass

import numpy as np

FULL_SHAPE = (256, 1000, 1000)
QUICK_SHAPE = (32, 200, 200)  # the smallest shape holding W3's whole region
W3_REGION = ((10, 20), (100, 200))  # leading axes of ((A - B) * 2 + 1)[10:20, 100:200]
VDS_FILE = "vds.h5"


@dataclass(frozen=True)
class Variant:
    """One pair of source files: A.h5:/A and B.h5:/B, or a variant of them."""

    suffix: str
    dtype: str
    chunked: bool  # chunks (1, Y, X), else contiguous
    # Compressed as real archives are (issue 12): smooth fields rounded to
    # 2 decimals, shuffle + deflate 4 (about 2.5:1), only the first `steps`
    # steps of the leading axis.
    compressed: bool = False
    steps: int = 0  # leading extent, when not the shape's (0)

    def files(self):
        return [f"A{self.suffix}.h5", f"B{self.suffix}.h5"]

    def shape(self, shape):
        """The sources' shape for the benchmark's shape."""
        return (min(self.steps, shape[0]) if self.steps else shape[0],) + tuple(shape[1:])


VARIANTS = {
    "f32": Variant("", "float32", True),
    "contig": Variant("_contig", "float32", False),
    "i16": Variant("_i16", "int16", True),
    "gz": Variant("_gz", "float32", True, compressed=True, steps=64),
}
GZIP_LEVEL = 4  # the compressed variant's deflate level, and W4z's output's
DATASETS = ["/A", "/B"]  # the dataset in each variant's first and second file


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    variant: str
    kind: str  # mean | meanstd | sum1 | region | product (saved) | median
    outputs: tuple  # (virtual dataset name, expression) for each result
    dtype: str  # type of every result, numpy's (and h5lazy's) for the expression

    @property
    def sources(self):
        return VARIANTS[self.variant]


def _ops(variant):
    a, b = VARIANTS[variant].files()
    return f'ds("{a}", "/A")', f'ds("{b}", "/B")'


def _workloads():
    a, b = _ops("f32")
    c = f"concat([{a}, {b}], axis=0)"
    (t0, t1), (y0, y1) = W3_REGION
    out = [
        Workload("W1", "mean(C, axis=0)", "f32", "mean",
                 (("w1", f"mean({c}, axis=0)"),), "float32"),
        Workload("W2", "mean(C, axis=0) and std(C, axis=0) together", "f32", "meanstd",
                 (("w2_mean", f"mean({c}, axis=0)"), ("w2_std", f"std({c}, axis=0)")), "float32"),
        Workload("W3", f"((A - B) * 2 + 1)[{t0}:{t1}, {y0}:{y1}]", "f32", "region",
                 (("w3", f"(({a} - {b}) * 2 + 1)[{t0}:{t1}, {y0}:{y1}]"),), "float32"),
        Workload("W4", "A * B + 1 saved to a new stored dataset", "f32", "product",
                 (("w4", f"{a} * {b} + 1"),), "float32"),
        Workload("W5", "sum(C, axis=1)", "f32", "sum1",
                 (("w5", f"sum({c}, axis=1)"),), "float32"),
        # Issue 13: an order statistic over the whole leading axis, which
        # dask computes only after rechunking that axis into one chunk.
        Workload("W6", "median(C, axis=0)", "f32", "median",
                 (("w6", f"median({c}, axis=0)"),), "float32"),
    ]
    # W1 again over the other layouts of the same numbers.
    for variant, what, dtype in (("contig", "contiguous", "float32"), ("i16", "int16", "float64")):
        a, b = _ops(variant)
        out.append(Workload(f"W1-{variant}", f"W1 over {what} sources", variant, "mean",
                            ((f"w1_{variant}", f"mean(concat([{a}, {b}], axis=0), axis=0)"),),
                            dtype))
    # The same over compressed sources (issue 12); W4z saves with --gzip 4 --shuffle.
    a, b = _ops("gz")
    c = f"concat([{a}, {b}], axis=0)"
    out += [
        Workload("W1z", "W1 over shuffle + deflate 4 sources", "gz", "mean",
                 (("w1z", f"mean({c}, axis=0)"),), "float32"),
        Workload("W2z", "W2 over shuffle + deflate 4 sources", "gz", "meanstd",
                 (("w2z_mean", f"mean({c}, axis=0)"), ("w2z_std", f"std({c}, axis=0)")), "float32"),
        Workload("W3z", "W3 over shuffle + deflate 4 sources", "gz", "region",
                 (("w3z", f"(({a} - {b}) * 2 + 1)[{t0}:{t1}, {y0}:{y1}]"),), "float32"),
        Workload("W4z", "W4 over shuffle + deflate 4 sources, saved with --gzip 4 --shuffle", "gz",
                 "product", (("w4z", f"{a} * {b} + 1"),), "float32"),
    ]
    return out


WORKLOADS = _workloads()
BY_NAME = {w.name: w for w in WORKLOADS}


def result_shapes(w, shape):
    """The shape of each of w's results for sources of the given shape."""
    t, y, x = shape
    if w.kind in ("mean", "meanstd", "median"):
        return [(y, x)] * len(w.outputs)
    if w.kind == "sum1":
        return [(2 * t, x)]
    if w.kind == "region":
        (t0, t1), (y0, y1) = W3_REGION
        return [(t1 - t0, y1 - y0, x)]
    return [shape]


def slab_steps(shape, itemsize, budget=16 << 20):
    """Leading-axis steps per slab so that one slab of sources stays near budget."""
    return max(1, budget // (int(np.prod(shape[1:])) * itemsize))
