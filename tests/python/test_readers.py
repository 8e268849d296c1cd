"""Virtual datasets are indistinguishable from stored ones for every HDF5
reader (issue 4): HDF5's tools, h5py and xarray read a virtual dataset and a
stored copy of it alike.

One fixture directory, built once per module, holds

- ``main.h5``: stored sources of several types, ranks 1-3 and layouts
  (contiguous; chunked with odd chunk extents, 1 included), virtual datasets
  over them (elementwise arithmetic with integer wrapping, a reduction, an
  anomaly ``x - mean(x, axis=0)``, a concatenation, a strided transposed view,
  an operand in another file; two 0-d results), and under ``/mat`` a stored copy of every
  virtual dataset (read through the connector, written as plain data, with the
  virtual dataset's chunk shape) plus one deliberately different stored copy;
- ``other.h5``: the operand in another file;
- ``mat.h5``: main.h5 with every dataset stored (the file a user would have
  without h5lazy).

Every test compares against the numpy oracle computed from the source
arrays, never against the connector's own output alone. The source values
are chosen so that every oracle value is exact in floating point (integers
and multiples of 1/16, means over 4 or 8 rows): readers must agree to the
byte. Each tool runs twice: with HDF5_VOL_CONNECTOR in the environment
("env"), and with it unset and the tool's own --vol-name/--vol-info options
("options"; HDF5_PLUGIN_PATH stays set).

Tests named test_bug_* show behaviours where a virtual dataset differs from
a stored one; they fail until the connector is fixed.

VOL calls the tools make (traced with gdb on the release plugin): h5dump,
h5ls, h5diff and h5stat use dataset get (type, space, dcpl, storage size),
object get info, blob get/specific (variable-length strings), file optional
POST_OPEN and, for h5ls, native object optional GET_COMMENT; h5stat also
native file optionals GET_INFO, GET_SIZE, GET_FREE_SECTIONS and object
optional GET_NATIVE_INFO; no tool asks for native dataset optionals (chunk
queries). h5repack without filter or layout options and h5copy call object
copy (H5Ocopy) and read no data.
"""
import importlib
import os
import posixpath
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

from conftest import (CONNECTOR, assert_ok, define, env_with_connector, env_without_connector,
                      run_tool, write_dataset)

INFO = CONNECTOR.partition(" ")[2]  # "under_vol=0;under_info={}"
MODES = ["env", "options"]
DEFINITION_ATTRS = ("h5lazy_chunks", "h5lazy_created_by", "h5lazy_expression", "h5lazy_format")
# Float results also carry _FillValue (NaN), for netCDF readers (issue 15).
FLOAT_RESULTS = {"mix", "mean0", "anom", "cat", "ext", "avg"}


def defined_attrs(name):
    """The attributes define writes on virtual dataset `name` of the fixture
    (whose operands have no dimension scales or CF attributes)."""
    return sorted(DEFINITION_ATTRS + (("_FillValue",) if name in FLOAT_RESULTS else ()))


# ---------------------------------------------------------------------------
# the fixture: sources, virtual datasets, materialised copies, oracle


def _sources():
    """Source arrays (name -> (array, chunks or None for contiguous))."""
    rng = np.random.default_rng(20240604)
    return {
        "i16": (rng.integers(-300, 300, (4, 5, 3)).astype(np.int16), (3, 2, 1)),
        "i32": (rng.integers(-2**30, 2**30, (6, 5)).astype(np.int32), None),
        "u8": (rng.integers(0, 256, 11).astype(np.uint8), (1,)),
        "f32": ((rng.integers(-64, 64, (6, 5)) / 8).astype(np.float32), (5, 3)),
        "f64": (rng.integers(-1000, 1000, (8, 5)) / 16, (3, 5)),
    }


def _other_sources():
    """The operand that lives in other.h5."""
    rng = np.random.default_rng(7)
    return {"e": (rng.integers(-4000, 4000, (6, 5)) / 16, (1, 5))}


# name -> (expression, numpy oracle over the source arrays)
VIRTUAL = {
    "wrap_u8": ("u8 * 3 + 7", lambda s: s["u8"] * 3 + 7),
    "wrap_i32": ("i32 * 7 - 3", lambda s: s["i32"] * 7 - 3),
    "mix": ("i32 * 3 - f32 / 2", lambda s: s["i32"] * 3 - s["f32"] / 2),
    "mean0": ("mean(i16, axis=0)", lambda s: s["i16"].mean(axis=0)),
    "anom": ("f64 - mean(f64, axis=0)", lambda s: s["f64"] - s["f64"].mean(axis=0)),
    "cat": ("concat([f32, f32[::-1] * 2], axis=0)",
            lambda s: np.concatenate([s["f32"], s["f32"][::-1] * 2], axis=0)),
    "view": ("transpose(i16[1::2, ::-1, :])", lambda s: s["i16"][1::2, ::-1, :].T),
    "ext": ('ds("other.h5", "/e") - f64[:6]', lambda s: s["e"] - s["f64"][:6]),
}
# 0-d results (a scalar dataspace: presented contiguous, as HDF5 cannot chunk it)
SCALARS = {
    "total": ("sum(i16)", lambda s: s["i16"].sum()),
    "avg": ("mean(f64)", lambda s: s["f64"].mean()),
}
DEFINED = {**VIRTUAL, **SCALARS}
NAMES = list(VIRTUAL)
ALL = list(DEFINED)
CHANGED = (2, 3)  # the element /mat/mix_changed differs in


def _materialise(src, dst, name, chunks=None):
    """Write h5py dataset `src` (read in full) as a stored dataset `name` in
    the open h5py file/group `dst`, copying attributes that are not h5lazy's."""
    data = src[...]
    d = dst.create_dataset(name, data=data, chunks=chunks)
    for key, value in src.attrs.items():
        if not key.startswith("h5lazy_"):
            d.attrs[key] = value
    return d


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    """The fixture directory (see the module docstring) and the oracle."""
    root = tmp_path_factory.mktemp("readers")
    main, other, mat = root / "main.h5", root / "other.h5", root / "mat.h5"
    arrays = {}
    for name, (data, chunks) in _sources().items():
        write_dataset(main, name, data, chunks=chunks)
        arrays[name] = data
    for name, (data, chunks) in _other_sources().items():
        write_dataset(other, name, data, chunks=chunks)
        arrays[name] = data
    oracle = {name: np.asarray(fn(arrays)) for name, (_, fn) in DEFINED.items()}
    for name, (expr, _) in DEFINED.items():
        proc = assert_ok(define(main, name, expr))
        assert proc.stdout.startswith(f"{name}: {oracle[name].dtype} {oracle[name].shape} = ")
    chunks = {}
    with h5py.File(main, "a") as f:
        g = f.create_group("mat")
        for name in ALL:
            chunks[name] = f[name].chunks
            _materialise(f[name], g, name, chunks=chunks[name])
        changed = oracle["mix"].copy()
        changed[CHANGED] += 1
        g.create_dataset("mix_changed", data=changed, chunks=chunks["mix"])
    with h5py.File(main, "r") as f, h5py.File(mat, "w") as out:
        def copy(path, obj):
            if isinstance(obj, h5py.Group):
                out.require_group(path)
            else:
                parent = out.require_group(posixpath.dirname(path) or "/")
                _materialise(obj, parent, posixpath.basename(path), chunks=obj.chunks)
        f.visititems(copy)
    return SimpleNamespace(root=root, main=main, other=other, mat=mat, src=arrays,
                           oracle=oracle, chunks=chunks)


@pytest.fixture
def fresh(fx, tmp_path):
    """A private copy of the fixture directory, for tests that change files."""
    dst = tmp_path / "copy"
    shutil.copytree(fx.root, dst)
    return SimpleNamespace(root=dst, main=dst / "main.h5", other=dst / "other.h5", mat=dst / "mat.h5")


def test_fixture_materialised_copies_equal_the_oracle(fx):
    """The stored copies hold the oracle's values and types (read natively, in
    a child process without the connector), so comparing a virtual dataset
    with its copy is comparing it with numpy."""
    script = ("import sys, h5py, numpy as np\n"
              "f = h5py.File(sys.argv[1], 'r')\n"
              "np.savez(sys.argv[2], **{n: f['mat/' + n][...] for n in sys.argv[3:]})\n")
    out = fx.root.parent / f"{fx.root.name}-native.npz"
    assert_ok(subprocess.run([sys.executable, "-c", script, str(fx.mat), str(out), *ALL],
                             capture_output=True, text=True, env=env_without_connector(), timeout=60))
    stored = np.load(out)
    for name in ALL:
        assert stored[name].dtype == fx.oracle[name].dtype, name
        np.testing.assert_array_equal(stored[name], fx.oracle[name], err_msg=name)


# ---------------------------------------------------------------------------
# running the tools both ways

VOL_OPTIONS = {
    "h5dump": ["--vol-name=h5lazy", f"--vol-info={INFO}"],
    "h5ls": ["--vol-name=h5lazy", f"--vol-info={INFO}"],
    "h5diff": ["--vol-name-1=h5lazy", f"--vol-info-1={INFO}"],
    "h5repack": ["--src-vol-name=h5lazy", f"--src-vol-info={INFO}"],
}


def tool(mode, name, *args, cwd=None):
    """Run HDF5 tool `name` through the connector: selected by
    HDF5_VOL_CONNECTOR ("env") or by the tool's own options with
    HDF5_VOL_CONNECTOR unset ("options")."""
    if mode == "env":
        return run_tool(name, *args, connector=True, cwd=cwd)
    assert "HDF5_PLUGIN_PATH" in env_without_connector()
    return run_tool(name, *VOL_OPTIONS[name], *args, connector=False, cwd=cwd)


def ok(proc):
    """assert_ok, and nothing on stderr (tools print errors there but may
    still exit 0)."""
    assert_ok(proc)
    assert proc.stderr == "", proc.stderr
    return proc


# ---------------------------------------------------------------------------
# parsing tool output


def fmt(value, tool="h5dump"):
    """A value as HDF5's tools print it by default: integers in full, floats
    with C's %g (h5dump) or %1.6g / %1.15g for float32 / float64 (h5ls)."""
    if isinstance(value, np.floating):
        if tool == "h5ls":
            return ("%1.6g" if value.dtype == np.float32 else "%1.15g") % float(value)
        return "%g" % float(value)
    return str(int(value))


def fmt_all(array, tool="h5dump"):
    return [fmt(v, tool) for v in np.asarray(array).ravel()]


def dump_data(text):
    """The values (as printed) of the first DATA block of h5dump output, in
    order, without the '(i,j): ' position prefixes."""
    m = re.search(r"^( *)DATA \{\n(.*?)^\1\}", text, re.S | re.M)
    assert m, text
    values = []
    for line in m.group(2).splitlines():
        line = re.sub(r"^\s*\(\d+(,\d+)*\):\s*", "", line)
        values += [v.strip() for v in line.split(",") if v.strip()]
    return values


def dump_positions(text):
    """The '(i,j)' position prefixes of the first DATA block."""
    m = re.search(r"^( *)DATA \{\n(.*?)^\1\}", text, re.S | re.M)
    return [tuple(map(int, p.split(","))) for p in re.findall(r"^\s*\(([\d,]+)\):", m.group(2), re.M)]


def h5_type(dtype):
    """The DDL name h5dump prints for a numpy dtype stored little-endian."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return f"H5T_IEEE_F{dtype.itemsize * 8}LE"
    return f"H5T_STD_{'I' if dtype.kind == 'i' else 'U'}{dtype.itemsize * 8}LE"


def dims_text(shape):
    return ", ".join(map(str, shape))


def renamed(text, name, copy_name):
    """h5dump output with the dataset's name replaced by its copy's."""
    return text.replace(f'DATASET "{name}"', f'DATASET "{copy_name}"')


# ---------------------------------------------------------------------------
# h5dump


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_h5dump_dataset(fx, mode, name):
    """h5dump -d prints the oracle's type, shape and values."""
    want = fx.oracle[name]
    proc = ok(tool(mode, "h5dump", "-d", f"/{name}", fx.main))
    assert f"DATATYPE  {h5_type(want.dtype)}" in proc.stdout
    assert f"DATASPACE  SIMPLE {{ ( {dims_text(want.shape)} ) / ( {dims_text(want.shape)} ) }}" in proc.stdout
    assert dump_data(proc.stdout) == fmt_all(want)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_h5dump_full_precision(fx, mode, name):
    """With -m %.17g every printed value reads back as the oracle's exactly."""
    want = fx.oracle[name]
    proc = ok(tool(mode, "h5dump", "-m", "%.17g", "-d", f"/{name}", fx.main))
    got = np.array([float(v) for v in dump_data(proc.stdout)]).reshape(want.shape)
    np.testing.assert_array_equal(got, want.astype(np.float64))


@pytest.mark.parametrize("mode", MODES)
def test_h5dump_same_output_as_materialised_copy(fx, mode):
    """Without attributes (-A 0), h5dump prints a virtual dataset exactly as
    its stored copy, name aside, header and data alike."""
    for name in NAMES:
        for extra in ([], ["-H"]):
            virt = ok(tool(mode, "h5dump", "-A", "0", *extra, "-d", f"/{name}", fx.main)).stdout
            stored = ok(tool(mode, "h5dump", "-A", "0", *extra, "-d", f"/mat/{name}", fx.main)).stdout
            assert renamed(virt, f"/{name}", f"/mat/{name}") == stored


@pytest.mark.parametrize("mode", MODES)
def test_h5dump_whole_file_same_as_stored_file(fx, mode):
    """h5dump of the whole file with virtual datasets equals h5dump of the
    file where everything is stored (mat.h5, dumped natively), attributes
    left out: same groups, types, shapes and every value."""
    virt = ok(tool(mode, "h5dump", "-A", "0", fx.main)).stdout
    stored = ok(run_tool("h5dump", "-A", "0", fx.mat, connector=False)).stdout
    assert virt.replace(str(fx.main), str(fx.mat)) == stored
    for name in ALL:  # and the values are the oracle's, not merely equal
        block = re.search(rf'^   DATASET "{name}" {{\n(.*?)^   }}', virt, re.S | re.M).group(1)
        assert dump_data(block) == fmt_all(fx.oracle[name])


@pytest.mark.parametrize("mode", MODES)
def test_h5dump_header_only(fx, mode):
    """-H prints type and shape and no values."""
    for name in NAMES:
        want = fx.oracle[name]
        out = ok(tool(mode, "h5dump", "-H", "-d", f"/{name}", fx.main)).stdout
        assert f"DATATYPE  {h5_type(want.dtype)}" in out
        assert f"( {dims_text(want.shape)} )" in out
        assert "DATA {" not in out.split("ATTRIBUTE")[0]


def hyperslab(shape, start, stride, count, block):
    """Indices h5dump selects with -s/-S/-c/-k, per axis (np.ix_ form)."""
    axes = []
    for n, s, st, c, b in zip(shape, start, stride, count, block):
        idx = [s + i * st + j for i in range(c) for j in range(b)]
        assert max(idx) < n
        axes.append(idx)
    return np.ix_(*axes)


SUBSETS = [
    # name, start, stride, count, block
    ("mix", (1, 0), (1, 1), (2, 3), (1, 1)),
    ("mix", (0, 1), (2, 3), (3, 2), (1, 1)),
    ("cat", (1, 0), (4, 2), (3, 2), (2, 1)),
    ("wrap_u8", (2,), (3,), (3,), (2,)),
    ("view", (0, 1, 0), (2, 2, 1), (2, 2, 2), (1, 1, 1)),
    ("view", (1, 0, 1), (1, 2, 1), (1, 2, 1), (2, 1, 1)),
    ("mean0", (1, 0), (2, 2), (2, 2), (1, 1)),
    ("anom", (7, 4), (1, 1), (1, 1), (1, 1)),
    ("ext", (0, 0), (5, 4), (2, 2), (1, 1)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", SUBSETS,
                         ids=lambda c: f"{c[0]}-s{c[1]}-S{c[2]}-c{c[3]}-k{c[4]}")
def test_h5dump_subset(fx, mode, case):
    """-s/-S/-c/-k select the hyperslab numpy selects, printed in the order
    and with the positions h5dump prints for the stored copy, and the
    bracket form -d "/x[s;S;c;k]" selects the same."""
    name, start, stride, count, block = case
    want = fx.oracle[name][hyperslab(fx.oracle[name].shape, start, stride, count, block)]
    csv = lambda t: ",".join(map(str, t))  # noqa: E731
    proc = ok(tool(mode, "h5dump", "-d", f"/{name}", "-s", csv(start), "-S", csv(stride),
                   "-c", csv(count), "-k", csv(block), fx.main))
    if set(block) == {1}:
        assert dump_data(proc.stdout) == fmt_all(want)
    else:  # h5dump prints blocks in an order of its own (see the stored copy below)
        assert sorted(dump_data(proc.stdout)) == sorted(fmt_all(want))
    assert dump_positions(proc.stdout)[0] == tuple(start)
    bracket = ok(tool(mode, "h5dump", "-d",
                      f"/{name}[{csv(start)};{csv(stride)};{csv(count)};{csv(block)}]", fx.main))
    assert dump_data(bracket.stdout) == dump_data(proc.stdout)
    stored = ok(tool(mode, "h5dump", "-d", f"/mat/{name}", "-s", csv(start), "-S", csv(stride),
                     "-c", csv(count), "-k", csv(block), fx.main))
    assert dump_data(stored.stdout) == dump_data(proc.stdout)
    assert dump_positions(stored.stdout) == dump_positions(proc.stdout)


def storage_block(text):
    """STORAGE_LAYOUT ... ALLOCATION_TIME sections of h5dump -p output."""
    m = re.search(r"^   STORAGE_LAYOUT \{.*?^   ALLOCATION_TIME \{.*?^   \}\n", text, re.S | re.M)
    assert m, text
    return m.group(0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_h5dump_properties(fx, mode, name):
    """-p shows a chunked layout with the dataset's chunk shape, no external
    file and no filters; layout, filters, fill value and allocation time are
    those of the stored copy (which has the same chunk shape), except the
    storage SIZE, which for a stored copy counts whole edge chunks."""
    chunks = fx.chunks[name]
    assert chunks is not None
    out = ok(tool(mode, "h5dump", "-p", "-H", "-d", f"/{name}", fx.main)).stdout
    block = storage_block(out)
    assert f"CHUNKED ( {dims_text(chunks)} )" in block
    assert "EXTERNAL" not in out and "CONTIGUOUS" not in out
    assert re.search(r"FILTERS \{\n\s*NONE\n\s*\}", block)
    logical = fx.oracle[name].nbytes
    assert re.search(rf"^\s*SIZE {logical}\n", block, re.M), block
    stored = storage_block(ok(tool(mode, "h5dump", "-p", "-H", "-d", f"/mat/{name}", fx.main)).stdout)
    strip_size = lambda b: re.sub(r"SIZE \d+.*\n", "SIZE\n", b)  # noqa: E731
    assert strip_size(block) == strip_size(stored)


@pytest.mark.parametrize("mode", MODES)
def test_h5dump_attributes(fx, mode):
    """-A prints the definition attributes with their values (and no data):
    the expression text as written, format 2, the chunk shape, the writer;
    and a float result's _FillValue, NaN."""
    for name, (expr, _) in VIRTUAL.items():
        out = ok(tool(mode, "h5dump", "-A", "-d", f"/{name}", fx.main)).stdout
        attrs = dict(re.findall(r'ATTRIBUTE "(\w+)" \{.*?DATA \{\n\s*(.*?)\n\s*\}', out, re.S))
        assert sorted(attrs) == defined_attrs(name), out
        assert attrs.get("_FillValue", "(0): nan") == "(0): nan"
        assert attrs["h5lazy_expression"] == f'(0): "{expr}"'
        assert attrs["h5lazy_format"] == "(0): 2"
        assert attrs["h5lazy_chunks"] == f"(0): {dims_text(fx.chunks[name])}"
        assert re.fullmatch(r'\(0\): "h5lazy \d+\.\d+\.\d+"', attrs["h5lazy_created_by"])
        assert not re.search(r"^   DATA \{", out, re.M)  # the dataset's own data is not printed


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", ["LE", "BE", "NATIVE", "MEMORY", "FILE"])
def test_h5dump_binary(fx, mode, order, tmp_path):
    """-b writes exactly numpy's bytes of the oracle, in the byte order asked
    for (BE makes HDF5 read into a big-endian memory type)."""
    byteorder = ">" if order == "BE" else "<"
    for name in NAMES:
        out = tmp_path / f"{name}-{order}.bin"
        ok(tool(mode, "h5dump", "-b", order, "-o", out, "-d", f"/{name}", fx.main))
        want = fx.oracle[name]
        assert out.read_bytes() == want.astype(want.dtype.newbyteorder(byteorder)).tobytes(), name


def canonical_xml(element):
    """An element's XML without the whitespace between elements."""
    element = ET.fromstring(ET.tostring(element))
    for e in element.iter():
        e.text = (e.text or "").strip() or None
        e.tail = None
    return ET.tostring(element)


@pytest.mark.parametrize("mode", MODES)
def test_h5dump_small_budget_and_threads(fx, mode, tmp_path):
    """With the smallest memory budget (4 KiB: every read cut into many
    pieces) and two threads, given through HDF5_VOL_CONNECTOR or through
    --vol-info, h5dump -b still writes the oracle's bytes."""
    tunables = "memory=4KiB;threads=2"
    for name in NAMES:
        out = tmp_path / f"{name}.bin"
        args = ["-b", "LE", "-o", out, "-d", f"/{name}", fx.main]
        if mode == "env":
            proc = run_tool("h5dump", *args, env=env_with_connector(memory="4KiB", threads=2))
        else:
            proc = run_tool("h5dump", "--vol-name=h5lazy", f"--vol-info={INFO};{tunables}", *args,
                            connector=False)
        ok(proc)
        want = fx.oracle[name]
        assert out.read_bytes() == want.astype(want.dtype.newbyteorder("<")).tobytes(), name


def xml_datasets(text):
    """{path: element} of the hdf5:Dataset elements of h5dump -x output."""
    root = ET.fromstring(text)
    ns = {"hdf5": "http://hdfgroup.org/HDF5/XML/schema/HDF5-File.xsd"}
    return {d.get("H5Path"): d for d in root.iter(f"{{{ns['hdf5']}}}Dataset")}, ns


@pytest.mark.parametrize("mode", MODES)
def test_h5dump_xml(fx, mode):
    """-x (whole file: h5dump refuses -x with -d) includes the computed data
    and a chunked layout without external storage, as for the stored copy."""
    text = ok(tool(mode, "h5dump", "-x", fx.main)).stdout
    datasets, ns = xml_datasets(text)
    for name in NAMES:
        d = datasets[f"/{name}"]
        copy = datasets[f"/mat/{name}"]
        values = d.find("hdf5:Data/hdf5:DataFromFile", ns).text.split()
        assert values == fmt_all(fx.oracle[name]), name
        assert copy.find("hdf5:Data/hdf5:DataFromFile", ns).text.split() == values
        layout = d.find("hdf5:StorageLayout", ns)
        assert layout.find("hdf5:ChunkedLayout", ns) is not None
        dims = [int(c.get("DimSize")) for c in layout.iter(f"{{{ns['hdf5']}}}ChunkDimension")]
        assert tuple(dims) == fx.chunks[name]
        assert "External" not in ET.tostring(d, encoding="unicode")
        # Fill value, dataspace and type elements are the stored copy's.
        for tag in ("hdf5:FillValueInfo", "hdf5:Dataspace", "hdf5:DataType", "hdf5:StorageLayout"):
            assert canonical_xml(d.find(tag, ns)) == canonical_xml(copy.find(tag, ns)), (name, tag)


# ---------------------------------------------------------------------------
# h5ls


def h5ls_blocks(text):
    """{path: block text} of h5ls -r -v output."""
    blocks = re.split(r"\n(?=/)", text.strip())
    return {b.split()[0]: b for b in blocks}


def h5ls_fields(block):
    """The Type/Chunks/Storage/Filter lines of an h5ls -v block, and its
    'Dataset {...}' head."""
    head = re.match(r"\S+\s+(Dataset \{[^}]*\})", block).group(1)
    lines = [line.strip() for line in block.splitlines()[1:] if not line.startswith("        ")]
    keep = [line for line in lines if re.match(r"(Type|Chunks|Storage|Filter|Extern|Address)", line)]
    return head, keep


@pytest.mark.parametrize("mode", MODES)
def test_h5ls_recursive_verbose(fx, mode):
    """h5ls -r -v lists each virtual dataset as a chunked dataset of the
    oracle's shape and type, with its definition attributes, and no
    external file; type and chunk lines are the stored copy's."""
    blocks = h5ls_blocks(ok(tool(mode, "h5ls", "-r", "-v", fx.main)).stdout)
    types = {np.dtype(np.int16): "native short", np.dtype(np.int32): "native int",
             np.dtype(np.uint8): "native unsigned char", np.dtype(np.float32): "native float",
             np.dtype(np.float64): "native double"}
    for name in NAMES:
        want = fx.oracle[name]
        block = blocks[f"/{name}"]
        head, fields = h5ls_fields(block)
        shape = ", ".join(f"{n}/{n}" for n in want.shape)
        assert head == f"Dataset {{{shape}}}"
        assert f"Type:      {types[want.dtype]}" in fields
        chunk_bytes = int(np.prod(fx.chunks[name])) * want.itemsize
        assert f"Chunks:    {{{dims_text(fx.chunks[name])}}} {chunk_bytes} bytes" in fields
        assert not any(f.startswith(("Filter", "Extern")) for f in fields), fields
        for attr in DEFINITION_ATTRS:
            assert f"Attribute: {attr}" in block
        copy_head, copy_fields = h5ls_fields(blocks[f"/mat/{name}"])
        assert copy_head == head
        assert [f for f in fields if not f.startswith("Storage")] == \
            [f for f in copy_fields if not f.startswith("Storage")]
        storage = [f for f in fields if f.startswith("Storage")]
        assert storage == [f"Storage:   {want.nbytes} logical bytes, {want.nbytes} allocated bytes, "
                           "100.00% utilization"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_h5ls_data(fx, mode, name):
    """h5ls -d prints the oracle's values, as it prints the stored copy's."""
    def values(path):
        out = ok(tool(mode, "h5ls", "-d", f"{fx.main}/{path}")).stdout
        words = out.split("Data:", 1)[1]
        return [v.strip() for v in " ".join(words.split()).split(",")]
    assert values(name) == fmt_all(fx.oracle[name], "h5ls")
    assert values(f"mat/{name}") == values(name)


# ---------------------------------------------------------------------------
# h5diff


def h5diff(mode, *args, second_native=False):
    """h5diff through the connector. In "options" mode the first file is
    opened with --vol-name-1, the second with --vol-name-2 as well unless
    `second_native` (then natively)."""
    if mode == "env":
        return run_tool("h5diff", *args, connector=True)
    extra = [] if second_native else ["--vol-name-2=h5lazy", f"--vol-info-2={INFO}"]
    return run_tool("h5diff", *VOL_OPTIONS["h5diff"], *extra, *args, connector=False)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_h5diff_virtual_equals_materialised(fx, mode, name):
    """h5diff finds no difference between a virtual dataset and its stored
    copy once the definition attributes are excluded (exit 0); with them it
    reports exactly those four attributes as only in the first object (a
    float result's _FillValue is common: the copy has it too) and 0 data
    differences (exit 1) — what it reports for any stored pair whose
    attributes differ."""
    proc = h5diff(mode, "--exclude-attribute", f"/{name}", fx.main, fx.main, f"/{name}", f"/mat/{name}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    proc = h5diff(mode, "-v2", fx.main, fx.main, f"/{name}", f"/mat/{name}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "0 differences found" in proc.stdout
    only = re.findall(r"^\s+x\s+(\w+)\s*$", proc.stdout, re.M)
    assert sorted(only) == sorted(DEFINITION_ATTRS)
    common = 1 if name in FLOAT_RESULTS else 0
    assert f"Attributes status:  {common} common, 4 only in obj1, 0 only in obj2" in proc.stdout


@pytest.mark.parametrize("mode", MODES)
def test_h5diff_reports_a_difference(fx, mode):
    """Against a stored dataset that differs in one element, h5diff reports
    that element, both values and exit 1 — whichever side is virtual."""
    i, j = CHANGED
    want = fx.oracle["mix"][i, j]
    for first, second, a, b in [("/mix", "/mat/mix_changed", want, want + 1),
                                ("/mat/mix_changed", "/mix", want + 1, want)]:
        proc = h5diff(mode, "-r", "--exclude-attribute", "/mix", fx.main, fx.main, first, second)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert proc.stdout.endswith("\n1 differences found\n")
        rows = re.findall(r"^\[ (\d+) (\d+) \]\s+(\S+)\s+(\S+)\s+(\S+)", proc.stdout, re.M)
        assert len(rows) == 1, proc.stdout
        assert (int(rows[0][0]), int(rows[0][1])) == (i, j)
        assert rows[0][2:] == (fmt(a), fmt(b), "1")  # h5diff prints %g


@pytest.mark.parametrize("mode", MODES)
def test_h5diff_file_with_virtual_datasets_against_stored_file(fx, mode):
    """main.h5 (virtual datasets) against mat.h5 (all stored, opened natively
    in "options" mode): no object, value or attribute differs besides the
    definition attributes (exit 0 with those excluded)."""
    exclude = [a for name in ALL for a in ("--exclude-attribute", f"/{name}")]
    proc = h5diff(mode, *exclude, fx.main, fx.mat, second_native=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = h5diff(mode, "-v", *exclude, fx.main, fx.mat, second_native=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ALL:
        assert f"dataset: </{name}> and </{name}>\n0 differences found" in proc.stdout
    # Without the exclusions only the virtual datasets' attributes differ
    # (0-d ones have no h5lazy_chunks).
    proc = h5diff(mode, "-v2", fx.main, fx.mat, second_native=True)
    assert proc.returncode == 1
    assert proc.stdout.count("4 only in obj1, 0 only in obj2") == len(NAMES)
    assert proc.stdout.count("3 only in obj1, 0 only in obj2") == len(SCALARS)
    assert not re.search(r"^[1-9]\d* differences? found", proc.stdout, re.M), proc.stdout


@pytest.mark.parametrize("mode", MODES)
def test_h5diff_sees_a_changed_source(fresh, mode):
    """After a source element changes, h5diff against the old stored copy
    reports exactly the virtual elements that depend on it (proof that
    h5diff reads computed values, not a cached copy)."""
    with h5py.File(fresh.main, "a") as f:
        f["f64"][5, 2] += 1  # anom = f64 - mean(f64, axis=0): column 2 moves
    proc = h5diff(mode, "-r", "--exclude-attribute", "/anom", fresh.main, fresh.main, "/anom", "/mat/anom")
    assert proc.returncode == 1
    rows = re.findall(r"^\[ (\d+) (\d+) \]", proc.stdout, re.M)
    assert sorted((int(a), int(b)) for a, b in rows) == [(r, 2) for r in range(8)]


# ---------------------------------------------------------------------------
# h5repack, h5copy, h5stat


def read_natively(path, names):
    """{name: array} read from `path` by h5py in a child process without the
    connector; a name that cannot be read maps to the error's text."""
    script = ("import sys, json, h5py, numpy as np\n"
              "f = h5py.File(sys.argv[1], 'r')\n"
              "out = {}\n"
              "for n in sys.argv[3:]:\n"
              "    try:\n"
              "        out[n] = f[n][...]\n"
              "    except Exception as e:\n"
              "        out[n + ':error'] = np.array(str(e))\n"
              "np.savez(sys.argv[2], **out)\n")
    npz = Path(str(path) + ".native.npz")
    assert_ok(subprocess.run([sys.executable, "-c", script, str(path), str(npz), *names],
                             capture_output=True, text=True, env=env_without_connector(), timeout=60))
    data = np.load(npz)
    return {k: (str(data[k]) if k.endswith(":error") else data[k]) for k in data.files}


def attribute_names(path, name, connector):
    proc = ok(run_tool("h5dump", "-A", "-H", "-d", name, path, connector=connector))
    return sorted(re.findall(r'ATTRIBUTE "(\w+)"', proc.stdout))


@pytest.mark.parametrize("mode", MODES)
def test_h5repack_to_the_native_connector_stores_the_data(fx, mode, tmp_path):
    """h5repack reading through h5lazy and writing with the native connector
    (--dst-vol-value=0) writes stored data: the repacked file read without
    the connector gives the oracle's values, with the virtual dataset's
    chunk shape and no external file. The definition attributes are copied
    as all attributes are (see test_bug_repacked_stored_data_still_needs_operands)."""
    out = tmp_path / "repacked.h5"
    ok(tool(mode, "h5repack", "--dst-vol-value=0", fx.main, out))
    native = read_natively(out, ALL)
    for name in ALL:
        assert f"{name}:error" not in native, native.get(f"{name}:error")
        assert native[name].dtype == fx.oracle[name].dtype
        np.testing.assert_array_equal(native[name], fx.oracle[name], err_msg=name)
    for name in NAMES:
        layout = ok(run_tool("h5dump", "-p", "-H", "-d", f"/{name}", out, connector=False)).stdout
        assert f"CHUNKED ( {dims_text(fx.chunks[name])} )" in layout and "EXTERNAL" not in layout
        # h5repack copies every attribute, the definition's too.
        assert attribute_names(out, f"/{name}", connector=False) == defined_attrs(name)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("options", [["-l", "CONTI"], ["-f", "GZIP=1"], ["-l", "CHUNK=2x2"]],
                         ids=["contiguous", "gzip", "chunk2x2"])
def test_h5repack_with_layout_or_filter_stores_the_data(fx, mode, options, tmp_path):
    """h5repack with a layout or filter option reads every virtual dataset
    through the connector and writes stored data that reads natively as the
    oracle. (CHUNK=2x2 applies only to rank-2 datasets.)"""
    out = tmp_path / "repacked.h5"
    ok(tool(mode, "h5repack", *options, fx.main, out))
    native = read_natively(out, ALL)
    for name in ALL:
        assert f"{name}:error" not in native, native.get(f"{name}:error")
        np.testing.assert_array_equal(native[name], fx.oracle[name], err_msg=name)


def test_h5repack_default_copies_definitions(fx):
    """Plain `h5repack in.h5 out.h5` through the connector copies each
    virtual dataset with H5Ocopy, which copies its definition, as HDF5 does
    for its own virtual datasets (documented; `-l CONTI`, filters or
    --dst-vol-value=0 store the data instead, tested above). Next to the
    original, the copy reads as the oracle through the connector, and
    without it fails loudly rather than returning fill values."""
    out = fx.main.parent / "repacked.h5"
    try:
        ok(run_tool("h5repack", fx.main, out))
        with h5py.File(out, "r") as f:
            for name in ALL:
                np.testing.assert_array_equal(f[name][...], fx.oracle[name], err_msg=name)
        native = read_natively(out, ALL)
        for name in ALL:
            assert "external raw data file" in native.get(f"{name}:error", ""), name
    finally:
        out.unlink(missing_ok=True)


def test_repacked_stored_data_keeps_its_values(fx, tmp_path):
    """Regression: a file repacked to stored data (h5repack
    --dst-vol-value=0) into another directory keeps the definition
    attributes; its datasets must still read as the stored data through the
    connector (a dataset is virtual only if it is also a placeholder), not
    be recomputed from operands that are not there."""
    out = tmp_path / "elsewhere" / "repacked.h5"
    out.parent.mkdir()
    ok(run_tool("h5repack", "--dst-vol-value=0", fx.main, out))
    np.testing.assert_array_equal(read_natively(out, ["ext"])["ext"], fx.oracle["ext"])
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["ext"][...], fx.oracle["ext"])


def test_h5copy_to_another_file_copies_the_definition(fx, tmp_path):
    """h5copy of a virtual dataset copies its definition (H5Ocopy, as for
    HDF5's own virtual datasets): in a new file without its operands the
    copy cannot be computed, and reading it says which operand is missing
    instead of returning anything. A stored dataset copies its data."""
    out = tmp_path / "copied.h5"
    ok(run_tool("h5copy", "-i", fx.main, "-o", out, "-s", "/mat/mix", "-d", "/stored_mix"))
    ok(run_tool("h5copy", "-i", fx.main, "-o", out, "-s", "/mix", "-d", "/mix"))
    stored = ok(run_tool("h5dump", "-m", "%.17g", "-d", "/stored_mix", out))
    assert [float(v) for v in dump_data(stored.stdout)] == list(fx.oracle["mix"].ravel())
    proc = run_tool("h5dump", "--enable-error-stack", "-d", "/mix", out)
    assert proc.returncode != 0
    assert "operand 'i32' of '/mix' is not a dataset" in proc.stderr, proc.stderr


def test_h5copy_within_the_file(fresh):
    """h5copy of a virtual dataset inside its own file gives a dataset that
    reads as the oracle through the connector (the operands resolve in the
    same group)."""
    ok(run_tool("h5copy", "-i", fresh.main, "-o", fresh.main, "-s", "/mix", "-d", "/mix_copy"))
    proc = ok(run_tool("h5dump", "-m", "%.17g", "-d", "/mix_copy", fresh.main))
    want = _oracle_for(fresh, "mix")
    assert [float(v) for v in dump_data(proc.stdout)] == list(want.ravel())


def _oracle_for(fresh, name):
    arrays = {n: a for n, (a, _) in {**_sources(), **_other_sources()}.items()}
    return DEFINED[name][1](arrays)


def h5stat_sections(text):
    """The layout, external-file and filter lines of h5stat output."""
    keep = [line.strip() for line in text.splitlines()
            if re.search(r"layout counts|external|Number of external files|filter:|"
                         r"# of unique datasets|Dataset datatype|Count \(total", line)]
    return keep


def test_h5stat(fx):
    """h5stat runs (exit 0, nothing on stderr) and counts the virtual
    datasets as the stored file's datasets: same layouts (chunked), no
    external files, no filters, same datatypes."""
    virt = ok(run_tool("h5stat", fx.main)).stdout
    stored = ok(run_tool("h5stat", fx.mat, connector=False)).stdout
    assert h5stat_sections(virt) == h5stat_sections(stored)
    n_chunked = sum(1 for _, c in _sources().values() if c) + 2 * len(NAMES) + 1
    assert f"Dataset layout counts[CHUNKED]: {n_chunked}" in virt
    assert f"Dataset layout counts[CONTIG]: {1 + 2 * len(SCALARS)}" in virt
    assert "Number of external files : 0" in virt
    assert "Total external raw data size: 0" in virt


def test_h5stat_without_connector_sees_placeholders(fx):
    """Natively, h5stat sees what is stored: one external file reference per
    virtual dataset (the placeholder), which the connector hides."""
    native = ok(run_tool("h5stat", fx.main, connector=False)).stdout
    assert f"Number of external files : {len(ALL)}" in native


# ---------------------------------------------------------------------------
# 0-d virtual datasets


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(SCALARS))
def test_scalar_through_the_tools(fx, mode, name, tmp_path):
    """A 0-d result: h5dump prints a scalar dataspace and the oracle's value
    (%g and full precision, -b bytes), -p a contiguous layout without
    external file or filters, as for the stored copy (storage size and
    offset aside: a stored copy has an address); h5ls -d prints the value;
    h5diff finds no difference with the stored copy."""
    want = fx.oracle[name]
    out = ok(tool(mode, "h5dump", "-d", f"/{name}", fx.main)).stdout
    assert f"DATATYPE  {h5_type(want.dtype)}" in out and "DATASPACE  SCALAR" in out
    assert dump_data(out) == [fmt(want[()])]
    exact = ok(tool(mode, "h5dump", "-m", "%.17g", "-d", f"/{name}", fx.main)).stdout
    assert float(dump_data(exact)[0]) == float(want)
    binary = tmp_path / "scalar.bin"
    ok(tool(mode, "h5dump", "-b", "LE", "-o", binary, "-d", f"/{name}", fx.main))
    assert binary.read_bytes() == want.astype(want.dtype.newbyteorder("<")).tobytes()
    props = ok(tool(mode, "h5dump", "-p", "-H", "-d", f"/{name}", fx.main)).stdout
    stored = ok(tool(mode, "h5dump", "-p", "-H", "-d", f"/mat/{name}", fx.main)).stdout
    assert "CONTIGUOUS" in props and "EXTERNAL" not in props
    strip = lambda b: re.sub(r"(SIZE|OFFSET) .*\n", "", b)  # noqa: E731
    assert strip(storage_block(props)) == strip(storage_block(stored))
    listed = ok(tool(mode, "h5ls", "-d", f"{fx.main}/{name}")).stdout
    assert listed.split("Data:", 1)[1].split() == [fmt(want[()], "h5ls")]
    proc = h5diff(mode, "--exclude-attribute", f"/{name}", fx.main, fx.main, f"/{name}", f"/mat/{name}")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", list(SCALARS))
def test_scalar_through_h5py(fx, name):
    """A 0-d result through h5py: d[()] and d[...] give the oracle, astype
    converts, and shape, size, nbytes, chunks and len() answer as for the
    stored copy (len raising the same TypeError)."""
    want = fx.oracle[name]
    with h5py.File(fx.main, "r") as f:
        d, copy = f[name], f[f"mat/{name}"]
        assert d[()] == want[()] and type(d[()]) is type(want[()])
        np.testing.assert_array_equal(d[...], want)
        assert d.astype("float32")[()] == np.float32(want)
        assert (d.shape, d.size, d.nbytes, d.chunks, d.dtype) == \
            (copy.shape, copy.size, copy.nbytes, copy.chunks, copy.dtype) == \
            ((), 1, want.itemsize, None, want.dtype)
        errors = []
        for dset in (d, copy):
            with pytest.raises(TypeError) as info:
                len(dset)
            errors.append(str(info.value))
        assert errors[0] == errors[1]


# ---------------------------------------------------------------------------
# h5py: selections


def selections(shape):
    """h5py selections for an array of this shape, each valid for numpy too."""
    rank = len(shape)
    n0 = shape[0]
    sels = [
        (0,), (-1,), (n0 // 2,),
        (slice(None),), (slice(1, None, 2),), (slice(-3, None),), (slice(None, -1, 3),),
        (slice(-n0, -1, 2),), (Ellipsis,), (Ellipsis, -1), (slice(2, 2),), (slice(5, 1),),
        ([0, n0 - 1],), ([i for i in range(0, n0, 2)],),
    ]
    if rank >= 2:
        n1 = shape[1]
        sels += [
            (1, -1), (-2, slice(None, None, 2)), (slice(None), [0, n1 - 1]),
            (slice(1, None), slice(0, n1, 3)), (Ellipsis, 0), (0, Ellipsis),
            ([0, n0 - 1], slice(1, None)),
        ]
    if rank >= 3:
        sels += [(0, 1, -1), (slice(None), slice(1, None, 2), [0, 1]), (Ellipsis, 1, slice(None))]
    return sels


@pytest.mark.parametrize("name", NAMES)
def test_h5py_indexing(fx, name):
    """Integers (negative too), slices with steps and negative bounds, index
    lists, ellipsis and boolean masks select what numpy selects."""
    want = fx.oracle[name]
    with h5py.File(fx.main, "r") as f:
        d = f[name]
        for sel in selections(want.shape):
            got = d[sel]
            np.testing.assert_array_equal(got, want[sel], err_msg=f"{name}{sel}")
            assert np.asarray(got).dtype == want.dtype
        mask = want > np.median(want)
        np.testing.assert_array_equal(d[mask], want[mask])
        np.testing.assert_array_equal(d[()], want)
        assert d[(0,) * want.ndim] == want[(0,) * want.ndim]


@pytest.mark.parametrize("name", NAMES)
def test_h5py_multiblock_and_low_level_selections(fx, name):
    """h5py's MultiBlockSlice, and low-level reads with a point selection, a
    union of hyperslabs (OR, XOR) and a memory space of another rank, give
    the elements numpy gives, in HDF5's order (C order of the file)."""
    want = fx.oracle[name]
    rank, n0 = want.ndim, want.shape[0]
    rng = np.random.default_rng(len(name))
    with h5py.File(fx.main, "r") as f:
        d = f[name]
        mbs = h5py.MultiBlockSlice(start=0, count=(n0 + 2) // 3, stride=3, block=1)
        idx = [i for i in range(0, n0, 3)]
        np.testing.assert_array_equal(d[mbs], want[idx])
        # points, in an arbitrary order (HDF5 keeps the order given)
        coords = np.array([[rng.integers(0, n) for n in want.shape] for _ in range(7)])
        fspace = d.id.get_space()
        fspace.select_elements(coords)
        out = np.zeros(len(coords), dtype=want.dtype)
        d.id.read(h5py.h5s.create_simple((len(coords),)), fspace, out)
        np.testing.assert_array_equal(out, want[tuple(coords.T)])
        # a union of two overlapping boxes and their XOR, read into a rank-1 buffer
        for op in (h5py.h5s.SELECT_OR, h5py.h5s.SELECT_XOR):
            fspace = d.id.get_space()
            a = (0,) * rank, tuple(max(1, n // 2 + 1) for n in want.shape)
            b = tuple(n // 3 for n in want.shape), tuple(n - n // 3 for n in want.shape)
            fspace.select_hyperslab(*a)
            fspace.select_hyperslab(*b, op=op)
            mask = np.zeros(want.shape, bool)
            mask[tuple(slice(0, c) for c in a[1])] = True
            box = np.zeros(want.shape, bool)
            box[tuple(slice(s, s + c) for s, c in zip(*b))] = True
            mask = mask | box if op == h5py.h5s.SELECT_OR else mask ^ box
            out = np.zeros(int(mask.sum()), dtype=want.dtype)
            d.id.read(h5py.h5s.create_simple(out.shape), fspace, out)
            np.testing.assert_array_equal(out, want[mask])


@pytest.mark.parametrize("name", ["mix", "view", "wrap_u8"])
def test_h5py_unsupported_indexing_fails_as_for_stored(fx, name):
    """np.newaxis and negative steps, which h5py does not support, fail with
    the same exception and message as on the stored copy."""
    with h5py.File(fx.main, "r") as f:
        for sel in [(np.newaxis,), (slice(None, None, -1),), (Ellipsis, np.newaxis)]:
            errors = []
            for path in (name, f"mat/{name}"):
                with pytest.raises((TypeError, ValueError)) as info:
                    f[path][sel]
                errors.append((type(info.value), str(info.value)))
            assert errors[0] == errors[1]


def hdf5_conversion(values, dtype):
    """What HDF5's conversion of stored `values` to `dtype` gives: floats
    round to nearest, floats to integers truncate, and out-of-range values
    saturate (numpy's astype wraps instead)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return values.astype(dtype)
    info = np.iinfo(dtype)
    v = np.trunc(values) if values.dtype.kind == "f" else values
    return np.clip(v, info.min, info.max).astype(dtype)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("target", ["float64", "float32", "int64", "int32", "int16", "uint8"])
def test_h5py_astype(fx, name, target):
    """d.astype(T) (HDF5 converts to the memory type) gives numpy's astype of
    the oracle where the values fit, HDF5's saturation where they do not,
    and the stored copy's result either way."""
    want = fx.oracle[name]
    with h5py.File(fx.main, "r") as f:
        got = f[name].astype(target)[...]
        stored = f[f"mat/{name}"].astype(target)[...]
        part = f[name].astype(target)[1:, ...]
    assert got.dtype == np.dtype(target)
    np.testing.assert_array_equal(got, hdf5_conversion(want, target))
    np.testing.assert_array_equal(got, stored)
    np.testing.assert_array_equal(part, hdf5_conversion(want[1:], target))
    info_ok = np.dtype(target).kind == "f" or (
        want.min() >= np.iinfo(target).min and want.max() <= np.iinfo(target).max)
    if info_ok and np.all(want == np.trunc(want)):
        np.testing.assert_array_equal(got, want.astype(target))


@pytest.mark.parametrize("name", ["wrap_i32", "wrap_u8", "view", "mean0", "cat"])
def test_read_integers_as_float64_and_floats_as_float32(fx, name):
    """Integer results read into float64 and float results into float32
    (h5py's astype and read_direct into an array of that type), as numpy
    converts the oracle."""
    want = fx.oracle[name]
    target = np.float64 if want.dtype.kind in "iu" else np.float32
    with h5py.File(fx.main, "r") as f:
        np.testing.assert_array_equal(f[name].astype(target)[...], want.astype(target))
        out = np.full(want.shape, -99, dtype=target)
        f[name].read_direct(out)
        np.testing.assert_array_equal(out, want.astype(target))


@pytest.mark.parametrize("name", NAMES)
def test_h5py_read_direct(fx, name):
    """read_direct with source_sel and dest_sel writes the selected elements
    where asked and nothing else, in the dataset's type and in float64."""
    want = fx.oracle[name]
    src = tuple(slice(1, None, 2) if i == 0 else slice(None, -1) for i in range(want.ndim))
    part = want[src]
    dst = tuple(slice(2, 2 + n) for n in part.shape)
    with h5py.File(fx.main, "r") as f:
        for dtype in (want.dtype, np.float64):
            out = np.full(tuple(n + 3 for n in want.shape), 77, dtype=dtype)
            f[name].read_direct(out, source_sel=np.s_[src], dest_sel=np.s_[dst])
            expect = np.full(out.shape, 77, dtype=dtype)
            expect[dst] = part.astype(dtype)
            np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize("name", NAMES)
def test_h5py_iter_chunks(fx, name):
    """iter_chunks yields the stored copy's chunk selections, and reading
    each one reassembles the oracle; also within a selection."""
    want = fx.oracle[name]
    with h5py.File(fx.main, "r") as f:
        d, copy = f[name], f[f"mat/{name}"]
        chunks = list(d.iter_chunks())
        assert chunks == list(copy.iter_chunks())
        got = np.zeros_like(want)
        for sel in chunks:
            got[sel] = d[sel]
        np.testing.assert_array_equal(got, want)
        sub = tuple(slice(1, n) for n in want.shape)
        assert list(d.iter_chunks(sub)) == list(copy.iter_chunks(sub))
        for sel in d.iter_chunks(sub):
            np.testing.assert_array_equal(d[sel], want[sel])


@pytest.mark.parametrize("name", NAMES)
def test_h5py_dataset_properties(fx, name):
    """len, shape, dtype, ndim, size, nbytes, chunks, maxshape, compression,
    filters, fill value and external storage answer as for the stored copy
    (and shape, dtype, size, nbytes as for the oracle)."""
    want = fx.oracle[name]
    props = ("shape", "dtype", "ndim", "size", "nbytes", "chunks", "maxshape", "compression",
             "compression_opts", "shuffle", "fletcher32", "scaleoffset", "fillvalue", "external",
             "is_virtual", "is_scale")
    with h5py.File(fx.main, "r") as f:
        d, copy = f[name], f[f"mat/{name}"]
        assert {p: getattr(d, p) for p in props} == {p: getattr(copy, p) for p in props}
        assert (d.shape, d.dtype, d.size, d.nbytes) == (want.shape, want.dtype, want.size, want.nbytes)
        assert len(d) == len(want)
        assert d.chunks == fx.chunks[name] and d.compression is None and d.external is None
        assert d.id.get_storage_size() == want.nbytes
        assert d.id.get_offset() is None


def test_h5py_native_chunk_queries_are_refused_clearly(fx):
    """A deliberate difference (docs/DESIGN.md: no stored chunks to
    describe): h5py's native chunk queries, which answer for the stored copy,
    fail on a virtual dataset with a message saying why."""
    with h5py.File(fx.main, "r") as f:
        assert f["mat/mix"].id.get_num_chunks() > 0
        for query in (lambda d: d.id.get_num_chunks(), lambda d: d.id.get_chunk_info(0),
                      lambda d: d.id.get_chunk_info_by_coord((0, 0)),
                      lambda d: d.id.read_direct_chunk((0, 0))):
            with pytest.raises(Exception, match="virtual dataset: it has no stored chunks"):
                query(f["mix"])


def test_h5py_len_of_scalar_like_shapes(fx):
    """len() of a rank-1 virtual dataset is its extent, as numpy's."""
    with h5py.File(fx.main, "r") as f:
        assert len(f["wrap_u8"]) == 11 == len(fx.oracle["wrap_u8"])


@pytest.mark.parametrize("name", NAMES)
def test_h5py_definition_attributes(fx, name):
    """The definition attributes read through h5py as written."""
    with h5py.File(fx.main, "r") as f:
        attrs = f[name].attrs
        assert sorted(attrs) == defined_attrs(name)
        assert attrs["h5lazy_expression"] == VIRTUAL[name][0]
        assert int(attrs["h5lazy_format"]) == 2
        assert tuple(attrs["h5lazy_chunks"]) == fx.chunks[name]
        assert re.fullmatch(r"h5lazy \d+\.\d+\.\d+", attrs["h5lazy_created_by"])


def run_python(code, *args, connector=True):
    """Run Python code in a child process (with or without the connector)."""
    env = env_with_connector() if connector else env_without_connector()
    return assert_ok(subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                                    text=True, env=env, timeout=60))


def test_h5py_attributes_written_on_a_virtual_dataset(fresh):
    """Attributes created, changed and deleted on a virtual dataset through
    the connector persist (read back by a new process, with and without the
    connector) and leave its values and definition alone."""
    with h5py.File(fresh.main, "a") as f:
        d = f["anom"]
        d.attrs["units"] = "K"
        d.attrs["scale"] = np.arange(3, dtype=np.float32)
        d.attrs["gone"] = 1
        del d.attrs["gone"]
        d.attrs.modify("scale", np.arange(3, dtype=np.float32) * 2)
    code = ("import sys, h5py\n"
            "d = h5py.File(sys.argv[1], 'r')['anom']\n"
            "print(sorted(d.attrs), d.attrs['units'], list(d.attrs['scale']))\n")
    want = (f"{sorted(defined_attrs('anom') + ['scale', 'units'])} K "
            f"{[np.float32(v) for v in (0, 2, 4)]}\n")
    for connector in (True, False):
        assert run_python(code, fresh.main, connector=connector).stdout == want
    dump = ok(run_tool("h5dump", "-A", "-d", "/anom", fresh.main)).stdout
    assert re.search(r'ATTRIBUTE "units" \{.*?\(0\): "K"', dump, re.S)
    with h5py.File(fresh.main, "r") as f:
        np.testing.assert_array_equal(f["anom"][...], _oracle_for(fresh, "anom"))
        assert f["anom"].attrs["h5lazy_expression"] == VIRTUAL["anom"][0]


def test_h5py_visititems_finds_virtual_datasets(fx):
    """visititems and visit list every virtual dataset as an h5py.Dataset,
    in the same order as the stored file lists them."""
    seen = {}
    with h5py.File(fx.main, "r") as f:
        f.visititems(lambda path, obj: seen.__setitem__(path, type(obj)))
        order = []
        f.visit(order.append)
    for name in ALL:
        assert seen[name] is h5py.Dataset
    with h5py.File(fx.mat, "r") as f:
        stored_order = []
        f.visit(stored_order.append)
    assert order == stored_order


def source_snapshot(fresh):
    """Every stored source's values (read natively in a child process)."""
    return {**read_natively(fresh.main, list(_sources())), **read_natively(fresh.other, ["e"])}


def test_h5py_writes_are_refused_and_sources_unchanged(fresh):
    """Writing to a virtual dataset (element, slice, whole, write_direct,
    resize) raises and changes no source and no value."""
    before = source_snapshot(fresh)
    with h5py.File(fresh.main, "a") as f:
        d = f["mix"]
        attempts = [lambda: d.__setitem__(0, 1), lambda: d.__setitem__((slice(None), 1), 5.0),
                    lambda: d.__setitem__(Ellipsis, np.zeros(d.shape)),
                    lambda: d.write_direct(np.zeros(d.shape)),
                    lambda: f["ext"].__setitem__((0, 0), 0.0)]
        for attempt in attempts:
            with pytest.raises(OSError, match="virtual dataset"):
                attempt()
        with pytest.raises((OSError, RuntimeError, TypeError)):
            d.resize((7, 5))
        np.testing.assert_array_equal(d[...], _oracle_for(fresh, "mix"))
    after = source_snapshot(fresh)
    assert sorted(before) == sorted(after)
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])


def test_h5py_reads_follow_source_writes_in_the_same_process(fresh):
    """As with stored data, a read after a write sees the write: changing a
    source (in the same file, through the same open file; and in the other
    file, opened separately) changes what the next read of a virtual
    dataset over it returns, also for a reduction already read once."""
    want_anom = _oracle_for(fresh, "anom")
    with h5py.File(fresh.main, "a") as f, h5py.File(fresh.other, "a") as o:
        np.testing.assert_array_equal(f["anom"][...], want_anom)
        np.testing.assert_array_equal(f["ext"][...], _oracle_for(fresh, "ext"))
        f64 = f["f64"][...]
        f64[5, 2] += 8
        f["f64"][5, 2] = f64[5, 2]
        np.testing.assert_array_equal(f["anom"][...], f64 - f64.mean(axis=0))
        np.testing.assert_array_equal(f["mean0"][...], _oracle_for(fresh, "mean0"))
        e = o["e"][...]
        e[0, :] = -1
        o["e"][0, :] = -1
        o.flush()
        np.testing.assert_array_equal(f["ext"][...], e - f64[:6])


def test_missing_operand_file_is_an_error_naming_it(fresh):
    """With other.h5 gone, reading 'ext' raises OSError naming other.h5 (no
    fill values); the other virtual datasets still read; h5dump fails and,
    with its error stack on, names the file too."""
    fresh.other.unlink()
    with h5py.File(fresh.main, "r") as f:
        with pytest.raises((OSError, KeyError)) as info:
            f["ext"][...]
        assert "other.h5" in str(info.value)
        with pytest.raises((OSError, KeyError), match="other.h5"):
            f["ext"][0, 1:3]
        np.testing.assert_array_equal(f["mix"][...], _oracle_for(fresh, "mix"))
    proc = run_tool("h5dump", "--enable-error-stack", "-d", "/ext", fresh.main)
    assert proc.returncode != 0
    assert "other.h5" in proc.stderr


@pytest.mark.parametrize("opener", ["core", "fileobj"])
def test_other_file_drivers_read_same_file_operands(fx, opener):
    """A file opened with h5py's in-memory (core) driver or from a Python
    file object reads virtual datasets whose operands are in the same file;
    with the core driver the operand in another file resolves too."""
    with open_with(fx.main, opener) as f:
        for name in ("mix", "mean0", "view", "total"):
            np.testing.assert_array_equal(f[name][...], fx.oracle[name])
        if opener == "core":
            np.testing.assert_array_equal(f["ext"][...], fx.oracle["ext"])


def open_with(path, opener):
    if opener == "core":
        return h5py.File(path, "r", driver="core")
    return h5py.File(open(path, "rb"), "r")


def test_file_object_reads_operands_from_their_own_files(fresh):
    """Regression: h5py.File(python_file_object) (how fsspec/S3 users open
    files). The operand ds("other.h5", "/e") once inherited h5py's
    file-object driver and was looked up in the file object's own bytes: a
    decoy /e in main.h5 was silently used. It must come from other.h5."""
    with h5py.File(fresh.main, "a") as f:
        f["e"] = np.full((6, 5), 1000.0)  # a decoy in main.h5
    want = _oracle_for(fresh, "ext")
    with h5py.File(fresh.main, "r") as f:
        np.testing.assert_array_equal(f["ext"][...], want)  # by path: right
    with open(fresh.main, "rb") as fobj, h5py.File(fobj, "r") as f:
        try:
            got = f["ext"][...]
        except (OSError, KeyError) as e:
            assert "other.h5" in str(e)
        else:
            np.testing.assert_array_equal(got, want)


def test_missing_top_level_file_is_file_not_found(tmp_path):
    """h5py's FileNotFoundError for a missing file survives the connector,
    for every read mode."""
    for mode in ("r", "r+"):
        with pytest.raises(FileNotFoundError):
            h5py.File(tmp_path / "nope.h5", mode)


# ---------------------------------------------------------------------------
# copies of a virtual dataset's attributes on stored data


def test_stored_dataset_with_copied_definition_reads_as_stored(fx, tmp_path):
    """Regression: copying a dataset's values and attributes is how h5py and
    xarray users (and h5repack) copy data. A stored subset of 'anom' that
    carries its definition attributes, next to a stored subset of 'f64',
    once read back as the anomaly of the subset — other numbers than were
    stored, with no error. It must read what was stored, as natively."""
    out = tmp_path / "subset.h5"
    with h5py.File(fx.main, "r") as f, h5py.File(out, "w") as g:
        g["f64"] = f["f64"][:2]
        g["anom"] = f["anom"][:2]
        for key, value in f["anom"].attrs.items():
            g["anom"].attrs[key] = value
    stored = fx.oracle["anom"][:2]
    np.testing.assert_array_equal(read_natively(out, ["anom"])["anom"], stored)
    with h5py.File(out, "r") as g:
        np.testing.assert_array_equal(g["anom"][...], stored)


# ---------------------------------------------------------------------------
# xarray with the h5netcdf engine

def need(module):
    """Import a reader the suite requires (installed by scripts/deps.sh from
    tests/python/requirements-readers.txt): a missing one is a failure, not
    a skip."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        pytest.fail(f"{module} is not installed ({e}); run scripts/deps.sh, which installs "
                    "tests/python/requirements-readers.txt")


TEMP = (np.arange(4 * 6, dtype=np.float64).reshape(4, 6) * 3 % 17) / 8 + 270
TIME = np.arange(4.0)
XS = np.arange(6) * 10


@pytest.fixture
def ncfile(tmp_path):
    """A netCDF-4 file written by h5netcdf (dimensions time and x, their
    coordinate variables, temp(time, x) chunked 3x5), virtual variables
    anom = temp - mean(temp, axis=0) and xk = x * 2 defined by h5lazy, which
    attaches the dimension scales of their operands' axes (xk's operand is
    the coordinate variable x itself)."""
    h5netcdf = need("h5netcdf")
    f = tmp_path / "nc.h5"
    with h5netcdf.File(f, "w") as nc:
        nc.dimensions = {"time": 4, "x": 6}
        nc.create_variable("time", ("time",), data=TIME)
        nc.create_variable("x", ("x",), data=XS)
        v = nc.create_variable("temp", ("time", "x"), data=TEMP, chunks=(3, 5))
        v.attrs["units"] = "K"
    assert_ok(define(f, "anom", "temp - mean(temp, axis=0)"))
    assert_ok(define(f, "xk", "x * 2"))
    with h5py.File(f, "a") as h:
        assert [[s.name for s in h["anom"].dims[k].values()] for k in (0, 1)] == [["/time"], ["/x"]]
        assert [s.name for s in h["xk"].dims[0].values()] == ["/x"]
        h["anom"].attrs["units"] = "K"
    return f


def test_xarray_readers_use_our_h5py(ncfile):
    """Importing xarray and h5netcdf keeps this process on the h5py built
    against the project's HDF5 (deps.sh installs them after h5py)."""
    need("h5netcdf")
    need("xarray")
    assert h5py.version.hdf5_version == os.environ["H5LAZY_HDF5_VERSION"]
    assert Path(h5py.__file__).resolve().is_relative_to(Path(sys.prefix).resolve())
    libs = {os.path.realpath(line.split()[-1]) for line in open("/proc/self/maps")
            if "libhdf5.so" in line}
    assert {os.path.dirname(lib) for lib in libs} == {os.path.realpath(os.environ["H5LAZY_HDF5_LIB"])}


def test_xarray_h5netcdf_computes_on_a_virtual_variable(ncfile):
    """xarray (engine h5netcdf) opens the virtual variables with the
    dimensions of their dimension scales and the coordinates, and mean, sel,
    isel, where and arithmetic with a stored variable match numpy."""
    xr = need("xarray")
    anom = TEMP - TEMP.mean(axis=0)
    with xr.open_dataset(ncfile, engine="h5netcdf") as ds:
        assert ds["anom"].dims == ("time", "x")
        assert ds["xk"].dims == ("x",)
        assert ds["anom"].dtype == np.float64 and ds["anom"].shape == (4, 6)
        assert ds["anom"].attrs["units"] == "K"
        assert ds["anom"].attrs["h5lazy_expression"] == "temp - mean(temp, axis=0)"
        np.testing.assert_array_equal(ds["anom"].values, anom)
        np.testing.assert_array_equal(ds["xk"].values, XS * 2)
        np.testing.assert_allclose(ds["anom"].mean("time").values, anom.mean(axis=0), atol=1e-12)
        np.testing.assert_array_equal(ds["anom"].mean("x").values, anom.mean(axis=1))
        np.testing.assert_array_equal(ds["anom"].sel(x=20).values, anom[:, 2])
        np.testing.assert_array_equal(ds["anom"].sel(time=slice(1.0, 2.0), x=[10, 50]).values,
                                      anom[1:3][:, [1, 5]])
        np.testing.assert_array_equal(ds["anom"].isel(time=-1, x=slice(None, None, 2)).values,
                                      anom[-1, ::2])
        np.testing.assert_array_equal((ds["anom"] + ds["temp"]).values, anom + TEMP)
        np.testing.assert_array_equal(ds["anom"].where(ds["xk"] > 40).max("x").values,
                                      anom[:, 3:].max(axis=1))


def test_h5netcdf_needs_dimension_scales_as_for_stored_data(ncfile):
    """h5netcdf (phony_dims=None) names the dimensions of a virtual variable
    from the dimension scales attached to it; without scales (its operand
    has none) a virtual variable fails exactly as a stored one without them
    does. (xarray's h5netcdf backend turns phony_dims=None into 'access',
    which names unlabelled axes after the group's dimensions of the same
    size, so there both open.)"""
    h5netcdf = need("h5netcdf")
    xr = need("xarray")
    with h5py.File(ncfile, "a") as h:
        h["plain"] = TEMP
        h["bare_stored"] = TEMP * 2
    assert_ok(define(ncfile, "bare", "plain * 2"))
    with h5netcdf.File(ncfile, "r", phony_dims=None) as nc:
        assert nc.variables["anom"].dimensions == ("time", "x")
        assert nc.variables["xk"].dimensions == ("x",)
        np.testing.assert_array_equal(nc.variables["anom"][1:3, ::2],
                                      (TEMP - TEMP.mean(axis=0))[1:3, ::2])
        messages = []
        for name in ("bare", "bare_stored"):
            with pytest.raises(ValueError) as info:
                nc.variables[name].dimensions
            messages.append(str(info.value).replace(name, "NAME"))
        assert messages[0] == messages[1]
        assert "has no dimension scale associated with axis 0" in messages[0]
    with xr.open_dataset(ncfile, engine="h5netcdf", phony_dims="sort") as ds:
        np.testing.assert_array_equal(ds["bare"].values, TEMP * 2)
        assert ds["bare"].dims == ds["bare_stored"].dims


def test_xarray_to_netcdf_of_a_virtual_variable(ncfile, tmp_path):
    """Regression: saving a dataset read from a file with a virtual variable
    (ds.to_netcdf, engine h5netcdf) writes the variable's attributes —
    h5lazy's definition included — before its data; the connector once took
    the new stored variable for a virtual one and refused the data write.
    It saves as stored data does."""
    xr = need("xarray")
    out = tmp_path / "saved.nc"
    with xr.open_dataset(ncfile, engine="h5netcdf") as ds:
        ds.isel(time=slice(0, 2)).to_netcdf(out, engine="h5netcdf")
    anom = TEMP - TEMP.mean(axis=0)
    np.testing.assert_array_equal(read_natively(out, ["anom"])["anom"], anom[:2])
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        np.testing.assert_array_equal(ds["anom"].values, anom[:2])
