"""The h5lazy command's show, check, eval and save subcommands: exact
output where it is deterministic, values against numpy, exit statuses
(0 success, 1 failure, 2 misuse, 130 interrupted), files left behind.

Every value printed or stored is compared with numpy computing the same
expression from the same source arrays; the "reads per evaluation chunk"
numbers are recomputed from the shapes and chunks with numpy index arrays.
Tests named test_bug_* show a defect of the command (see each docstring).
"""
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from conftest import H5LAZY, REPO, assert_ok, define, run_h5lazy, run_tool, write_dataset

# ---------------------------------------------------------------------------
# helpers

H5T = {
    "int8": "H5T_STD_I8LE", "uint8": "H5T_STD_U8LE", "int16": "H5T_STD_I16LE",
    "uint16": "H5T_STD_U16LE", "int32": "H5T_STD_I32LE", "uint32": "H5T_STD_U32LE",
    "int64": "H5T_STD_I64LE", "uint64": "H5T_STD_U64LE", "float32": "H5T_IEEE_F32LE",
    "float64": "H5T_IEEE_F64LE", "bool": 'H5T_ENUM { H5T_STD_I8LE; "FALSE" 0; "TRUE" 1; }',
}


def shape_text(shape):
    """A shape as h5lazy (and Python) writes it: (4, 6), (6,), ()."""
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def typed(array):
    """'float64 (4, 6)' for a numpy array."""
    return f"{np.asarray(array).dtype} {shape_text(np.shape(array))}"


def human(nbytes):
    """Bytes as show prints them: whole bytes below 1 KiB, else one decimal
    in the largest binary unit that keeps the number at least 1."""
    units, value, u = ["B", "KiB", "MiB", "GiB"], float(nbytes), 0
    while value >= 1024 and u < len(units) - 1:
        value /= 1024
        u += 1
    return f"{value:.0f} B" if u == 0 else f"{value:.1f} {units[u]}"


def index_array(shape):
    """Every element's flat index, shaped like the operand: evaluating an
    expression's structure on it shows which elements a box touches."""
    return np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)


def touched(indices):
    """How many distinct operand elements an index array names (-1: none)."""
    indices = np.asarray(indices)
    return int(np.unique(indices[indices >= 0]).size)


def format_value(value, dtype):
    """One element as h5dump (and eval) prints it: %g for floats, TRUE/FALSE."""
    if dtype == np.bool_:
        return "TRUE" if value else "FALSE"
    if dtype.kind == "f":
        return format(float(value), "g")
    return str(int(value))


def eval_header(path, expr, result):
    """The lines eval prints before the data."""
    r = np.asarray(result)
    space = ("SCALAR" if r.ndim == 0 else
             "SIMPLE { ( " + ", ".join(map(str, r.shape)) + " ) / ( "
             + ", ".join(map(str, r.shape)) + " ) }")
    return [f'HDF5 "{path}" {{', f'EXPRESSION "{expr}" {{', f"   DATATYPE  {H5T[str(r.dtype)]}",
            f"   DATASPACE  {space}", "   DATA {"]


def split_eval(stdout):
    """eval's output as (header lines, data lines); checks the frame."""
    lines = stdout.split("\n")
    assert lines[-4:] == ["   }", "}", "}", ""], stdout
    return lines[:5], lines[5:-4]


def data_tokens(data_lines, shape):
    """The printed elements in order; checks that every line starts with
    the index of its first element, as h5dump does, and that rows start
    new lines."""
    tokens = []
    for line in data_lines:
        m = re.fullmatch(r"   \(([\d,]+)\): (.*)", line)
        assert m, line
        index = tuple(int(i) for i in m.group(1).split(","))
        want = tuple(int(i) for i in np.unravel_index(len(tokens), shape)) if shape else (0,)
        assert index == want, (line, want)
        tokens.extend(m.group(2).split(" "))
    for i, t in enumerate(tokens[:-1]):
        assert t.endswith(","), (i, t)
    return [t.rstrip(",") for t in tokens]


def assert_eval_prints(path, expr, result, *extra_args):
    """`h5lazy eval PATH EXPR` prints `result` (a numpy array) exactly."""
    proc = assert_ok(run_h5lazy("eval", *extra_args, path, expr))
    assert proc.stderr == ""
    result = np.asarray(result)
    shown_expr = expr
    if "--slice" in extra_args:
        s = extra_args[extra_args.index("--slice") + 1]
        shown_expr = f"({expr}){s if s.startswith('[') else '[' + s + ']'}"
    header, data = split_eval(proc.stdout)
    assert header == eval_header(path, shown_expr, result)
    tokens = data_tokens(data, result.shape)
    assert tokens == [format_value(v, result.dtype) for v in result.ravel()]
    return proc


def default_chunks(shape, itemsize):
    """The default chunk h5lazy documents (~1 MiB): whole trailing axes
    first, then as many rows of the next axis as fit in 1 MiB."""
    chunks, size = [0] * len(shape), itemsize
    for k in range(len(shape) - 1, -1, -1):
        fit = 1 if size >= 1 << 20 else (1 << 20) // size
        chunks[k] = min(max(shape[k], 1), fit)
        size *= chunks[k]
    return tuple(chunks)


def read(path, name, selection=()):
    """A dataset's values through h5py (and the connector)."""
    with h5py.File(path, "r") as f:
        return f[name][selection]


def names_in(path):
    """Every object path in a file (read natively: targets are stored data)."""
    found = []
    with h5py.File(path, "r") as f:
        f.visit(found.append)
    return sorted(found)


# ---------------------------------------------------------------------------
# fixtures

A = np.arange(24, dtype=np.int32).reshape(4, 6)
B = np.linspace(0, 1, 6).astype(np.float32)
T = np.random.default_rng(5).random((10, 4, 5))


@pytest.fixture
def showfile(tmp_path):
    """a int32 (4, 6) chunks (2, 3); b float32 (6,) contiguous; t float64
    (10, 4, 5) chunks (5, 2, 5); virtual c, an, sc, v (v reads c)."""
    f = tmp_path / "show.h5"
    write_dataset(f, "a", A, chunks=(2, 3))
    write_dataset(f, "b", B)
    write_dataset(f, "t", T, chunks=(5, 2, 5))
    for name, expr in [("c", "a*2 + b"), ("an", "t - mean(t, axis=0)"),
                       ("sc", "concat([a, a*2], axis=0)[1:7:2]"), ("v", "c[::2, 1:] * 3")]:
        assert_ok(define(f, name, expr))
    return f


def show(path, *args):
    return run_h5lazy("show", *args, path)


# ---------------------------------------------------------------------------
# show


def test_show_one_dataset_exact_text(showfile):
    proc = assert_ok(run_h5lazy("show", showfile, "c"))
    assert proc.stderr == ""
    c = A * 2 + B
    # Reads of the first evaluation chunk (a's chunk, 2 x 3): the elements
    # of each operand the box [0:2, 0:3] of a*2 + b touches.
    box = np.s_[0:2, 0:3]
    reads_a = touched(np.broadcast_to(index_array(A.shape), c.shape)[box])
    reads_b = touched(np.broadcast_to(index_array(B.shape), c.shape)[box])
    assert (reads_a, reads_b) == (6, 3)
    read_bytes = reads_a * A.itemsize + reads_b * B.itemsize
    chunk_bytes = c[box].nbytes
    assert proc.stdout == (
        f"/c = a*2 + b\n"
        f"  result: {typed(c)}, evaluation chunks (2, 3)\n"
        f"  graph:\n"
        f"    add  {typed(c)}\n"
        f"    ├── astype float64  {c.dtype} {shape_text(A.shape)}\n"
        f"    │   └── multiply  {typed(A * 2)}\n"
        f"    │       ├── a  {typed(A)}\n"
        f"    │       └── 2  int32 ()\n"
        f"    └── astype float64  {c.dtype} {shape_text(B.shape)}\n"
        f"        └── b  {typed(B)}\n"
        f"  operands:\n"
        f"    a: {typed(A)}, chunks (2, 3)\n"
        f"      stored values (no CF attributes)\n"
        f"    b: {typed(B)}, contiguous\n"
        f"      stored values (no CF attributes)\n"
        f"  reads per evaluation chunk: {human(read_bytes)} for {human(chunk_bytes)} of result "
        f"(a: {reads_a} elements, b: {reads_b} elements)\n")


def test_show_reduction_reads_both_occurrences(showfile):
    """t - mean(t, axis=0): the first chunk (5, 2, 5) reads t's box once for
    the subtraction and t[:, 0:2, 0:5] for the mean."""
    proc = assert_ok(run_h5lazy("show", showfile, "an"))
    an = T - T.mean(axis=0)
    idx = index_array(T.shape)
    direct = touched(idx[0:5, 0:2, 0:5])
    for_mean = touched(idx[:, 0:2, 0:5])
    assert (direct, for_mean) == (50, 100)
    nread = direct + for_mean
    lines = proc.stdout.splitlines()
    assert lines[:7] == [
        "/an = t - mean(t, axis=0)",
        f"  result: {typed(an)}, evaluation chunks (5, 2, 5)",
        "  graph:",
        f"    subtract  {typed(an)}",
        f"    ├── t  {typed(T)}",
        f"    └── mean axis=(0,)  {typed(T.mean(axis=0))}",
        f"        └── t  {typed(T)}",
    ]
    assert lines[7:] == [
        "  operands:",
        f"    t: {typed(T)}, chunks (5, 2, 5)",
        "      stored values (no CF attributes)",
        f"  reads per evaluation chunk: {human(nread * T.itemsize)} for "
        f"{human(an[0:5, 0:2, 0:5].nbytes)} of result (t: {nread} elements)",
    ]
    assert human(nread * 8) == "1.2 KiB"  # 1200 bytes


def test_show_view_of_concat_reads(showfile):
    """concat([a, a*2])[1:7:2]: rows 1 and 3 come from a, row 5 from a*2
    (a's row 1); the evaluation chunk is the whole (3, 6) result."""
    proc = assert_ok(run_h5lazy("show", showfile, "sc"))
    sc = np.concatenate([A, A * 2], axis=0)[1:7:2]
    idx = index_array(A.shape)
    none = np.full_like(idx, -1)
    first = touched(np.concatenate([idx, none])[1:7:2])
    second = touched(np.concatenate([none, idx])[1:7:2])
    assert (first, second) == (12, 6)
    assert f"  result: {typed(sc)}, evaluation chunks {shape_text(sc.shape)}\n" in proc.stdout
    assert "    view [1::2, 0::1]  " + typed(sc) + "\n" in proc.stdout
    assert "    └── concat axis=0  " + typed(np.concatenate([A, A])) + "\n" in proc.stdout
    assert proc.stdout.endswith(
        f"  reads per evaluation chunk: {human((first + second) * 4)} for {human(sc.nbytes)} of "
        f"result (a: {first + second} elements)\n")


def test_show_virtual_operand_and_view(showfile):
    proc = assert_ok(run_h5lazy("show", showfile, "v"))
    c = A * 2 + B
    v = c[::2, 1:] * 3
    assert proc.stdout.splitlines()[:8] == [
        "/v = c[::2, 1:] * 3",
        f"  result: {typed(v)}, evaluation chunks {shape_text(v.shape)}",
        "  graph:",
        f"    multiply  {typed(v)}",
        f"    ├── view [0::2, 1::1]  {typed(v)}",
        f"    │   └── c  {typed(c)}",
        "    └── 3  float64 ()",
        "  operands:",
    ]
    assert f"    c: virtual, {typed(c)}, chunks (2, 3)\n" in proc.stdout
    n = touched(index_array(c.shape)[::2, 1:])
    assert proc.stdout.endswith(f"reads per evaluation chunk: {human(n * 8)} for {human(v.nbytes)} "
                                f"of result (c: {n} elements)\n")


def test_show_shared_work_appears_once(showfile):
    assert_ok(define(showfile, "sh", "sqrt(a*1.5) + sqrt(a*1.5) * 2"))
    proc = assert_ok(run_h5lazy("show", showfile, "sh"))
    assert "        ├── sqrt  float64 (4, 6)  (shared, see above)\n" in proc.stdout
    # a is read once per chunk although written twice.
    assert proc.stdout.endswith(f"reads per evaluation chunk: {human(6 * 4)} for {human(6 * 8)} of "
                                "result (a: 6 elements)\n")


def test_show_chunks_given_at_define_change_the_reads(tmp_path):
    f = tmp_path / "k.h5"
    x = np.arange(40, dtype=np.int16).reshape(8, 5)
    write_dataset(f, "x", x)
    assert_ok(define(f, "y", "x + x[0]", "--chunks", "3,2"))
    proc = assert_ok(run_h5lazy("show", f, "y"))
    y = x + x[0]
    idx = index_array(x.shape)
    n = touched(idx[0:3, 0:2]) + touched(np.broadcast_to(idx[0], x.shape)[0:3, 0:2])
    assert n == 8
    assert f"  result: {typed(y)}, evaluation chunks (3, 2)\n" in proc.stdout
    assert "    x: int16 (8, 5), contiguous\n" in proc.stdout
    assert proc.stdout.endswith(f"reads per evaluation chunk: {human(n * 2)} for "
                                f"{human(y[0:3, 0:2].nbytes)} of result (x: {n} elements)\n")


def test_show_all_virtual_datasets(tmp_path):
    """Without NAME: every virtual dataset in name order, each as shown
    alone, one blank line between them; stored datasets are skipped."""
    f = tmp_path / "all.h5"
    write_dataset(f, "a", A)
    write_dataset(f, "b", B)
    for name, expr in [("v1", "a + 1"), ("v2", "b * 2"), ("v3", "sum(a, axis=1)")]:
        assert_ok(define(f, name, expr))
    alone = [assert_ok(run_h5lazy("show", f, n)).stdout for n in ("v1", "v2", "v3")]
    proc = assert_ok(run_h5lazy("show", f))
    assert proc.stderr == ""
    assert proc.stdout == "\n".join(alone)
    assert alone[2].splitlines()[1] == f"  result: {typed(A.sum(axis=1))}, evaluation chunks (4,)"


def test_show_all_separates_with_one_blank_line(showfile):
    """Regression (fixed): `h5lazy show FILE` prints a blank line before every
    dataset met once one virtual dataset was shown -- stored and failing
    ones included -- so stored datasets between virtual ones double the
    blank lines (and one after the last virtual dataset leaves a trailing
    blank line). Reproduce (datasets /a /an /b /c /sc /t /v, stored a b t):
      h5lazy show show.h5     # two blank lines between /an and /c, /sc and /v
    lzc_show_main writes the separator before knowing whether the dataset
    is virtual; print it only before a virtual dataset that is shown."""
    alone = [assert_ok(run_h5lazy("show", showfile, n)).stdout for n in ("/an", "/c", "/sc", "/v")]
    proc = assert_ok(run_h5lazy("show", showfile))
    assert proc.stdout == "\n".join(alone)


DOT_LINE = re.compile(
    r'(?P<head>digraph h5lazy \{)|(?P<attr>  rankdir=BT;|  node \[fontname="monospace"\];)'
    r'|  (?P<node>n\d+) \[label="(?P<label>[^"]*)"(?P<box>, shape=box)?\];'
    r'|  (?P<src>n\d+) -> (?P<dst>n\d+);|(?P<end>\})')


def parse_dot(text):
    """The digraphs of `text` as [(nodes {id: (label, is_box)}, edges [(a, b)])];
    fails on any line outside the DOT subset h5lazy writes, on an edge to an
    undeclared node, and on a graph that is not a DAG with one sink."""
    graphs, current = [], None
    for line in text.splitlines():
        m = DOT_LINE.fullmatch(line)
        assert m, f"not DOT: {line!r}"
        if m["head"]:
            assert current is None
            current = ({}, [])
        elif m["node"]:
            assert m["node"] not in current[0], line
            current[0][m["node"]] = (m["label"], bool(m["box"]))
        elif m["src"]:
            current[1].append((m["src"], m["dst"]))
        elif m["end"]:
            graphs.append(current)
            current = None
    assert current is None, "unterminated digraph"
    for nodes, edges in graphs:
        for a, b in edges:
            assert a in nodes and b in nodes, (a, b)
        sinks = set(nodes) - {a for a, _ in edges}
        assert len(sinks) == 1, sinks
        order, pending = [], {n: {a for a, b in edges if b == n} for n in nodes}
        while pending:  # topological order exists: no cycle
            ready = [n for n, ins in pending.items() if not ins]
            assert ready, "cycle in DOT graph"
            for n in ready:
                order.append(n)
                del pending[n]
            for ins in pending.values():
                ins.difference_update(ready)
    return graphs


@pytest.mark.parametrize("name,nodes,edges,boxes", [
    # subtract(t, mean(t)): t once (a source is one node), 3 edges.
    ("an", 3, 3, ["t\\nfloat64 (10, 4, 5)"]),
    # add(astype(multiply(a, 2)), astype(b)): a tree of 7 nodes.
    ("c", 7, 6, ["a\\nint32 (4, 6)", "b\\nfloat32 (6,)"]),
    # view(concat(a, multiply(a, 2))): a feeds concat and multiply.
    ("sc", 5, 5, ["a\\nint32 (4, 6)"]),
])
def test_show_dot_structure(showfile, name, nodes, edges, boxes):
    proc = assert_ok(run_h5lazy("show", "--dot", showfile, name))
    graphs = parse_dot(proc.stdout)
    assert len(graphs) == 1
    ns, es = graphs[0]
    assert (len(ns), len(es)) == (nodes, edges)
    assert sorted(label for label, box in ns.values() if box) == sorted(boxes)
    # The sink is the root: the same label as the tree's first line.
    sink = (set(ns) - {a for a, _ in es}).pop()
    tree = assert_ok(run_h5lazy("show", showfile, name)).stdout.splitlines()[3].strip()
    op, _, typ = tree.partition("  ")
    assert ns[sink][0] == f"{op}\\n{typ}"


def test_show_dot_shared_node_has_two_consumers(showfile):
    assert_ok(define(showfile, "sh", "sqrt(a*1.5) + sqrt(a*1.5) * 2"))
    (ns, es), = parse_dot(assert_ok(run_h5lazy("show", "--dot", showfile, "sh")).stdout)
    # add, sqrt, multiply, astype, a, 1.5, multiply, 2: the sqrt once.
    assert (len(ns), len(es)) == (8, 8)
    sqrt = [n for n, (label, _) in ns.items() if label.startswith("sqrt\\n")]
    assert len(sqrt) == 1
    assert len([e for e in es if e[0] == sqrt[0]]) == 2


def test_show_dot_all(showfile):
    proc = assert_ok(run_h5lazy("show", "--dot", showfile))
    graphs = parse_dot(proc.stdout)
    assert [len(g[0]) for g in graphs] == [3, 7, 5, 4]  # /an /c /sc /v


def test_show_stored_dataset(showfile):
    proc = run_h5lazy("show", showfile, "a")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == "h5lazy show: error: 'a' is a stored dataset, not a virtual one\n"


def test_show_missing_dataset_and_file(showfile, tmp_path):
    proc = run_h5lazy("show", showfile, "nope")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == "h5lazy show: error: cannot show 'nope': object 'nope' doesn't exist\n"
    proc = run_h5lazy("show", tmp_path / "missing.h5")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"h5lazy show: error: cannot open '{tmp_path / 'missing.h5'}'")


def broken_pair(tmp_path):
    """main.h5 with stored y, z; virtual p (over other.h5, then deleted),
    q = y * 2 and w = z + 1; returns main.h5."""
    other, main = tmp_path / "other.h5", tmp_path / "main.h5"
    write_dataset(other, "x", np.arange(6.0))
    write_dataset(main, "y", np.arange(6.0) * 10)
    write_dataset(main, "z", np.arange(6, dtype=np.int8))
    assert_ok(define(main, "p", 'ds("other.h5", "/x") + y'))
    assert_ok(define(main, "q", "y * 2"))
    assert_ok(define(main, "w", "z + 1"))
    other.unlink()
    return main


def missing_file_message(prog, main):
    return (f"h5lazy {prog}: error: cannot evaluate '/p': operand file 'other.h5' of '/p' cannot be "
            f"opened (looked for '{main.parent / 'other.h5'}') (at line 1, column 1 of "
            f"\"ds(\"other.h5\", \"/x\") + y\")\n")


def test_show_broken_among_good(tmp_path):
    main = broken_pair(tmp_path)
    proc = run_h5lazy("show", main)
    assert proc.returncode == 1
    assert proc.stderr == missing_file_message("show", main)
    y = np.arange(6.0) * 10
    z = np.arange(6, dtype=np.int8)
    assert f"/q = y * 2\n  result: {typed(y * 2)}, evaluation chunks (6,)\n" in proc.stdout
    assert f"/w = z + 1\n  result: {typed(z + 1)}, evaluation chunks (6,)\n" in proc.stdout
    assert "/p = " not in proc.stdout


def test_show_file_without_virtual_datasets(tmp_path):
    f = tmp_path / "plain.h5"
    write_dataset(f, "x", np.arange(3))
    proc = assert_ok(run_h5lazy("show", f))
    assert proc.stdout == f"{f} has no virtual datasets\n"


# ---------------------------------------------------------------------------
# check


def test_check_all_ok(showfile):
    proc = assert_ok(run_h5lazy("check", showfile))
    assert proc.stderr == ""
    c = A * 2 + B
    expected = {
        "/an": T - T.mean(axis=0),
        "/c": c,
        "/sc": np.concatenate([A, A * 2])[1:7:2],
        "/v": c[::2, 1:] * 3,
    }
    lines = [f"ok     {name}: {typed(value)}" for name, value in expected.items()]
    assert proc.stdout == "\n".join(lines) + "\n4 virtual datasets: 4 ok, 0 failed\n"


def test_check_one_and_none(tmp_path):
    f = tmp_path / "one.h5"
    write_dataset(f, "x", np.arange(5, dtype=np.uint8))
    proc = assert_ok(run_h5lazy("check", f))
    assert proc.stdout == "0 virtual datasets: 0 ok, 0 failed\n"
    assert_ok(define(f, "y", "x * 2.5"))
    proc = assert_ok(run_h5lazy("check", f))
    y = np.arange(5, dtype=np.uint8) * 2.5
    assert proc.stdout == f"ok     /y: {typed(y)}\n1 virtual dataset: 1 ok, 0 failed\n"


def test_check_operand_file_deleted(tmp_path):
    main = broken_pair(tmp_path)
    proc = run_h5lazy("check", main)
    assert proc.returncode == 1
    y, z = np.arange(6.0) * 10, np.arange(6, dtype=np.int8)
    assert proc.stdout == (f"FAILED /p\nok     /q: {typed(y * 2)}\nok     /w: {typed(z + 1)}\n"
                           "3 virtual datasets: 2 ok, 1 failed\n")
    assert proc.stderr == missing_file_message("check", main)


def test_check_operand_shape_changed(tmp_path):
    f = tmp_path / "shape.h5"
    write_dataset(f, "x", np.arange(6.0))
    assert_ok(define(f, "r", "x * 2"))
    assert_ok(define(f, "s", "sum(x)"))
    write_dataset(f, "x", np.arange(7.0))  # replaced, one longer
    proc = run_h5lazy("check", f)
    assert proc.returncode == 1
    # sum(x) still has its type and shape: it is fine (and reads the new x).
    assert proc.stdout == ("FAILED /r\nok     /s: float64 ()\n"
                           "2 virtual datasets: 1 ok, 1 failed\n")
    assert proc.stderr == (
        "h5lazy check: error: '/r' was defined as float64 (6,), but its expression now gives "
        "float64 (7,): an operand changed since the definition (redefine it with h5lazy define "
        "--overwrite)\n")
    assert read(f, "s") == np.arange(7.0).sum()


def test_check_cycle(tmp_path):
    f = tmp_path / "cycle.h5"
    write_dataset(f, "y", np.arange(4.0))
    assert_ok(define(f, "c1", "y + 1"))
    assert_ok(define(f, "c2", "c1 + 1"))
    assert_ok(define(f, "ok", "y * 3"))
    with h5py.File(f, "a") as h:  # c1 now reads c2: a cycle define would refuse
        h["c1"].attrs["h5lazy_expression"] = "c2 + 1"
    proc = run_h5lazy("check", f)
    assert proc.returncode == 1
    assert proc.stdout == ("FAILED /c1\nFAILED /c2\nok     /ok: float64 (4,)\n"
                           "3 virtual datasets: 1 ok, 2 failed\n")
    assert proc.stderr == (
        "h5lazy check: error: cannot evaluate '/c1': operand 'c2' is a virtual dataset that cannot "
        "be evaluated (see the cause below) (at line 1, column 1 of \"c2 + 1\")\n"
        "h5lazy check: error: cannot evaluate '/c2': operand 'c1' leads back to itself: the virtual "
        "datasets form a cycle (/c1 <- /c2 <- /c1) (at line 1, column 1 of \"c1 + 1\")\n"
        "h5lazy check: error: cannot evaluate '/c2': operand 'c1' is a virtual dataset that cannot "
        "be evaluated (see the cause below) (at line 1, column 1 of \"c1 + 1\")\n"
        "h5lazy check: error: cannot evaluate '/c1': operand 'c2' leads back to itself: the virtual "
        "datasets form a cycle (/c2 <- /c1 <- /c2) (at line 1, column 1 of \"c2 + 1\")\n")
    np.testing.assert_array_equal(read(f, "ok"), np.arange(4.0) * 3)


def test_check_misuse(tmp_path):
    proc = run_h5lazy("check")
    assert proc.returncode == 2
    assert proc.stderr.startswith("h5lazy check: error: expected FILE\n\nusage: h5lazy check")
    proc = run_h5lazy("check", "a.h5", "b.h5")
    assert proc.returncode == 2


# ---------------------------------------------------------------------------
# eval: printing


@pytest.fixture(scope="module")
def evfile(tmp_path_factory):
    """Sources of every element type for eval."""
    f = tmp_path_factory.mktemp("eval") / "ev.h5"
    rng = np.random.default_rng(11)
    data = {
        "i8": rng.integers(-128, 128, (3, 7)).astype(np.int8),
        "u8": rng.integers(0, 256, (3, 7)).astype(np.uint8),
        "u16": rng.integers(0, 65536, (7,)).astype(np.uint16),
        "i32": np.arange(21, dtype=np.int32).reshape(3, 7) * 7919 - 50000,
        "i64": rng.integers(-2**62, 2**62, (3, 7)),
        "f32": (rng.standard_normal((3, 7)) * 1000).astype(np.float32),
        "f64": rng.standard_normal((3, 7)) * 1e-3,
        "flag": rng.integers(0, 2, (3, 7)).astype(bool),
        "wide": np.linspace(-1, 1, 240).reshape(4, 60) * 1e5 / 7,
    }
    for name, value in data.items():
        write_dataset(f, name, value, chunks=(2, 4) if value.ndim == 2 else None)
    return f, data


EVAL_CASES = [
    ("int32", "i32 * 3 - 7", lambda d: d["i32"] * 3 - 7),
    ("uint8 wraps", "u8 + 200", lambda d: d["u8"] + np.uint8(200)),
    ("int8 x uint16", "i8 * u16", lambda d: d["i8"] * d["u16"]),
    ("int64", "i64 // 3 + i8", lambda d: d["i64"] // 3 + d["i8"]),
    ("float32", "f32 / 3", lambda d: d["f32"] / np.float32(3)),
    ("float64", "f64 ** 2 - 1e-3", lambda d: d["f64"] ** 2 - 1e-3),
    ("mixed", "f32 + i32", lambda d: d["f32"] + d["i32"]),
    ("bool", "flag & (i32 > 0)", lambda d: d["flag"] & (d["i32"] > 0)),
    ("reduction", "sum(i32, axis=1)", lambda d: d["i32"].sum(axis=1)),
    ("0-d float", "mean(f64)", lambda d: np.mean(d["f64"])),
    ("0-d int", "max(u16)", lambda d: np.max(d["u16"])),
    ("0-d bool", "any(flag)", lambda d: np.any(d["flag"])),
    ("empty", "i32[0:0]", lambda d: d["i32"][0:0]),
    ("wide rows", "wide * 1", lambda d: d["wide"] * 1),
]


@pytest.mark.parametrize("expr,oracle", [c[1:] for c in EVAL_CASES], ids=[c[0] for c in EVAL_CASES])
def test_eval_prints_values(evfile, expr, oracle):
    f, data = evfile
    want = np.asarray(oracle(data))
    assert_eval_prints(f, expr, want)


def test_eval_exact_small_output(evfile):
    f, data = evfile
    proc = assert_ok(run_h5lazy("eval", f, "u16[0:3] * 2"))
    u = data["u16"][0:3] * 2
    assert proc.stdout == (f'HDF5 "{f}" {{\nEXPRESSION "u16[0:3] * 2" {{\n'
                           "   DATATYPE  H5T_STD_U16LE\n"
                           "   DATASPACE  SIMPLE { ( 3 ) / ( 3 ) }\n"
                           "   DATA {\n"
                           f"   (0): {u[0]}, {u[1]}, {u[2]}\n"
                           "   }\n}\n}\n")


def test_eval_scalar_and_empty_frames(evfile):
    f, data = evfile
    proc = assert_ok(run_h5lazy("eval", f, "sum(i32)"))
    assert proc.stdout.endswith("   DATASPACE  SCALAR\n   DATA {\n"
                                f"   (0): {data['i32'].sum()}\n   }}\n}}\n}}\n")
    proc = assert_ok(run_h5lazy("eval", f, "i32[2:2]"))
    assert proc.stdout.endswith("   DATASPACE  SIMPLE { ( 0, 7 ) / ( 0, 7 ) }\n   DATA {\n   }\n}\n}\n")


def test_eval_empty_result_with_a_later_zero_axis(evfile, tmp_path):
    """Regression (fixed): a result with no elements whose zero-length axis is not
    the first kills eval (print and --to) and save with SIGFPE: in
    lzc_pieces_init, inner (the product of the later axes) is 0 and
    max_elems / (outer * inner) divides by zero. Reproduce:
      h5lazy eval ev.h5 'f64[:, 3:3] * 2'          # Floating point exception
      h5lazy define ev.h5 e 'f64[:, 3:3]'; h5lazy save ev.h5 e=o.h5:
    (the crashed save also leaves o.h5 unreadable). h5py reads the same
    virtual dataset fine. Fix: return from lzc_pieces_init when p->done."""
    f, data = evfile
    want = data["f64"][:, 3:3] * 2
    proc = run_h5lazy("eval", f, "f64[:, 3:3] * 2")
    assert proc.returncode == 0, f"exit status {proc.returncode}"
    assert split_eval(proc.stdout) == (eval_header(f, "f64[:, 3:3] * 2", want), [])
    g = tmp_path / "empty.h5"
    write_dataset(g, "f64", data["f64"])
    assert_ok(define(g, "e", "f64[:, 3:3] * 2"))
    assert read(g, "e").shape == (3, 0)
    proc = run_h5lazy("save", "--no-progress", g, f"e={tmp_path / 'o.h5'}:")
    assert proc.returncode == 0, f"exit status {proc.returncode}"
    assert read(tmp_path / "o.h5", "e").shape == (3, 0)


SLICES = ["[::-2, -1]", "[-1]", "[..., 3]", "[1, ::-1]", "[::-1, 5:1:-2]", "[None, 2, 1:4]",
          "[0:10, ::2]", "1:", "[-2:, -3]"]


@pytest.mark.parametrize("slice_text", SLICES)
def test_eval_slice(evfile, slice_text):
    f, data = evfile
    full = data["f32"] * 2 - data["i32"]
    index = slice_text if slice_text.startswith("[") else f"[{slice_text}]"
    want = eval(f"full{index}", {"full": full, "None": None})  # numpy's meaning
    assert_eval_prints(f, "f32 * 2 - i32", want, "--slice", slice_text)


def test_eval_special_floats_as_h5dump(tmp_path):
    """inf, -inf, nan (the sign of a computed nan included) and -0 print as
    h5dump prints the same values of a virtual dataset."""
    f = tmp_path / "sp.h5"
    write_dataset(f, "x", np.array([-2.0, -0.0, 0.0, 1.0, 3.5]))
    expr = "x / 0 + (x * 0)"
    assert_ok(define(f, "v", expr))
    proc = assert_ok(run_h5lazy("eval", f, expr))
    dump = assert_ok(run_tool("h5dump", "-d", "/v", f)).stdout
    ours = split_eval(proc.stdout)[1]
    theirs = re.search(r"   DATA \{\n(.*?)\n   \}", dump, re.S).group(1).split("\n")
    assert ours == theirs
    with np.errstate(divide="ignore", invalid="ignore"):
        want = np.array([-2.0, -0.0, 0.0, 1.0, 3.5]) / 0 + np.array([-2.0, -0.0, 0.0, 1.0, 3.5]) * 0
    tokens = data_tokens(ours, want.shape)
    for t, w in zip(tokens, want):
        assert (t.lstrip("-") == "nan") if np.isnan(w) else t == format(w, "g")


def h5dump_data(path, name):
    """The DATA block lines h5dump prints for a dataset."""
    dump = assert_ok(run_tool("h5dump", "-d", name, path)).stdout
    return re.search(r"   DATA \{\n(.*?)\n   \}", dump, re.S).group(1).split("\n")


def test_eval_wraps_lines_as_h5dump(evfile, tmp_path):
    """Regression (fixed): eval says it prints "as h5dump prints data", but it
    wraps long rows at other places: h5dump breaks before an element when
    (column + 3 + len(element) + len(",") + 1) > 80 (its line counter counts
    one indentation level more than it prints), eval when column +
    len(element) + 2 > 80. Reproduce:
      h5lazy define w.h5 v 'wide * 1'; h5dump -d /v w.h5; h5lazy eval w.h5 'wide * 1'
    h5dump's first line ends after 6 elements, eval's after 7."""
    f, data = evfile
    g = tmp_path / "wrap.h5"
    write_dataset(g, "wide", data["wide"])
    assert_ok(define(g, "v", "wide * 1"))
    ours = split_eval(assert_ok(run_h5lazy("eval", g, "wide * 1")).stdout)[1]
    assert ours == h5dump_data(g, "/v")


def test_eval_over_a_virtual_dataset(showfile):
    """Regression (fixed): `h5lazy eval` of any expression reading a virtual
    dataset dies with SIGSEGV. Reproduce:
      h5lazy define f.h5 c 'a*2 + b'; h5lazy eval f.h5 c       # also 'c + 0', 'c[0]'
    In lzv_inspect.c do_read, an expression session sets dxpl_id on its own
    operands but never calls lzv_vdset_prepare_read for nested (virtual)
    ones, whose operands keep dxpl_id 0, so reading 'a' fails; nested_read
    then dereferences op->failed_stack, which is NULL for a binding's
    operands (only lzv_vdset_bind sets it). h5py, h5dump, show and save
    read the same dataset fine."""
    c = A * 2 + B
    proc = run_h5lazy("eval", showfile, "c[1] + 0")
    assert proc.returncode == 0, f"exit status {proc.returncode}"
    header, data = split_eval(proc.stdout)
    assert data_tokens(data, (6,)) == [format_value(v, c.dtype) for v in c[1]]


# ---------------------------------------------------------------------------
# eval: errors and misuse


def test_eval_syntax_error_with_caret(evfile):
    f, _ = evfile
    proc = run_h5lazy("eval", f, "i32 + * 2")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == ("h5lazy eval: error: cannot evaluate the expression: expected an operand, "
                           "a number or '(' but found '*' (at line 1, column 7)\n"
                           "    i32 + * 2\n"
                           "          ^\n")


def test_eval_unknown_operand_and_bad_slice(evfile):
    f, _ = evfile
    proc = run_h5lazy("eval", f, "i32 + nope")
    assert proc.returncode == 1
    assert proc.stderr == ("h5lazy eval: error: cannot evaluate the expression: operand 'nope' of "
                           "'/expression' is not a dataset (looked for '/nope') (at line 1, column 7)\n"
                           "    i32 + nope\n"
                           "          ^\n")
    # The caret is under the slice of the text evaluated: (EXPR)[...].
    proc = run_h5lazy("eval", f, "i32", "--slice", "[5]")
    assert proc.returncode == 1
    assert proc.stderr == ("h5lazy eval: error: cannot evaluate the expression: index 5 is out of "
                           "bounds for axis 0 with size 3 (at line 1, column 7)\n"
                           "    (i32)[5]\n"
                           "          ^\n")


def test_eval_second_line_caret(evfile):
    f, _ = evfile
    proc = run_h5lazy("eval", f, "i32 +\n  ad(i32, 1)")
    assert proc.returncode == 1
    # The second line is "  ad(i32, 1)": shown as it is, the caret under column 3.
    assert proc.stderr.endswith("(did you mean 'add'?) (at line 2, column 3)\n"
                                "      ad(i32, 1)\n"
                                "      ^\n")
    assert "\n    i32 +\n" not in proc.stderr


def test_eval_missing_file(tmp_path):
    proc = run_h5lazy("eval", tmp_path / "none.h5", "1")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr.startswith(f"h5lazy eval: error: cannot open '{tmp_path / 'none.h5'}': ")


MISUSE = [
    ([], "h5lazy eval: error: expected FILE EXPRESSION\n\nusage: h5lazy eval "),
    (["only.h5"], "h5lazy eval: error: expected FILE EXPRESSION\n"),
    (["--gzip", "10", "F", "i32"], "h5lazy eval: error: --gzip wants a level from 0 to 9, got '10'\n"),
    (["--gzip", "x", "F", "i32"], "h5lazy eval: error: --gzip wants a level from 0 to 9, got 'x'\n"),
    (["--chunks", "0,1", "F", "i32"],
     "h5lazy eval: error: --chunks wants integers from 1 to 4294967295 separated by commas, got '0,1'\n"),
    (["--chunks", "2,x", "F", "i32"],
     "h5lazy eval: error: --chunks wants integers from 1 to 4294967295 separated by commas, got '2,x'\n"),
    (["--memory", "a b", "F", "i32"],
     "h5lazy eval: error: --memory wants a size such as 256MiB, got 'a b'\n"),
    (["--threads", "", "F", "i32"], "h5lazy eval: error: --threads wants a count from 1 to 64, got ''\n"),
    (["--threads", "0", "F", "i32"], "h5lazy eval: error: --threads wants a count from 1 to 64, got '0'\n"),
    (["--memory", "12XB", "F", "i32"], "h5lazy eval: error: --memory wants a size such as 256MiB, got '12XB'\n"),
    (["--bogus", "F", "i32"], "h5lazy eval: error: option '--bogus' is unknown or needs a value\n"),
    (["--to", "out.h5", "F", "i32"], "h5lazy eval: error: --to wants OUTFILE:NAME, got 'out.h5'\n"),
    (["--to", "out.h5:", "F", "i32"], "h5lazy eval: error: --to wants OUTFILE:NAME, got 'out.h5:'\n"),
    (["--to", ":x", "F", "i32"], "h5lazy eval: error: --to wants OUTFILE:NAME, got ':x'\n"),
]


@pytest.mark.parametrize("args,message", MISUSE, ids=[" ".join(a) or "none" for a, _ in MISUSE])
def test_eval_misuse_exit_2(evfile, tmp_path, args, message):
    f, _ = evfile
    args = [str(f) if a == "F" else str(tmp_path / a) if a.startswith("out.h5") else a for a in args]
    message = message.replace("'out.h5", f"'{tmp_path / 'out.h5'}")
    proc = run_h5lazy("eval", *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(message) if message.startswith("h5lazy") else message in proc.stderr
    assert not (tmp_path / "out.h5").exists()


def test_eval_bad_connector_settings_exit_1(evfile):
    """A value of the right form that the connector refuses (a budget under
    4 KiB) fails at open, with the connector's message."""
    f, _ = evfile
    proc = run_h5lazy("eval", "--memory", "100", f, "i32")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == ("h5lazy eval: error: connector info: memory=100 is not a size of at "
                           "least 4 KiB (write e.g. 256MiB)\n")


def test_eval_memory_and_threads_do_not_change_values(evfile):
    f, data = evfile
    want = data["f64"] - data["f64"].mean(axis=0)
    for extra in (["--memory", "4KiB"], ["--threads", "2"], ["--memory", "4KiB", "--threads", "3"]):
        proc = assert_ok(run_h5lazy("eval", *extra, f, "f64 - mean(f64, axis=0)"))
        tokens = data_tokens(split_eval(proc.stdout)[1], want.shape)
        np.testing.assert_allclose(np.array(tokens, dtype=float), want.ravel(), rtol=1e-5, atol=1e-12)
        assert tokens == [format_value(v, want.dtype) for v in want.ravel()]


# ---------------------------------------------------------------------------
# eval --to


def filters(dset):
    """The filter ids of a dataset in pipeline order."""
    dcpl = dset.id.get_create_plist()
    return [dcpl.get_filter(i)[0] for i in range(dcpl.get_nfilters())]


def test_eval_to_with_gzip_shuffle_chunks(evfile, tmp_path):
    f, data = evfile
    out = tmp_path / "out.h5"
    proc = assert_ok(run_h5lazy("eval", f, "f32 * i8", "--to", f"{out}:/g/h/r", "--gzip", "6",
                                "--shuffle", "--chunks", "2,3"))
    assert (proc.stdout, proc.stderr) == ("", "")
    want = data["f32"] * data["i8"]
    with h5py.File(out, "r") as h:
        d = h["g/h/r"]
        assert d.dtype == want.dtype and d.shape == want.shape
        assert d.chunks == (2, 3)
        assert d.compression == "gzip" and d.compression_opts == 6 and d.shuffle
        assert filters(d) == [h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_DEFLATE]
        assert "h5lazy_expression" not in d.attrs and "h5lazy_incomplete" not in d.attrs
        np.testing.assert_array_equal(d[...], want)
    assert names_in(out) == ["g", "g/h", "g/h/r"]


def test_eval_to_defaults_slice_scalar_empty(evfile, tmp_path):
    f, data = evfile
    out = tmp_path / "d.h5"
    big = np.arange(600 * 700, dtype=np.float64).reshape(600, 700)
    src = tmp_path / "big.h5"
    write_dataset(src, "x", big)
    assert_ok(run_h5lazy("eval", src, "x / 7", "--to", f"{out}:big"))
    assert_ok(run_h5lazy("eval", f, "i64 - i8", "--slice", "[::-1, 2]", "--to", f"{out}:sl"))
    assert_ok(run_h5lazy("eval", f, "sum(u16)", "--to", f"{out}:s"))
    assert_ok(run_h5lazy("eval", f, "i32[1:1]", "--to", f"{out}:e"))
    with h5py.File(out, "r") as h:
        assert h["big"].chunks == default_chunks(big.shape, 8) == (187, 700)
        assert h["big"].compression is None and not h["big"].shuffle
        np.testing.assert_array_equal(h["big"][...], big / 7)
        np.testing.assert_array_equal(h["sl"][...], (data["i64"] - data["i8"])[::-1, 2])
        assert h["s"].shape == () and h["s"][()] == data["u16"].sum()
        assert h["s"].dtype == data["u16"].sum().dtype
        assert h["e"].shape == (0, 7) and h["e"].dtype == np.int32


def test_eval_to_existing_and_overwrite(evfile, tmp_path):
    f, data = evfile
    out = tmp_path / "o.h5"
    assert_ok(run_h5lazy("eval", f, "i32 + 1", "--to", f"{out}:r"))
    proc = run_h5lazy("eval", f, "i32 * 0", "--to", f"{out}:r")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == "h5lazy eval: error: '/r' exists already (use --overwrite to replace it)\n"
    np.testing.assert_array_equal(read(out, "r"), data["i32"] + 1)
    # --overwrite replaces it, even with another type and shape.
    assert_ok(run_h5lazy("eval", f, "f64[0] * 2", "--to", f"{out}:r", "--overwrite"))
    np.testing.assert_array_equal(read(out, "r"), data["f64"][0] * 2)
    assert names_in(out) == ["r"]


def test_eval_to_chunks_of_wrong_rank(evfile, tmp_path):
    f, _ = evfile
    out = tmp_path / "w.h5"
    proc = run_h5lazy("eval", f, "i32[0]", "--to", f"{out}:x", "--chunks", "2,2")
    assert proc.returncode == 1
    assert proc.stderr == "h5lazy eval: error: --chunks has 2 extents but '/x' has rank 1\n"
    assert names_in(out) == []


def test_eval_to_the_same_file(evfile, tmp_path):
    """Regression (fixed): `eval FILE EXPR --to FILE:NAME` (store next to the operands)
    fails: FILE is open read-only for the evaluation and opening it again
    for writing is refused. Reproduce:
      h5lazy eval ev.h5 'i32 * 2' --to ev.h5:twice
      h5lazy eval: error: cannot open 'ev.h5' for writing: file is already open for read-only
    (Open FILE read-write when OUTFILE is FILE, and use that handle.)"""
    f, data = evfile
    g = tmp_path / "same.h5"
    shutil.copy(f, g)
    proc = run_h5lazy("eval", g, "i32 * 2", "--to", f"{g}:twice")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(read(g, "twice"), data["i32"] * 2)


# ---------------------------------------------------------------------------
# save


@pytest.fixture
def savefile(tmp_path):
    """x float64 (60, 50) chunks (16, 50); y int16 (50,); virtual mean_x,
    std_x, max_y (shape (50,)), anomaly, scaled (60, 50), total (scalar)."""
    f = tmp_path / "save.h5"
    rng = np.random.default_rng(3)
    write_dataset(f, "x", rng.standard_normal((60, 50)) * 5 + 1, chunks=(16, 50))
    write_dataset(f, "y", rng.integers(-500, 500, 50).astype(np.int16))
    for name, expr in [("mean_x", "mean(x, axis=0)"), ("std_x", "std(x, axis=0)"),
                       ("max_y", "maximum(y, 0) * 2"), ("anomaly", "x - mean(x, axis=0)"),
                       ("scaled", "x * y"), ("total", "sum(y)")]:
        assert_ok(define(f, name, expr))
    return f


def save_oracle(f):
    """numpy's values of savefile's virtual datasets."""
    with h5py.File(f, "r") as h:
        x, y = h["x"][...], h["y"][...]
    return {"mean_x": x.mean(axis=0), "std_x": x.std(axis=0), "max_y": np.maximum(y, 0) * 2,
            "anomaly": x - x.mean(axis=0), "scaled": x * y, "total": y.sum()}


def assert_saved(path, name, want, rtol=1e-12):
    """A stored (not virtual) dataset holds numpy's values."""
    with h5py.File(path, "r") as h:
        d = h[name]
        assert not any(k.startswith("h5lazy_") for k in d.attrs), dict(d.attrs)
        assert d.dtype == np.asarray(want).dtype and d.shape == np.shape(want)
        np.testing.assert_allclose(d[()], want, rtol=rtol, atol=0)
    # Without the connector too: stored data.
    script = f"import h5py; print(h5py.File({str(path)!r}, 'r')[{name!r}].shape)"
    env = dict(os.environ)
    env.pop("HDF5_VOL_CONNECTOR")
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert proc.stdout.strip() == str(tuple(np.shape(want))), proc.stderr


def summary_line(n, total_bytes):
    return re.compile(rf"{n} datasets?, {total_bytes / 2**20:.1f} MiB in \d+\.\d\d s")


def test_save_several_of_one_shape(savefile, tmp_path):
    want = save_oracle(savefile)
    out = tmp_path / "stats.h5"
    proc = assert_ok(run_h5lazy("save", "--no-progress", savefile,
                                f"mean_x={out}:/stats/mean", f"std_x={out}:/stats/std",
                                f"max_y={out}:/max_y"))
    lines = proc.stdout.splitlines()
    assert lines[:3] == [f"saved mean_x -> {out}:/stats/mean", f"saved std_x -> {out}:/stats/std",
                         f"saved max_y -> {out}:/max_y"]
    total = sum(want[n].nbytes for n in ("mean_x", "std_x", "max_y"))
    assert summary_line(3, total).fullmatch(lines[3]), lines[3]
    assert proc.stderr == ""
    assert_saved(out, "stats/mean", want["mean_x"])
    assert_saved(out, "stats/std", want["std_x"])
    assert_saved(out, "max_y", want["max_y"])
    assert names_in(out) == ["max_y", "stats", "stats/mean", "stats/std"]


def test_save_mixed_shapes(savefile, tmp_path):
    want = save_oracle(savefile)
    out = tmp_path / "mixed.h5"
    proc = assert_ok(run_h5lazy("save", "--no-progress", savefile, f"anomaly={out}:",
                                f"mean_x={out}:", f"scaled={out}:", f"total={out}:"))
    total = sum(np.asarray(want[n]).nbytes for n in ("anomaly", "mean_x", "scaled", "total"))
    assert summary_line(4, total).fullmatch(proc.stdout.splitlines()[-1])
    for name in ("anomaly", "mean_x", "scaled", "total"):
        assert_saved(out, name, want[name])
    with h5py.File(out, "r") as h:  # default chunks: the evaluation chunks
        assert h["anomaly"].chunks == (16, 50) and h["scaled"].chunks == (16, 50)
        assert h["total"].chunks is None


def test_save_in_place_keeps_own_attributes(savefile):
    want = save_oracle(savefile)
    with h5py.File(savefile, "a") as h:
        h["anomaly"].attrs["units"] = "K"
        h["anomaly"].attrs["scale"] = np.array([1.5, 2.5])
        h["anomaly"].attrs["h5lazy_note"] = "h5lazy_ attributes are h5lazy's"
    proc = assert_ok(run_h5lazy("save", "--no-progress", savefile, "anomaly", "/total"))
    assert proc.stdout.splitlines()[:2] == [f"saved anomaly -> {savefile}:/anomaly",
                                           f"saved /total -> {savefile}:/total"]
    with h5py.File(savefile, "r") as h:
        attrs = dict(h["anomaly"].attrs)
        assert sorted(attrs) == ["_FillValue", "scale", "units"]  # _FillValue: define's, for a float result
        assert attrs["units"] == "K"
        np.testing.assert_array_equal(attrs["scale"], [1.5, 2.5])
        assert h["anomaly"].chunks == (16, 50)
        assert "anomaly.h5lazy-incomplete" not in h
    assert_saved(savefile, "anomaly", want["anomaly"])
    assert_saved(savefile, "total", want["total"])
    proc = run_h5lazy("show", savefile, "anomaly")
    assert proc.stderr == "h5lazy show: error: 'anomaly' is a stored dataset, not a virtual one\n"
    # The others are still virtual and still right.
    check = assert_ok(run_h5lazy("check", savefile))
    assert check.stdout.endswith("4 virtual datasets: 4 ok, 0 failed\n")


def test_save_in_place_under_a_dependent(savefile):
    """A virtual dataset reading one that is materialised keeps its values."""
    want = save_oracle(savefile)
    assert_ok(define(savefile, "twice", "anomaly * 2"))
    assert_ok(run_h5lazy("save", "--no-progress", savefile, "anomaly"))
    np.testing.assert_allclose(read(savefile, "twice"), want["anomaly"] * 2, rtol=1e-12)


def test_save_target_forms(savefile, tmp_path):
    """NAME=OUT:NAME2, NAME=:NEW (same file), NAME=OUT: (same name)."""
    want = save_oracle(savefile)
    out = tmp_path / "forms.h5"
    proc = assert_ok(run_h5lazy("save", "--no-progress", savefile, f"mean_x={out}:renamed",
                                "std_x=:std_copy", f"max_y={out}:", "total=:/g/total"))
    assert proc.stdout.splitlines()[:4] == [
        f"saved mean_x -> {out}:/renamed", f"saved std_x -> {savefile}:/std_copy",
        f"saved max_y -> {out}:/max_y", f"saved total -> {savefile}:/g/total"]
    assert names_in(out) == ["max_y", "renamed"]
    assert_saved(out, "renamed", want["mean_x"])
    assert_saved(out, "max_y", want["max_y"])
    assert_saved(savefile, "std_copy", want["std_x"])
    assert_saved(savefile, "g/total", want["total"])
    with h5py.File(savefile, "r") as h:  # the sources stay virtual
        assert h["std_x"].attrs["h5lazy_expression"] == "std(x, axis=0)"


def test_save_storage_options(savefile, tmp_path):
    want = save_oracle(savefile)
    out = tmp_path / "z.h5"
    assert_ok(run_h5lazy("save", "--no-progress", "--gzip", "9", "--shuffle", "--chunks", "7,9",
                         "--memory", "64KiB", "--threads", "2", savefile, f"anomaly={out}:",
                         f"scaled={out}:"))
    with h5py.File(out, "r") as h:
        for name in ("anomaly", "scaled"):
            d = h[name]
            assert d.chunks == (7, 9) and d.compression_opts == 9
            assert filters(d) == [h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_DEFLATE]
    assert_saved(out, "anomaly", want["anomaly"])
    assert_saved(out, "scaled", want["scaled"])


def test_save_existing_target_and_overwrite(savefile, tmp_path):
    want = save_oracle(savefile)
    out = tmp_path / "ow.h5"
    write_dataset(out, "mean_x", np.zeros(3))
    proc = run_h5lazy("save", "--no-progress", savefile, f"mean_x={out}:", f"std_x={out}:")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == "h5lazy save: error: '/mean_x' exists already (use --overwrite to replace it)\n"
    assert names_in(out) == ["mean_x"]  # std_x not written either
    np.testing.assert_array_equal(read(out, "mean_x"), np.zeros(3))
    assert_ok(run_h5lazy("save", "--no-progress", "--overwrite", savefile, f"mean_x={out}:",
                         f"std_x={out}:"))
    assert_saved(out, "mean_x", want["mean_x"])
    assert_saved(out, "std_x", want["std_x"])


def test_save_refuses_stored_and_missing(savefile, tmp_path):
    out = tmp_path / "never.h5"
    proc = run_h5lazy("save", savefile, f"mean_x={out}:", "x")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == "h5lazy save: error: 'x' is a stored dataset already\n"
    assert not out.exists()  # refused before anything was created
    proc = run_h5lazy("save", savefile, "nope")
    assert proc.returncode == 1
    assert proc.stderr == "h5lazy save: error: cannot save 'nope': object 'nope' doesn't exist\n"
    with h5py.File(savefile, "r") as h:
        assert "h5lazy_expression" in h["mean_x"].attrs


@pytest.mark.parametrize("args,message", [
    ([], "h5lazy save: error: expected FILE and at least one NAME\n\nusage: h5lazy save"),
    (["F"], "h5lazy save: error: expected FILE and at least one NAME\n"),
    (["F", "mean_x=x"], "h5lazy save: error: 'mean_x=x': write NAME or NAME=OUTFILE:OUTNAME\n"),
    (["F", "=o.h5:y"], "h5lazy save: error: '=o.h5:y': write NAME or NAME=OUTFILE:OUTNAME\n"),
    (["--gzip", "-1", "F", "mean_x"], "h5lazy save: error: --gzip wants a level from 0 to 9, got '-1'\n"),
    (["--memory", "1;x", "F", "mean_x"], "h5lazy save: error: --memory wants a size such as 256MiB"),
    (["--nope", "F", "mean_x"], "h5lazy save: error: option '--nope' is unknown or needs a value"),
])
def test_save_misuse_exit_2(savefile, args, message):
    args = [str(savefile) if a == "F" else a for a in args]
    proc = run_h5lazy("save", *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(message) if message.startswith("h5lazy") else message in proc.stderr
    with h5py.File(savefile, "r") as h:
        assert "h5lazy_expression" in h["mean_x"].attrs


def test_save_replaces_a_leftover_incomplete_dataset(savefile, tmp_path):
    want = save_oracle(savefile)
    out = tmp_path / "left.h5"
    with h5py.File(out, "w") as h:  # what a killed earlier run leaves
        h["mean_x.h5lazy-incomplete"] = np.zeros(50)
        h["mean_x.h5lazy-incomplete"].attrs["h5lazy_incomplete"] = np.int8(1)
    assert_ok(run_h5lazy("save", "--no-progress", savefile, f"mean_x={out}:"))
    assert names_in(out) == ["mean_x"]
    assert_saved(out, "mean_x", want["mean_x"])


def test_save_outfile_that_is_a_prefix_of_file(savefile, tmp_path):
    """Regression (fixed): an OUTFILE whose name is a prefix of FILE is taken for FILE:
    parse_spec compares with strncmp(OUTFILE, FILE, strlen(OUTFILE)), so
      h5lazy save save.h5 mean_x=save:m
    writes save.h5:/m and prints 'saved mean_x -> save.h5:/m' instead of
    creating the file 'save' (compare whole strings, or better the files'
    identities)."""
    want = save_oracle(savefile)
    prefix = str(savefile)[:-3]  # ".../save"
    proc = assert_ok(run_h5lazy("save", "--no-progress", savefile, f"mean_x={prefix}:m"))
    assert proc.stdout.splitlines()[0] == f"saved mean_x -> {prefix}:/m"
    with h5py.File(savefile, "r") as h:
        assert "m" not in h
    assert_saved(prefix, "m", want["mean_x"])


def test_save_to_file_spelled_differently(savefile, tmp_path):
    """Regression (fixed): FILE written another way as OUTFILE (./save.h5, an absolute
    path, a symlink) is opened a second time for writing, which HDF5
    refuses since FILE is open read-only. Reproduce (in FILE's directory):
      h5lazy save save.h5 mean_x=./save.h5:m
      h5lazy save: error: cannot open './save.h5' for writing: file is already open for read-only"""
    want = save_oracle(savefile)
    proc = run_h5lazy("save", "--no-progress", savefile.name, "mean_x=./save.h5:m",
                      cwd=savefile.parent)
    assert proc.returncode == 0, proc.stderr
    assert_saved(savefile, "m", want["mean_x"])


def test_save_same_target_twice_is_refused(savefile, tmp_path):
    """Regression (fixed): naming one target twice makes the second temporary dataset
    replace the first (taken for a leftover), prints 'saved ...' for the
    first, fails with "finishing '/mean_x' failed: name doesn't exist" --
    and for an in-place save deletes the virtual dataset. Reproduce:
      h5lazy save save.h5 mean_x mean_x      # exit 1, /mean_x is gone
    Expected: refused as misuse before anything is created."""
    want = save_oracle(savefile)
    proc = run_h5lazy("save", "--no-progress", savefile, "mean_x", "mean_x")
    with h5py.File(savefile, "r") as h:
        assert "mean_x" in h, f"the virtual dataset was deleted; stderr: {proc.stderr}"
        np.testing.assert_allclose(h["mean_x"][...], want["mean_x"], rtol=1e-12)
    if proc.returncode != 0:  # refusing is fine; claiming success is not
        assert "saved" not in proc.stdout, proc.stdout


# ---------------------------------------------------------------------------
# save: interruption, progress, reading shared operands once


@pytest.fixture
def bigfile(tmp_path):
    """Two 5000-vectors and their outer product (190.7 MiB of float64
    computed, nothing stored): a save of it runs for about a second."""
    f = tmp_path / "big.h5"
    write_dataset(f, "x", np.linspace(0, 1, 5000))
    write_dataset(f, "y", np.linspace(1, 2, 5000))
    assert_ok(define(f, "outer", "x[:, None] * y[None, :]"))
    return f


def start_save(args, stderr=subprocess.PIPE):
    """`h5lazy save ARGS` running in the background."""
    return subprocess.Popen([H5LAZY, "save", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=stderr, text=stderr == subprocess.PIPE)


def wait_for_growth(proc, path, nbytes, timeout=60):
    """Wait until `path` is at least `nbytes` long while `proc` runs."""
    deadline = time.monotonic() + timeout
    while not (os.path.exists(path) and os.path.getsize(path) >= nbytes):
        assert proc.poll() is None, "the save finished before it could be interrupted"
        assert time.monotonic() < deadline, "the save did not start writing"
        time.sleep(0.005)


def outer_head():
    """numpy's first rows of bigfile's outer product."""
    x, y = np.linspace(0, 1, 5000), np.linspace(1, 2, 5000)
    return x[:3, None] * y[None, :5]


def test_save_sigint_leaves_no_target(bigfile, tmp_path):
    out = tmp_path / "o.h5"
    proc = start_save(["--no-progress", bigfile, f"outer={out}:outer"])
    wait_for_growth(proc, out, 20 << 20)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stdout == ""
    assert stderr == "h5lazy save: interrupted; the datasets being saved were not stored\n"
    assert names_in(out) == []  # neither outer nor outer.h5lazy-incomplete


def test_save_sigint_in_place_keeps_the_virtual_dataset(bigfile):
    size = os.path.getsize(bigfile)
    proc = start_save(["--no-progress", bigfile, "outer"])
    wait_for_growth(proc, bigfile, size + (20 << 20))
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert names_in(bigfile) == ["outer", "x", "y"]
    with h5py.File(bigfile, "r") as h:
        assert h["outer"].attrs["h5lazy_expression"] == "x[:, None] * y[None, :]"
        np.testing.assert_array_equal(h["outer"][:3, :5], outer_head())


def test_eval_to_sigint_stores_nothing(bigfile, tmp_path):
    out = tmp_path / "e.h5"
    proc = subprocess.Popen([H5LAZY, "eval", str(bigfile), "x[:, None] - y[None, :]", "--to",
                             f"{out}:r"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_growth(proc, out, 20 << 20)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr == "h5lazy eval: interrupted; nothing was stored\n"
    assert names_in(out) == []


def test_save_sigkill_in_place_leaves_the_file_usable(bigfile):
    """Killed outright, an in-place save leaves FILE readable with the
    virtual dataset as it was (the target was never linked as OUTNAME)."""
    size = os.path.getsize(bigfile)
    proc = start_save(["--no-progress", bigfile, "outer"])
    wait_for_growth(proc, bigfile, size + (20 << 20))
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    found = names_in(bigfile)
    assert found in (["outer", "x", "y"], ["outer", "outer.h5lazy-incomplete", "x", "y"])
    with h5py.File(bigfile, "r") as h:
        np.testing.assert_array_equal(h["outer"][:3, :5], outer_head())
        if "outer.h5lazy-incomplete" in h:
            assert h["outer.h5lazy-incomplete"].attrs["h5lazy_incomplete"] == 1


def test_save_sigkill_leaves_a_readable_output_file(bigfile, tmp_path):
    """Regression (fixed): after SIGKILL, a new OUTFILE cannot be opened at all ("bad
    object header version number"): the temporary dataset and its
    h5lazy_incomplete attribute, meant "for whoever finds it after a
    crash", were never flushed. Reproduce: start
      h5lazy save big.h5 outer=o.h5:outer
    and kill -9 it once o.h5 has grown past 20 MB; h5ls o.h5 fails.
    (H5Fflush the file after creating the temporary dataset and its
    attribute in lzc_target_create: then the file opens and shows only
    outer.h5lazy-incomplete with h5lazy_incomplete=1.)"""
    out = tmp_path / "k.h5"
    proc = start_save(["--no-progress", bigfile, f"outer={out}:outer"])
    wait_for_growth(proc, out, 20 << 20)
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with h5py.File(out, "r") as h:
        assert sorted(h) == ["outer.h5lazy-incomplete"]
        assert h["outer.h5lazy-incomplete"].attrs["h5lazy_incomplete"] == 1


def run_with_pty_stderr(args, interrupt_after=None):
    """Run h5lazy with stderr on a pseudo-terminal (stdout a pipe); returns
    (exit status, stdout, what the terminal received). With
    interrupt_after=(path, nbytes): SIGINT once path is that long."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([H5LAZY, *map(str, args)], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    received, signalled = b"", interrupt_after is None
    while True:
        if not signalled and os.path.exists(interrupt_after[0]) and \
                os.path.getsize(interrupt_after[0]) >= interrupt_after[1]:
            proc.send_signal(signal.SIGINT)
            signalled = True
        ready, _, _ = select.select([master], [], [], 0.01)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            received += chunk
        elif proc.poll() is not None:
            break
    stdout = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, stdout, received.decode()


BAR = re.compile(r"\r *\d+% \[#* *\] +\d+\.\d MiB/s +\d+:\d\d left ")
LAST_BAR = re.compile(r"\r100% \[#{30}\] \d+\.\d s {30}\r?\n")


def test_save_progress_only_on_a_terminal(bigfile, tmp_path):
    out = tmp_path / "p.h5"
    status, stdout, tty = run_with_pty_stderr(["save", bigfile, f"outer={out}:"])
    assert status == 0, tty
    assert stdout.startswith(f"saved outer -> {out}:/outer\n")
    assert LAST_BAR.search(tty), repr(tty)
    assert LAST_BAR.sub("", BAR.sub("", tty)) == "", repr(tty)  # nothing but the bar
    with h5py.File(out, "r") as h:
        np.testing.assert_array_equal(h["outer"][:3, :5], outer_head())
    # --no-progress: nothing on the terminal (not even the final bar, which
    # is printed however short the save); a pipe: nothing either.
    assert_ok(define(bigfile, "small", "x * 2"))
    status, stdout, tty = run_with_pty_stderr(["save", "--no-progress", bigfile, f"small={out}:"])
    assert (status, tty) == (0, "")
    assert stdout.startswith(f"saved small -> {out}:/small\n")
    status, _, tty = run_with_pty_stderr(["save", "--overwrite", bigfile, f"small={out}:"])
    assert status == 0 and LAST_BAR.fullmatch(tty), repr(tty)
    proc = assert_ok(run_h5lazy("save", "--overwrite", bigfile, f"small={out}:"))
    assert proc.stderr == ""
    np.testing.assert_array_equal(read(out, "small"), np.linspace(0, 1, 5000) * 2)


def test_save_progress_not_complete_when_interrupted(bigfile, tmp_path):
    """Regression (fixed): on a terminal, an interrupted (or failed) save still ends with
    the full bar "100% [####...] 0.3 s" after "interrupted; the datasets
    being saved were not stored" (lzc_progress_end runs whatever the
    status). Reproduce: h5lazy save big.h5 outer=o.h5: in a terminal, Ctrl-C."""
    out = tmp_path / "i.h5"
    status, _, tty = run_with_pty_stderr(["save", bigfile, f"outer={out}:"],
                                         interrupt_after=(out, 20 << 20))
    assert status == 130
    assert "interrupted; the datasets being saved were not stored" in tty
    assert "100%" not in tty, repr(tty)


def rchar_of(args):
    """Exit status and bytes read (rchar of /proc/PID/io) of an h5lazy run,
    read from the finished process before it is reaped."""
    proc = subprocess.Popen([H5LAZY, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    with open(f"/proc/{proc.pid}/io") as io:
        counters = dict(line.split(": ") for line in io.read().splitlines())
    proc.communicate()
    return proc.returncode, int(counters["rchar"])


def test_save_reads_a_shared_operand_once(tmp_path):
    """mean and std of one 16 MB input saved together read it once: about
    the bytes of saving one of them, half of saving them in two runs."""
    f = tmp_path / "io.h5"
    t = np.random.default_rng(1).random((200, 100, 100))
    write_dataset(f, "t", t, chunks=(50, 50, 50))
    assert_ok(define(f, "m", "mean(t, axis=0)"))
    assert_ok(define(f, "s", "std(t, axis=0)"))
    runs = {}
    for key, names, out in [("m", ["m"], "o1.h5"), ("s", ["s"], "o2.h5"), ("both", ["m", "s"], "o3.h5")]:
        targets = [f"{n}={tmp_path / out}:" for n in names]
        status, runs[key] = rchar_of(["save", "--no-progress", f, *targets])
        assert status == 0
    assert runs["m"] >= t.nbytes and runs["s"] >= t.nbytes  # the input, at least once
    assert runs["both"] <= 1.05 * max(runs["m"], runs["s"]), runs
    assert runs["both"] < 0.6 * (runs["m"] + runs["s"]), runs
    assert_saved(tmp_path / "o3.h5", "m", t.mean(axis=0))
    assert_saved(tmp_path / "o3.h5", "s", t.std(axis=0), rtol=1e-10)


# ---------------------------------------------------------------------------
# help texts


def long_options():
    """{subcommand: [long option names]} from the getopt tables of the
    command's sources (with lzc.h's LZC_WRITE_OPTIONS, which save and eval
    share, expanded): the options each subcommand accepts."""
    shared = re.search(r"#define LZC_WRITE_OPTIONS(.*?)\n\n", (REPO / "h5tools" / "lzc.h").read_text(), re.S)
    found = {}
    for src in sorted((REPO / "h5tools").glob("lzc_*.c")):
        text = src.read_text().replace("LZC_WRITE_OPTIONS,", shared.group(1).replace("\\\n", "\n"))
        for m in re.finditer(r"lzc_(\w+)_main\(int argc.*?options\[\] = \{(.*?)\};", text, re.S):
            found[m.group(1)] = re.findall(r'\{"([\w-]+)",', m.group(2))
    return found


def test_help_of_every_subcommand_mentions_every_option():
    options = long_options()
    assert sorted(options) == ["check", "define", "eval", "save", "show"]
    for command, names in options.items():
        proc = assert_ok(run_h5lazy(command, "--help"))
        assert proc.stderr == ""
        assert proc.stdout.startswith(f"usage: h5lazy {command} [options] FILE")
        shown = set(re.findall(r"^\s+(?:-\w, )?--([\w-]+)", proc.stdout, re.M))
        assert shown == set(names), (command, shown ^ set(names))
        assert run_h5lazy(command, "-h").stdout == proc.stdout
    top = assert_ok(run_h5lazy("--help")).stdout
    for command in options:
        assert re.search(rf"^  {command} FILE", top, re.M), command
