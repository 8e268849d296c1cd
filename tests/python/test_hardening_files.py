"""Hostile files (issue 7, part 1): placeholders crafted by hand with h5py,
without the connector, as whoever wrote a file we are asked to read could
craft them — impossible shapes, hostile chunk hints, definitions nested and
long up to and past the limits, cycles, operands that are not datasets or
changed since the definition, operand files outside the directory under the
connector's files=below and files=none, stored formats from the future and
definition attributes of the wrong type.

Every read runs in a child h5py process under an address space limit of
1 GiB (hardening.LIMIT_AS; not under AddressSanitizer, which needs more)
and a timeout, and must end in the expected values or a clear error: the
exact text h5py shows, and h5lazy's frame in `h5dump --enable-error-stack`,
with h5dump exiting 1, not dying of a signal.

The tests after "what once went wrong" each keep a defect the hardening
work found (a crash, a hang, wrong or lost messages) from coming back.
"""
import numpy as np
import pytest

pytest.register_assert_rewrite("hardening")
from hardening import (ASAN, LIMIT_AS, SLOW, assert_no_crash, build_natively, env_connector,  # noqa: E402
                       env_native, h5dump_stack, h5lazy_bin, h5lazy_frames, hdf5_bin, read_in_child, read_one,
                       run)

pytest_plugins = ["hardening"]

A = np.arange(12.0).reshape(3, 4)
READ = "Can't synchronously read data"
BIG = 2**62
STALE = ("'/v' was defined as {want}, but its expression now gives {got}: an operand changed since "
         "the definition (redefine it with h5lazy define --overwrite)")
NOT_COMPUTABLE = "h5lazy computes with bool, int8..int64, uint8..uint64, float32 and float64"


def stale(want, got):
    return STALE.format(want=want, got=got)


SAME = object()


def c(case_id, build, sel="[()]", value=None, error=None, h5py_text=SAME, frame=None, exc="OSError",
      dataset="v", chunks=None, h5dump_reads=True):
    """One hostile case. build: Python run in the new file (f, with /a =
    arange(12).reshape(3, 4) already there). value: the expected result of
    reading sel (numpy-comparable); or error: the text of h5lazy's frame,
    which h5py shows as f"{READ} ({error})" unless h5py_text says otherwise
    (None: not checked here, see the test that covers it). frame: the
    h5lazy frame h5dump must show, by default the error itself;
    h5dump_reads=False: h5dump does not read this dataset at all."""
    return dict(id=case_id, build=build, sel=sel, value=value, error=error,
                h5py_text=error if h5py_text is SAME else h5py_text, frame=frame or error, exc=exc,
                dataset=dataset, chunks=chunks, h5dump_reads=h5dump_reads)


CASES = [
    # --- shapes: the placeholder against the expression ---------------------
    # h5dump's element count of 2**124 overflows: it reads nothing
    c("huge_placeholder", "placeholder(f, 'v', (2**62, 2**62), 'f8', 'a * 2', chunks=(1, 1))", sel="[0, 0]",
      error=stale(f"float64 ({BIG}, {BIG})", "float64 (3, 4)"), h5dump_reads=False),
    c("huge_ok", "placeholder(f, 'v', (2**62, 2**62), 'f8', 'broadcast_to(a[1, 2], (2**62, 2**62))', "
      "chunks=(1, 1))", sel="[2**61, 0:3]", value=[6.0, 6.0, 6.0]),
    c("huge_strided", "placeholder(f, 'v', (2**62, 2**62), 'f8', 'broadcast_to(a[1, 2], (2**62, 2**62))', "
      "chunks=None)", sel="[7, ::2**60]", value=[6.0] * 4),
    # more than 2**63 elements in all: only the part read matters
    c("elements_overflow", "placeholder(f, 'v', (2**62, 2**62, 4), 'f8', 'broadcast_to(a[2], (2**62, 2**62, 4))', "
      "chunks=None)", sel="[5, 6, :]", value=A[2]),
    # h5dump reads nothing of an empty dataset
    c("zero_vs_full", "placeholder(f, 'v', (0, 4), 'f8', 'a')", error=stale("float64 (0, 4)", "float64 (3, 4)"),
      h5dump_reads=False),
    c("zero_ok", "placeholder(f, 'v', (0, 4), 'f8', 'a[0:0]')", value=np.zeros((0, 4))),
    c("scalar_vs_array", "placeholder(f, 'v', (), 'f8', 'a')", error=stale("float64 ()", "float64 (3, 4)")),
    c("array_vs_scalar", "placeholder(f, 'v', (1,), 'f8', 'sum(a)')", error=stale("float64 (1,)", "float64 ()")),
    c("negative_in_expression", "placeholder(f, 'v', (3, 4), 'f8', 'broadcast_to(a, (-1, 4))')",
      error="cannot evaluate '/v': all elements of broadcast shape must be non-negative (at line 1, column 17 "
            "of \"broadcast_to(a, (-1, 4))\")"),
    c("shape_too_large_in_expression", "placeholder(f, 'v', (3,), 'f8', 'broadcast_to(a[0, 0], (2**63,))')",
      error="cannot evaluate '/v': shape is too large (at line 1, column 25 of \"broadcast_to(a[0, 0], "
            "(2**63,))\")"),
    c("rank_32", "placeholder(f, 'v', (1,) * 32, 'f8', 'a[1, 1][' + ', '.join(['None'] * 32) + ']')",
      sel="[(0,) * 32]", value=5.0),
    c("rank_33", "placeholder(f, 'v', (1,) * 32, 'f8', 'a[1, 1][' + ', '.join(['None'] * 33) + ']')",
      error="cannot evaluate '/v': the result has more than 32 axes (at line 1, column 1 of \"a[1, 1]["
            + ", ".join(["None"] * 33) + "]\")"),
    # --- the placeholder's own type ---------------------------------------------
    c("type_changed", "placeholder(f, 'v', (3, 4), 'i4', 'a')", error=stale("int32 (3, 4)", "float64 (3, 4)")),
    c("compound_placeholder", "placeholder(f, 'v', (3, 4), [('x', 'f8'), ('y', 'i4')], 'a')",
      error="placeholder of '/v' has a compound type as its type"),
    c("string_placeholder", "placeholder(f, 'v', (3, 4), 'S4', 'a')",
      error="placeholder of '/v' has a string as its type"),
    c("float16_placeholder", "placeholder(f, 'v', (3, 4), 'f2', 'a')",
      error="placeholder of '/v' has a float that is not IEEE float32 or float64 as its type"),
    c("big_endian_placeholder", "placeholder(f, 'v', (3, 4), '>f8', 'a * 2')", value=A * 2),
    # --- h5lazy_chunks: a hint, ignored when unusable ------------------------------
    c("chunks_zero", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=(0, 4))", value=A, chunks=[3, 4]),
    c("chunks_negative", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=(-1, 4))", value=A, chunks=[3, 4]),
    c("chunks_wrong_rank", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=(3, 4, 1))", value=A, chunks=[3, 4]),
    c("chunks_2d", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=np.array([[3, 4], [1, 1]]))", value=A,
      chunks=[3, 4]),
    c("chunks_33_entries", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=np.ones(33, np.int64))", value=A,
      chunks=[3, 4]),
    c("chunks_empty", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=np.zeros(0, np.int64))", value=A,
      chunks=[3, 4]),
    c("chunks_smaller", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=(1, 2))", value=A, chunks=[1, 2]),
    c("chunks_float", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=np.array([1.9, 2.2]))", value=A,
      chunks=[3, 4]),
    c("chunks_string", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=None)\n"
      "f['v'].attrs['h5lazy_chunks'] = '3,4'", value=A, chunks=[3, 4]),
    c("chunks_larger_than_shape", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=(1000, 2))", value=A,
      chunks=[3, 2]),
    c("chunks_2_32", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=(2**40, 2**40))", value=A, chunks=[3, 4]),
    c("chunks_2_63_unsigned", "placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=np.array([2**63, 1], np.uint64))",
      value=A, chunks=[3, 1]),
    # --- h5lazy_format ------------------------------------------------------------------
    c("format_2", "placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=2)", value=A),
    c("format_3", "placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=3)",
      error="'/v' was defined with h5lazy stored format 3; this h5lazy reads format 2. Upgrade h5lazy to read it"),
    c("format_3_int64", "placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=np.int64(3))",
      error="'/v' was defined with h5lazy stored format 3; this h5lazy reads format 2. Upgrade h5lazy to read it"),
    c("format_huge", "placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=np.int64(2**40))",
      error="'/v' was defined with h5lazy stored format 2147483647; this h5lazy reads format 2. "
            "Upgrade h5lazy to read it"),
    c("format_float", "placeholder(f, 'v', (3, 4), 'f8', 'a * 3', fmt=np.float64(1.0))",
      error="the definition of '/v' cannot be read: attribute h5lazy_format is not an integer"),
    c("format_string", "placeholder(f, 'v', (3, 4), 'f8', 'a', fmt='1')",
      error="the definition of '/v' cannot be read: attribute h5lazy_format is not an integer"),
    c("format_missing", "placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=None)",
      error="the definition of '/v' cannot be read: attribute h5lazy_format is missing"),
    c("format_0", "placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=0)",
      error="'/v' has h5lazy_format 0, which is not a valid h5lazy stored format (they start at 1)"),
    c("format_array", "placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=np.ones(10000, np.int32))",
      error="the definition of '/v' cannot be read: attribute h5lazy_format holds 10000 values, not one"),
    # --- h5lazy_expression of every wrong kind -----------------------------------------
    c("expression_int", "placeholder(f, 'v', (3, 4), 'f8', 5)",
      error="the definition of '/v' cannot be read: attribute h5lazy_expression is not a string"),
    c("expression_vlen_int", "placeholder(f, 'v', (3, 4), 'f8', None)\n"
      "x = np.empty(1, object); x[0] = np.arange(3, dtype=np.int32)\n"
      "f['v'].attrs.create('h5lazy_expression', x, dtype=h5py.vlen_dtype(np.int32))",
      error="the definition of '/v' cannot be read: attribute h5lazy_expression is not a string"),
    c("expression_array", "placeholder(f, 'v', (3, 4), 'f8', ['a'] * 1000)",
      error="the definition of '/v' cannot be read: attribute h5lazy_expression holds 1000 values, not one"),
    c("expression_fixed_length", "placeholder(f, 'v', (3, 4), 'f8', np.bytes_(b'a * 2'))", value=A * 2),
    # A fixed-length string ends at its first NUL (C string semantics).
    c("expression_fixed_nul", "placeholder(f, 'v', (3, 4), 'f8', np.bytes_(b'a * 2\\0 + 1000'))", value=A * 2),
    c("expression_ascii", "placeholder(f, 'v', (3, 4), 'f8', None)\n"
      "f['v'].attrs.create('h5lazy_expression', 'a - 1', dtype=h5py.string_dtype('ascii'))", value=A - 1),
    c("expression_empty", "placeholder(f, 'v', (3, 4), 'f8', '')",
      error="the definition of '/v': expression is empty (at line 1, column 1 of \"\")"),
    c("expression_comment_only", "placeholder(f, 'v', (3, 4), 'f8', '  \\n# nothing')",
      error="the definition of '/v': expression is empty (at line 2, column 10 of \"  \\n# nothing\")"),
    c("expression_null_dataspace", "placeholder(f, 'v', (3, 4), 'f8', None)\n"
      "f['v'].attrs.create('h5lazy_expression', h5py.Empty(h5py.string_dtype()))",
      error="the definition of '/v' cannot be read: attribute h5lazy_expression holds 0 values, not one"),
    c("expression_missing", "placeholder(f, 'v', (3, 4), 'f8', None)",
      h5py_text="unable to open external raw data file", error=None, frame=None),
    c("expression_syntax", "placeholder(f, 'v', (3, 4), 'f8', 'a +* 2')",
      error="the definition of '/v': expected an operand, a number or '(' but found '*' (at line 1, column 4 "
            "of \"a +* 2\")"),
    # --- limits, just under and just over --------------------------------------------
    c("length_65536", "placeholder(f, 'v', (3, 4), 'f8', 'a' + ' ' * 65535)", value=A),
    c("length_65537", "placeholder(f, 'v', (3, 4), 'f8', 'a' + ' ' * 65536)",
      error="the definition of '/v': expression is 65537 bytes long; the limit is 65536"),
    c("length_1mib", "placeholder(f, 'v', (3, 4), 'f8', '(' * 2**19 + 'a' + ')' * 2**19)",
      error="the definition of '/v': expression is 1048577 bytes long; the limit is 65536"),
    c("depth_199", "placeholder(f, 'v', (3, 4), 'f8', '-' * 199 + 'a')", value=-A),
    c("depth_201", "placeholder(f, 'v', (3, 4), 'f8', '-' * 201 + 'a')",
      error="the definition of '/v': expression nests deeper than 200 levels (at line 1, column 201 of \""
            + "-" * 201 + "a\")"),
    c("parentheses_30000", "placeholder(f, 'v', (3, 4), 'f8', '(' * 30000 + 'a' + ')' * 30000)",
      error=None, h5py_text=None, frame=None, exc="OSError"),
    c("operands_256", "for k in range(256): f[f'd{k}'] = np.full(2, k, np.int64)\n"
      "placeholder(f, 'v', (2,), 'i8', ' + '.join(f'd{k}' for k in range(256)))", value=[32640, 32640]),
    c("operands_257", "for k in range(257): f[f'd{k}'] = np.full(2, k, np.int64)\n"
      "placeholder(f, 'v', (2,), 'i8', ' + '.join(f'd{k}' for k in range(257)))",
      error=None, h5py_text=None, frame=None),
    # --- cycles ---------------------------------------------------------------------------
    c("cycle_self", "placeholder(f, 'v', (3, 4), 'f8', 'v + 1')",
      error="cannot evaluate '/v': operand 'v' leads back to itself: the virtual datasets form a cycle "
            "(/v <- /v) (at line 1, column 1 of \"v + 1\")"),
    c("cycle_2", "placeholder(f, 'v', (3, 4), 'f8', 'w + 1'); placeholder(f, 'w', (3, 4), 'f8', 'v * 2')",
      error="cannot evaluate '/w': operand 'v' leads back to itself: the virtual datasets form a cycle "
            "(/v <- /w <- /v) (at line 1, column 1 of \"v * 2\")"),
    c("cycle_3", "placeholder(f, 'v', (3, 4), 'f8', 'x + 1'); placeholder(f, 'x', (3, 4), 'f8', 'y + 1')\n"
      "placeholder(f, 'y', (3, 4), 'f8', 'v + 1')",
      error="cannot evaluate '/y': operand 'v' leads back to itself: the virtual datasets form a cycle "
            "(/v <- /y <- /x <- /v) (at line 1, column 1 of \"v + 1\")"),
    c("cycle_through_own_file_name", "placeholder(f, 'v', (3, 4), 'f8', 'ds(\"cycle_through_own_file_name.h5\", "
      "\"/v\") + 1')",
      error="cannot evaluate '/v': operand 'cycle_through_own_file_name.h5:/v' leads back to itself: the virtual "
            "datasets form a cycle (/v <- /v) (at line 1, column 1 of \"ds(\"cycle_through_own_file_name.h5\", "
            "\"/v\") + 1\")"),
    c("cycle_through_other_file", "placeholder(f, 'v', (3, 4), 'f8', 'ds(\"cycle_other.h5\", \"/w\") + 1')\n"
      "with h5py.File('cycle_other.h5', 'w') as g:\n"
      "    placeholder(g, 'w', (3, 4), 'f8', 'ds(\"cycle_through_other_file.h5\", \"/v\") * 2')",
      error="cannot evaluate '/w': operand 'cycle_through_other_file.h5:/v' leads back to itself: the virtual "
            "datasets form a cycle (/v <- /w <- /v) (at line 1, column 1 of \"ds(\"cycle_through_other_file.h5\", "
            "\"/v\") * 2\")"),
    c("cycle_through_hard_link", "placeholder(f, 'v', (3, 4), 'f8', 'alias + 1'); f['alias'] = f['v']",
      error=None, h5py_text=None, frame=None),
    c("nesting_32", "for k in range(32): placeholder(f, f'n{k}', (3, 4), 'f8', (f'n{k - 1}' if k else 'a') + ' + 1')\n"
      "f['v'] = f['n31']", value=A + 32),
    c("nesting_33", "for k in range(33): placeholder(f, f'n{k}', (3, 4), 'f8', (f'n{k - 1}' if k else 'a') + ' + 1')",
      dataset="n32", exc="RuntimeError",
      error="cannot evaluate '/n32': operand 'n31' is a virtual dataset that cannot be evaluated (see the "
            "cause below) (at line 1, column 1 of \"n31 + 1\")",
      h5py_text="Cannot evaluate '/n32': operand 'n31' is a virtual dataset that cannot be evaluated (see the "
                "cause below) (at line 1, column 1 of \"n31 + 1\") (cannot evaluate '/n1': virtual datasets nest "
                "deeper than 32 at operand 'n0' (at line 1, column 1 of \"n0 + 1\"))"),
    c("diamond", "placeholder(f, 'p', (3, 4), 'f8', 'a + 1'); placeholder(f, 'q', (3, 4), 'f8', 'p * 2')\n"
      "placeholder(f, 'v', (3, 4), 'f8', 'p + q + ds(\"/p\")')", value=(A + 1) * 4),
    # --- operands that are not datasets ------------------------------------------------------
    c("operand_group", "f.create_group('grp'); placeholder(f, 'v', (3, 4), 'f8', 'grp + 1')",
      error="cannot evaluate '/v': operand 'grp' of '/v' is not a dataset (looked for '/grp') (at line 1, "
            "column 1 of \"grp + 1\")", h5py_text=None),
    c("operand_named_type", "f['dt'] = np.dtype('f8'); placeholder(f, 'v', (3, 4), 'f8', 'dt + 1')",
      error="cannot evaluate '/v': operand 'dt' of '/v' is not a dataset (looked for '/dt') (at line 1, "
            "column 1 of \"dt + 1\")", h5py_text=None),
    c("operand_dangling_soft_link", "f['soft'] = h5py.SoftLink('/nowhere'); placeholder(f, 'v', (3, 4), 'f8', 'soft + 1')",
      error="cannot evaluate '/v': operand 'soft' of '/v' is not a dataset (looked for '/soft') (at line 1, "
            "column 1 of \"soft + 1\")", h5py_text=None),
    c("operand_external_link_to_missing_file",
      "f['ext'] = h5py.ExternalLink('missing.h5', '/a'); placeholder(f, 'v', (3, 4), 'f8', 'ext + 1')",
      error="cannot evaluate '/v': operand 'ext' of '/v' is not a dataset (looked for '/ext') (at line 1, "
            "column 1 of \"ext + 1\")", h5py_text=None),
    c("operand_soft_link_to_dataset", "f['soft'] = h5py.SoftLink('/a'); placeholder(f, 'v', (3, 4), 'f8', 'soft * 4')",
      value=A * 4),
    c("operand_missing_file", "placeholder(f, 'v', (3, 4), 'f8', 'ds(\"nope.h5\", \"/a\")')",
      error="cannot evaluate '/v': operand file 'nope.h5' of '/v' cannot be opened (looked for '<root>/nope.h5') "
            "(at line 1, column 1 of \"ds(\"nope.h5\", \"/a\")\")"),
    c("operand_not_hdf5", "open('text.h5', 'w').write('not hdf5')\n"
      "placeholder(f, 'v', (3, 4), 'f8', 'ds(\"text.h5\", \"/a\")')",
      error="cannot evaluate '/v': operand file 'text.h5' of '/v' cannot be opened (looked for '<root>/text.h5') "
            "(at line 1, column 1 of \"ds(\"text.h5\", \"/a\")\")"),
    c("operand_is_a_directory", "os.makedirs('dir.h5', exist_ok=True)\n"
      "placeholder(f, 'v', (3, 4), 'f8', 'ds(\"dir.h5\", \"/a\")')",
      error="cannot evaluate '/v': operand file 'dir.h5' of '/v' cannot be opened (looked for '<root>/dir.h5') "
            "(at line 1, column 1 of \"ds(\"dir.h5\", \"/a\")\")"),
] + [
    c(f"operand_{kind}", f"f['x'] = {data}; placeholder(f, 'v', (4,), 'f8', 'x + 1')",
      error=f"cannot evaluate '/v': operand 'x' is {what}; {NOT_COMPUTABLE} (at line 1, column 1 of \"x + 1\")")
    for kind, data, what in [
        ("fixed_string", "np.array([b'x'] * 4)", "a string"),
        ("vlen_string", "np.array(['a', 'b', 'c', 'd'], dtype=object)", "a string"),
        ("complex", "np.zeros(4, np.complex64)", "a compound type"),
        ("float16", "np.zeros(4, np.float16)", "a float that is not IEEE float32 or float64"),
        ("enum", "np.zeros(4, dtype=h5py.enum_dtype({'A': 0, 'B': 1, 'C': 2}, basetype='i1'))",
         "an enum that is not h5py's bool"),
        ("reference", "np.array([f['a'].ref] * 4, dtype=h5py.ref_dtype)", "a type h5lazy cannot compute with"),
        ("opaque", "np.zeros(4, dtype='V2')", "a type h5lazy cannot compute with"),
    ]
] + [
    c("operand_null_dataspace", "f.create_dataset('x', data=h5py.Empty('f8')); placeholder(f, 'v', (4,), 'f8', 'x + 1')",
      error="cannot evaluate '/v': operand 'x' has a null dataspace (no elements) (at line 1, column 1 of \"x + 1\")"),
    c("operand_array_type", "h5py.h5d.create(f.id, b'x', h5py.h5t.array_create(h5py.h5t.IEEE_F64LE, (2,)), "
      "h5py.h5s.create_simple((4,))); placeholder(f, 'v', (4,), 'f8', 'x + 1')",
      error=f"cannot evaluate '/v': operand 'x' is a type h5lazy cannot compute with; {NOT_COMPUTABLE} "
            "(at line 1, column 1 of \"x + 1\")"),
    # h5py stores a numpy subarray type as extra axes: a shape change
    c("operand_subarray_axes", "f['x'] = np.zeros(4, dtype=np.dtype(('f8', (2,)))); "
      "placeholder(f, 'v', (4,), 'f8', 'x + 1')", error=stale("float64 (4,)", "float64 (4, 2)")),
    # --- operands changed since the definition ------------------------------------------------
    c("operand_shape_changed", "placeholder(f, 'v', (3, 4), 'f8', 'b * 2'); f['b'] = np.zeros((4, 3))",
      error=stale("float64 (3, 4)", "float64 (4, 3)")),
    c("operand_type_changed", "placeholder(f, 'v', (3, 4), 'i4', 'b * 2'); f['b'] = np.zeros((3, 4), np.int64)",
      error=stale("int32 (3, 4)", "int64 (3, 4)")),
    c("operand_rank_changed", "placeholder(f, 'v', (3, 4), 'f8', 'b - a'); f['b'] = np.zeros((2, 3, 4))",
      error=stale("float64 (3, 4)", "float64 (2, 3, 4)")),
    c("operand_now_broadcasts_differently", "placeholder(f, 'v', (3, 4), 'f8', 'a + b'); f['b'] = np.zeros(5)",
      error="cannot evaluate '/v': operands could not be broadcast together with shapes (3, 4) (5,) (at line 1, "
            "column 3 of \"a + b\")"),
    c("operand_deleted", "placeholder(f, 'v', (3, 4), 'f8', 'gone + 1')",
      error="cannot evaluate '/v': operand 'gone' of '/v' is not a dataset (looked for '/gone') (at line 1, "
            "column 1 of \"gone + 1\")", h5py_text=None),
    c("operand_index_now_out_of_range", "placeholder(f, 'v', (), 'f8', 'b[7]'); f['b'] = np.zeros(5)",
      error="cannot evaluate '/v': index 7 is out of bounds for axis 0 with size 5 (at line 1, column 3 of "
            "\"b[7]\")"),
]

IDS = [case["id"] for case in CASES]
assert len(IDS) == len(set(IDS))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, sources):
    """Every case in its own file (cycle_other.h5 aside), built natively in
    one child; then every read in as few children as crashes allow."""
    root = tmp_path_factory.mktemp("hostile")
    script = ["A = np.arange(12.0).reshape(3, 4)"]
    for case in CASES:
        script.append(f"with h5py.File({case['id'] + '.h5'!r}, 'w') as f:")
        script.append("    f['a'] = A")
        script.extend("    " + line for line in case["build"].split("\n"))
    build_natively(root, "\n".join(script) + "\n")
    sources.add_tree(root)
    reads = [{"id": case["id"], "file": str(root / f"{case['id']}.h5"), "dataset": case["dataset"],
              "sel": case["sel"], "chunks": case["chunks"] is not None} for case in CASES]
    return root, read_in_child(reads, timeout=120)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hostile_read_through_h5py(hostile, case):
    root, results = hostile
    r = results[case["id"]]
    assert "crashed" not in r and "timeout" not in r, f"{case['id']}: {r}"
    assert r["seconds"] < 10 * SLOW, f"{case['id']} took {r['seconds']:.1f} s"
    if case["value"] is not None:
        assert r["ok"], f"{case['id']}: {r.get('type')}: {r.get('message')}"
        want = np.asarray(case["value"], dtype=float)
        assert r["value_shape"] == list(want.shape)
        np.testing.assert_array_equal(np.asarray(r["value"], dtype=float), want.ravel()[:64])
        if case["chunks"] is not None:
            assert r["chunks"] == case["chunks"]
        return
    assert not r["ok"], f"{case['id']} read {r.get('value')}, expected an error"
    assert r["type"] == case["exc"], f"{case['id']}: {r['type']}: {r['message']}"
    if case["h5py_text"] is not None:
        want = case["h5py_text"] if case["h5py_text"].startswith("Cannot") else f"{READ} ({case['h5py_text']})"
        assert r["message"] == want.replace("<root>", str(root))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hostile_read_through_h5dump(hostile, case):
    """h5dump reads one element of the datasets that read (all of a scalar
    or an empty one), all of those that fail: h5dump -s/-c exits 0 when the
    read of the subset fails (h5tools_print_simple_subset)."""
    root, results = hostile
    shape = results[case["id"]].get("shape")
    subset = []
    if case["value"] is not None and shape and all(shape):
        subset = ["-s", ",".join(["0"] * len(shape)), "-c", ",".join(["1"] * len(shape))]
    proc = h5dump_stack(root / f"{case['id']}.h5", "/" + case["dataset"], *subset)
    assert_no_crash(proc)
    if case["value"] is not None or not case["h5dump_reads"]:
        assert proc.returncode == 0, proc.stderr[-3000:]
        return
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "h5dump error: unable to print data" in proc.stderr
    if case["frame"] is not None:
        assert case["frame"].replace("<root>", str(root)) in h5lazy_frames(proc.stderr), proc.stderr[-3000:]


def test_the_limits_just_over_fail_for_the_right_reason(hostile):
    """The three cases whose text is too long to quote in the table."""
    _, results = hostile
    r = results["parentheses_30000"]
    assert r["message"].startswith(f"{READ} (the definition of '/v': expression nests deeper than 200 levels "
                                   "(at line 1, column 201 of \"((((")
    r = results["operands_257"]
    column = " + ".join(f"d{k}" for k in range(257)).index("d256") + 1
    assert r["message"].startswith(f"{READ} (the definition of '/v': expression names more than 256 distinct "
                                   f"operands (at line 1, column {column} of \"d0 + d1 + ")
    r = results["cycle_through_hard_link"]
    # /alias is /v under another name: the chain compares paths, so the
    # cycle shows one step later, as alias <- alias.
    assert r["message"] == (f"{READ} (cannot evaluate '/alias': operand 'alias' leads back to itself: the virtual "
                            "datasets form a cycle (/alias <- /alias <- /v) (at line 1, column 1 of \"alias + 1\"))")


def test_hostile_reads_stay_small(hostile):
    """The child that read every hostile case (ranks up to 32, shapes of
    2**124 elements, 1 MiB of parentheses) stayed far below its limit."""
    _, results = hostile
    if ASAN:
        pytest.skip("RSS is not comparable under AddressSanitizer")
    assert results[None]["maxrss_kib"] * 1024 < LIMIT_AS / 2


def test_hand_made_placeholder_matches_define(tmp_path, sources):
    """placeholder() writes what h5lazy define writes: the same storage
    properties and attributes, byte for byte in h5dump -p -A."""
    build_natively(tmp_path, """
        with h5py.File('made.h5', 'w') as f:
            f['a'] = np.arange(12.0).reshape(3, 4)
            placeholder(f, 'v', (3, 4), 'f8', 'a * 2')
        with h5py.File('defined.h5', 'w') as f:
            f['a'] = np.arange(12.0).reshape(3, 4)
    """)
    proc = run([h5lazy_bin(), "define", tmp_path / "defined.h5", "v", "a * 2"])
    assert proc.returncode == 0, proc.stderr
    sources.add(tmp_path / "made.h5", tmp_path / "defined.h5")
    dumps = [run([hdf5_bin("h5dump"), "-p", "-A", "-d", "/v", tmp_path / name], env=env_native()).stdout
             for name in ("made.h5", "defined.h5")]
    assert dumps[0].replace("made.h5", "X") == dumps[1].replace("defined.h5", "X")
    assert "EXTERNAL" in dumps[0] and "H5D_FILL_TIME_NEVER" in dumps[0]


# ---------------------------------------------------------------------------
# files=below and files=none


@pytest.fixture(scope="module")
def policy(tmp_path_factory, sources):
    """top/t.h5 holds virtual datasets whose operands are here, below,
    above (by ../, by an absolute path, through a symbolic link, through a
    subdirectory and back up), and in files that are themselves reached
    from below; outside/o.h5 is the file they must not reach."""
    root = tmp_path_factory.mktemp("policy").resolve()
    for d in ("top/sub", "outside"):
        (root / d).mkdir(parents=True)
    build_natively(root, f"""
        with h5py.File('outside/o.h5', 'w') as f:
            f['x'] = np.arange(4.0)
        with h5py.File('top/sub/s.h5', 'w') as f:
            f['x'] = np.arange(4.0) * 10
            placeholder(f, 'up', (4,), 'f8', 'ds("../../outside/o.h5", "/x")')
        with h5py.File('top/t.h5', 'w') as f:
            f['x'] = np.arange(4.0) * 100
            placeholder(f, 'same', (4,), 'f8', 'x + 1')
            placeholder(f, 'by_path', (4,), 'f8', 'ds("/x") + 2')
            placeholder(f, 'down', (4,), 'f8', 'ds("sub/s.h5", "/x")')
            placeholder(f, 'dotdot', (4,), 'f8', 'ds("../outside/o.h5", "/x")')
            placeholder(f, 'down_and_up', (4,), 'f8', 'ds("sub/../../outside/o.h5", "/x")')
            placeholder(f, 'absolute', (4,), 'f8', 'ds("{root}/outside/o.h5", "/x")')
            placeholder(f, 'symlink', (4,), 'f8', 'ds("link.h5", "/x")')
            placeholder(f, 'itself', (4,), 'f8', 'ds("t.h5", "/x")')
            placeholder(f, 'nested_up', (4,), 'f8', 'ds("sub/s.h5", "/up")')
            placeholder(f, 'missing', (4,), 'f8', 'ds("sub/none.h5", "/x")')
            f['extlink'] = h5py.ExternalLink('../outside/o.h5', '/x')
            placeholder(f, 'external_link', (4,), 'f8', 'extlink + 1')
            layout = h5py.VirtualLayout(shape=(4,), dtype='f8')
            layout[:] = h5py.VirtualSource('../outside/o.h5', 'x', shape=(4,))
            f.create_virtual_dataset('native_vds', layout)
            placeholder(f, 'over_native_vds', (4,), 'f8', 'native_vds + 1')
        os.symlink('../outside/o.h5', 'top/link.h5')
    """)
    sources.add_tree(root)
    return root


def refused(name, file, policy_name, root, target=None):
    if policy_name == "none":
        why = "the connector's setting files=none allows operands only in the file itself"
    else:
        why = (f"the connector's setting files=below allows only files in '{root}/top' and its subdirectories, "
               f"and it is '{target}'")
    return f"operand file '{file}' of '/{name}' is refused: {why}"


def policy_expectations(root):
    o = f"{root}/outside/o.h5"
    ok = {"same": [1, 101, 201, 301], "by_path": [2, 102, 202, 302], "down": [0, 10, 20, 30],
          "over_native_vds": [1, 2, 3, 4]}
    files = {"down": "sub/s.h5", "dotdot": "../outside/o.h5", "down_and_up": "sub/../../outside/o.h5",
             "absolute": o, "symlink": "link.h5", "itself": "t.h5", "nested_up": "sub/s.h5"}
    exprs = {"dotdot": 'ds("../outside/o.h5", "/x")', "down_and_up": 'ds("sub/../../outside/o.h5", "/x")',
             "absolute": f'ds("{o}", "/x")', "symlink": 'ds("link.h5", "/x")', "itself": 'ds("t.h5", "/x")',
             "down": 'ds("sub/s.h5", "/x")', "nested_up": 'ds("sub/s.h5", "/up")'}
    want = {}
    for policy_name in ("below", "none"):
        for name in ("same", "by_path", "down", "dotdot", "down_and_up", "absolute", "symlink", "itself",
                     "nested_up", "over_native_vds"):
            if name in ok and not (policy_name == "none" and name == "down"):
                want[policy_name, name] = ok[name]
            elif policy_name == "below" and name == "itself":
                want[policy_name, name] = [0, 100, 200, 300]
            elif policy_name == "below" and name == "nested_up":
                # s.h5 is below, but its own operand is above s.h5's directory
                want[policy_name, name] = (
                    f"cannot evaluate '/up': {refused('up', '../../outside/o.h5', 'below', root, o)}"
                    .replace(f"'{root}/top'", f"'{root}/top/sub'")
                    + " (at line 1, column 1 of \"ds(\"../../outside/o.h5\", \"/x\")\")")
            else:
                want[policy_name, name] = (f"cannot evaluate '/{name}': "
                                           f"{refused(name, files[name], policy_name, root, o)} "
                                           f"(at line 1, column 1 of \"{exprs[name]}\")")
    return want


@pytest.mark.parametrize("policy_name", ["below", "none"])
def test_files_policy(policy, policy_name):
    """Operands in other files under files=below and files=none: '../',
    an absolute path, 'sub/../../', a symbolic link out and a file below
    whose own operand is above it are all refused by below; none refuses
    every other file, the holding file named by its own name included.
    HDF5's own virtual datasets (native_vds) are HDF5's: their sources are
    not h5lazy operands and are read as HDF5 reads them."""
    want = policy_expectations(policy)
    names = sorted({n for p, n in want if p == policy_name})
    reads = [{"id": n, "file": str(policy / "top/t.h5"), "dataset": n, "sel": "[:]"} for n in names]
    results = read_in_child(reads, env=env_connector(f"files={policy_name}"))
    for name in names:
        r, w = results[name], want[policy_name, name]
        if isinstance(w, list):
            assert r["ok"] and r["value"] == w, f"{name}: {r}"
        else:
            assert not r["ok"] and r["message"] == f"{READ} ({w})", f"{name}:\n got  {r['message']}\n want {w}"


def test_files_policy_missing_file_below(policy):
    r = read_one(policy / "top/t.h5", "missing", "[:]", env=env_connector("files=below"))
    assert r["message"] == (f"{READ} (cannot evaluate '/missing': operand file 'sub/none.h5' of '/missing' cannot "
                            f"be opened (looked for '{policy}/top/sub/none.h5') (at line 1, column 1 of "
                            "\"ds(\"sub/none.h5\", \"/x\")\"))")


def test_files_policy_anywhere_reads_everything(policy):
    names = ["dotdot", "down_and_up", "absolute", "symlink", "nested_up", "external_link"]
    reads = [{"id": n, "file": str(policy / "top/t.h5"), "dataset": n, "sel": "[:]"} for n in names]
    results = read_in_child(reads, env=env_connector("files=anywhere"))
    for n in names:
        assert results[n]["ok"], results[n]
        assert results[n]["value"] == ([1, 2, 3, 4] if n == "external_link" else [0, 1, 2, 3])


def test_files_policy_applies_to_external_links(policy):
    """files=none and files=below also judge the file a link leads to: an
    external link in the file (/extlink -> ../outside/o.h5:/x) used as an
    operand is refused, naming the file reached, as ds("../outside/o.h5",
    "/x") is (the policy once checked only ds("file", ...) operands)."""
    for policy_name in ("none", "below"):
        r = read_one(policy / "top/t.h5", "external_link", "[:]", env=env_connector(f"files={policy_name}"))
        assert not r["ok"], f"files={policy_name}: read {r['value']} from outside/o.h5 through an external link"
        assert "o.h5" in r["message"] and f"files={policy_name}" in r["message"]


# ---------------------------------------------------------------------------
# what once went wrong


def hostile_file(tmp_path, sources, build, name="h.h5", register=True):
    """A file with /a = arange(12).reshape(3, 4) and what `build` (Python,
    with the file as f) adds, written natively; registered as a source
    unless the test writes to it first."""
    lines = [f"with h5py.File({name!r}, 'w') as f:", "    f['a'] = np.arange(12.0).reshape(3, 4)"]
    lines += ["    " + line for line in build.strip().split("\n") if line.strip()]
    build_natively(tmp_path, "\n".join(lines) + "\n")
    if register:
        sources.add(tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("kind,build", [
    ("variable_length_2", "placeholder(f, 'v', (3, 4), 'f8', ['a', 'a * 2'])"),
    ("variable_length_1000", "placeholder(f, 'v', (3, 4), 'f8', ['a'] * 1000)"),
    ("fixed_length_5000", "placeholder(f, 'v', (3, 4), 'f8', np.array([b'a+1'] * 5000, dtype='S3'))"),
    ("format_10000", "placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=np.ones(10000, np.int32))"),
], ids=["expression_vlen_2", "expression_vlen_1000", "expression_fixed_5000", "format_10000"])
def test_definition_attribute_that_is_an_array(tmp_path, sources, kind, build):
    """h5lazy_expression or h5lazy_format holding an array instead of one
    value is refused, naming the attribute (the reader once read the whole
    attribute into room for one element: a crash with 1000 elements)."""
    path = hostile_file(tmp_path, sources, build)
    r = read_one(path, "v", "[0]")
    assert "crashed" not in r, f"h5py reader died of {r['crashed']} opening the dataset"
    assert not r["ok"], f"read {r['value']} from a definition with an array attribute"
    assert "h5lazy_expression" in r["message"] or "h5lazy_format" in r["message"], r["message"]
    proc = h5dump_stack(path, "/v")
    assert_no_crash(proc)


def test_non_utf8_expression_is_escaped_in_the_message(tmp_path, sources):
    """An expression with bytes that are not UTF-8 is quoted with those bytes
    escaped (\xff), so h5py can decode the message (it once raised an
    OSError with no text at all)."""
    path = hostile_file(tmp_path, sources, """
placeholder(f, 'v', (3, 4), 'f8', None)
f['v'].attrs.create('h5lazy_expression', b'a + \\xff\\xfe', dtype=h5py.string_dtype('ascii'))
placeholder(f, 'u', (3, 4), 'f8', None)
f['u'].attrs.create('h5lazy_expression', b'a + \\xc3(', dtype=h5py.string_dtype('utf-8'))
""")
    proc = h5dump_stack(path, "/v")
    assert proc.returncode == 1
    assert any("unexpected byte 0xff (expressions are ASCII" in f for f in h5lazy_frames(proc.stderr))
    for name, byte in (("v", "0xff"), ("u", "0xc3")):
        r = read_one(path, name, "[0]")
        assert r["type"] == "OSError"
        assert f"unexpected byte {byte}" in r["message"], f"h5py shows {r['message']!r}"


@pytest.mark.parametrize("build,attribute", [
    ("placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=None)", "h5lazy_format"),
    ("placeholder(f, 'v', (3, 4), 'f8', 'a', fmt='1')", "h5lazy_format"),
    ("placeholder(f, 'v', (3, 4), 'f8', 5)", "h5lazy_expression"),
    ("placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=None)\nf['v'].attrs['h5lazy_chunks'] = '3,4'",
     "h5lazy_chunks"),
], ids=["format_missing", "format_string", "expression_int", "chunks_string"])
def test_unreadable_definition_names_the_attribute(tmp_path, sources, build, attribute):
    """A definition attribute that cannot be used is named with the reason
    (missing, not an integer, not a string); an unusable h5lazy_chunks, a
    mere hint, is ignored."""
    path = hostile_file(tmp_path, sources, build)
    r = read_one(path, "v", "[0]")
    if attribute == "h5lazy_chunks":
        assert r["ok"], f"an unusable chunk hint made the dataset unreadable: {r['message']}"
    else:
        assert attribute in r["message"], r["message"]


@pytest.mark.parametrize("fmt", [0, -1])
def test_format_below_one_is_invalid_not_newer(tmp_path, sources, fmt):
    """h5lazy_format 0 or -1 is "not a valid h5lazy stored format", not a
    format from the future that an upgrade would read."""
    path = hostile_file(tmp_path, sources, f"placeholder(f, 'v', (3, 4), 'f8', 'a', fmt={fmt})")
    r = read_one(path, "v", "[0]")
    assert not r["ok"]
    assert "Upgrade h5lazy" not in r["message"], r["message"]


def test_internal_failures_print_no_stray_error_stacks(tmp_path, sources):
    """With HDF5's automatic error printing on (h5dump --enable-error-stack,
    every C program by default), a virtual dataset without h5lazy_format,
    one with a missing operand and one with a missing operand file each
    print exactly one stack: the connector's own lookups that may fail run
    without automatic printing, and their failure is reported once, as
    the cause of the call the program made."""
    path = hostile_file(tmp_path, sources, """
placeholder(f, 'v', (3, 4), 'f8', 'a', fmt=None)
placeholder(f, 'w', (3, 4), 'f8', 'nope + 1')
placeholder(f, 'x', (3, 4), 'f8', 'ds("nope.h5", "/a")')
""")
    for name in ("v", "w", "x"):
        proc = h5dump_stack(path, "/" + name)
        assert proc.returncode == 1
        assert proc.stderr.count("HDF5-DIAG: Error detected in HDF5") == 1, (
            f"/{name}: {proc.stderr.count('HDF5-DIAG: Error detected in HDF5')} HDF5 stacks:\n{proc.stderr}")


@pytest.mark.parametrize("operand", ["group", "dangling_soft_link", "external_link", "named_type", "deleted"])
def test_h5py_message_names_the_operand(tmp_path, sources, operand):
    """For an operand that cannot be opened (a group, a dangling link, an
    external link to a missing file, a named type, a deleted dataset),
    h5py's message names the operand and the virtual dataset."""
    build = {"group": "f.create_group('x')", "dangling_soft_link": "f['x'] = h5py.SoftLink('/nowhere')",
             "external_link": "f['x'] = h5py.ExternalLink('missing.h5', '/a')",
             "named_type": "f['x'] = np.dtype('f8')", "deleted": ""}[operand]
    path = hostile_file(tmp_path, sources, build + "\nplaceholder(f, 'v', (3, 4), 'f8', 'a + x')")
    r = read_one(path, "v", "[0]")
    assert not r["ok"]
    assert "operand 'x' of '/v'" in r["message"], f"h5py shows {r['message']!r}"


def test_chunk_extent_of_2_32_is_ignored_or_refused(tmp_path, sources):
    """A hint of 2**32 or more per axis, which HDF5 cannot take as a chunk,
    is ignored by the reader (the dataset presents its default chunks) and
    refused by `h5lazy define --chunks`."""
    path = hostile_file(tmp_path, sources, """
placeholder(f, 'v', (3, 4), 'f8', 'a', chunks=(2**40, 2**40))
placeholder(f, 'w', (3, 4), 'f8', 'a', chunks=None)
f['w'].attrs.create('h5lazy_chunks', np.array([2**63, 4], np.uint64))
""")
    results = read_in_child([{"id": n, "file": str(path), "dataset": n, "sel": "[0]", "chunks": True}
                             for n in ("v", "w")])
    problems = [f"{n}: {results[n].get('message')}" for n in ("v", "w") if not results[n]["ok"]]
    proc = run([hdf5_bin("h5dump"), "-p", "-H", path])
    if proc.returncode:
        problems.append(f"h5dump -p: {proc.stdout.splitlines()[0] if proc.stdout else proc.stderr[:200]}")
    defined = tmp_path / "defined.h5"
    build_natively(tmp_path, "with h5py.File('defined.h5', 'w') as f: f['a'] = np.arange(12.0).reshape(3, 4)")
    for chunks in ("4294967296,1", "99999999999999999999,1"):
        proc = run([h5lazy_bin(), "define", "--chunks", chunks, defined, f"c{len(chunks)}", "a"])
        if proc.returncode == 0:
            problems.append(f"define --chunks {chunks} accepted: {proc.stdout.strip()}")
    assert not problems, "\n".join(problems)


def test_chunks_larger_than_the_shape_are_clipped_or_refused(tmp_path, sources):
    """`h5lazy define --chunks 1000,1000` over a (3, 4) result is refused, and
    a hand-made hint larger than the shape is presented clipped to it:
    HDF5 never makes such a dataset, and copies with chunks=src.chunks
    would fail."""
    path = hostile_file(tmp_path, sources, "placeholder(f, 'w', (3, 4), 'f8', 'a', chunks=(1000, 1000))",
                        register=False)
    proc = run([h5lazy_bin(), "define", "--chunks", "1000,1000", path, "v", "a"])
    sources.add(path)
    reads = [{"id": n, "file": str(path), "dataset": n, "sel": "[0]", "chunks": True}
             for n in (("v", "w") if proc.returncode == 0 else ("w",))]
    results = read_in_child(reads)
    presented = {n: r["chunks"] for n, r in results.items() if n}
    assert proc.returncode != 0 and presented["w"] == [3, 4], (
        f"define exit {proc.returncode} {proc.stdout.strip()}; chunks presented for shape (3, 4): {presented}")


def test_reduction_over_more_than_2_63_elements_is_refused(tmp_path, sources):
    """min/max/argmin/argmax over broadcast_to(x, (2**62, 2**62)) — 2**124
    elements — were refused as empty ("zero-size array ...", "attempt to
    get argmax of an empty sequence"): the count of reduced elements
    wrapped to 0 in signed 64-bit arithmetic. Binding now counts them with
    checked multiplication and refuses the reduction: the count does not
    fit in 64 bits (engine/lz_bind_reduce.c)."""
    path = hostile_file(tmp_path, sources, "", register=False)
    for fn in ("min", "argmax"):
        proc = run([h5lazy_bin(), "define", path, fn, f"{fn}(broadcast_to(a[0, 1], (2**62, 2**62)))"])
        assert proc.returncode == 1
        first = proc.stderr.splitlines()[0]
        assert first.startswith(f"h5lazy define: error: cannot define '{fn}': "), first
        assert f"{fn}() would reduce more than 2^63 elements" in first, first
        assert "does not fit in 64 bits" in first, first


def test_reading_a_reduction_over_more_than_2_63_elements_is_refused_at_once(tmp_path, sources):
    """A placeholder 'sum(broadcast_to(a[0, 1], (2**62, 2**62)))' of shape
    (): reading its one element folded 2**124 elements (the reduced count
    overflowed, so nothing refused it) and never returned. Now binding
    refuses it at once, as for a box of more than 2**63 elements, and the
    read fails with that message."""
    path = hostile_file(tmp_path, sources,
                        "placeholder(f, 'v', (), 'f8', 'sum(broadcast_to(a[0, 1], (2**62, 2**62)))')")
    r = read_in_child([{"id": "v", "file": str(path), "dataset": "v"}], timeout=5)["v"]
    assert "timeout" not in r, "reading one element did not finish in 5 s"
    assert "crashed" not in r, r
    assert not r["ok"] and r["type"] == "OSError", r
    assert "sum() would reduce more than 2^63 elements" in r["message"], r


@pytest.mark.parametrize("depth,ok", [(9, True), (22, False)])
def test_diamond_of_virtual_datasets_is_bounded(tmp_path, sources, depth, ok):
    """v{k}_0 = v{k}_1 = v{k+1}_0 + v{k+1}_1: each level doubles the uses
    of the level below, and every use is bound and evaluated on its own.
    LZV_MAX_NESTING (32) bounds the depth, not the work: 22 levels (a 40 KB
    file) once meant 2**22 bindings, minutes and gigabytes for any reader.
    LZV_MAX_NESTED_USES (1024) bounds the total: 9 levels (1022 uses) read
    right, 22 are refused at once with the reason."""
    path = hostile_file(tmp_path, sources, f"""
f['b'] = np.arange(3.0)
for k in range({depth}):
    nxt = ('b', 'b') if k == {depth} - 1 else (f'v{{k + 1}}_0', f'v{{k + 1}}_1')
    for j in range(2):
        placeholder(f, f'v{{k}}_{{j}}', (3,), 'f8', f'{{nxt[0]}} + {{nxt[1]}}')
""")
    r = read_in_child([{"id": "v", "file": str(path), "dataset": "v0_0", "sel": "[:]"}], timeout=20)["v"]
    assert "crashed" not in r and "timeout" not in r, r
    assert r["seconds"] < 2 * SLOW
    if ok:
        assert r["value"] == [0, 2**depth, 2**(depth + 1)]
    else:
        assert not r["ok"]
        assert "more than 1024 times in all" in r["message"], r["message"]
