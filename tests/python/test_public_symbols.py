"""The plugin uses HDF5's public API only (issue 14): every H5* symbol a
connector build leaves undefined, and every H5* name the plugin looks up at
run time (dlsym), is declared by the public headers of the line it serves;
the loader's, by those of every line. Library-internal functions (such as
H5S_copy and H5I_register, which the H5S_PLIST path once found with dlsym)
are in no installed header, and differ between the lines."""
import os
import re
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

PLUGIN = Path(os.environ.get("H5LAZY_PLUGIN_DIR", ""))


def lines():
    """{line: include directory} of the lines this plugin directory serves."""
    found = {os.environ["H5LAZY_HDF5_LINE"]: os.environ["H5LAZY_HDF5_INCLUDE"]}
    if os.environ.get("H5LAZY_OTHER_HDF5_LINE"):
        found[os.environ["H5LAZY_OTHER_HDF5_LINE"]] = os.environ["H5LAZY_OTHER_HDF5_INCLUDE"]
    return found


@lru_cache(maxsize=None)
def declared(include_dir):
    """Every identifier the code (not the comments) of the public headers
    in `include_dir` mentions."""
    names = set()
    for header in Path(include_dir).glob("*.h"):
        text = header.read_text(errors="replace")
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        names.update(re.findall(r"\b[A-Za-z_]\w*\b", text))
    return frozenset(names)


def undefined_h5(path):
    """The H5* symbols the shared object `path` imports."""
    out = subprocess.run(["nm", "-D", "--undefined-only", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return {f.split()[-1] for f in out.splitlines() if f.split() and f.split()[-1].startswith("H5")}


def read_only_data(path):
    """The bytes of the .rodata section of `path`, where string literals
    (the names given to dlsym among them) are kept. Machine code is left
    out: its bytes can spell "\\0H5B\\0" by chance (they did, in one
    2.x build)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rodata"
        subprocess.run(["objcopy", "-O", "binary", "--only-section=.rodata", str(path), str(out)],
                       check=True)
        return out.read_bytes()


def looked_up(path):
    """H5* names stored as strings of their own in the read-only data of
    `path`: what dlsym can be asked for (a name inside a longer message is
    not one)."""
    data = b"\0" + read_only_data(path)
    # A function or variable of HDF5 has a lower-case letter or an
    # underscore after its package letters (H5Dread, H5T_NATIVE_INT_g);
    # a bare "H5B" in a table of numbers is no name.
    names = {m.decode() for m in re.findall(rb"(?<=\x00)H5[A-Z]*[a-z_]\w*(?=\x00)", data)}
    return {n for n in names if not n.startswith("H5LAZY")}  # h5lazy's own (h5lazy_vol.h)


def undeclared(names, include_dir):
    return sorted(n for n in names if n not in declared(include_dir))


@pytest.mark.parametrize("line", sorted(lines()))
def test_connector_build_uses_public_names_only(line):
    build = PLUGIN / "h5lazy" / f"impl-hdf5-{line}.so"
    names = undefined_h5(build) | looked_up(build)
    assert len(names) > 100  # the whole pass-through imports hundreds
    assert undeclared(names, lines()[line]) == []


def test_loader_uses_public_names_of_every_line():
    loader = PLUGIN / "libh5lazy_vol.so"
    assert undefined_h5(loader) == set()  # it links no libhdf5
    names = looked_up(loader)
    assert {"H5get_libversion", "H5Epush2", "H5PLget_plugin_info"} <= names
    for line, include in lines().items():
        assert undeclared(names, include) == [], line


def test_internal_names_are_not_declared():
    """The check can fail: library-internal functions, and functions a line
    removed, are not declared."""
    for include in lines().values():
        assert undeclared({"H5S_copy", "H5I_register", "H5Dread"}, include) == ["H5I_register", "H5S_copy"]
    if "2" in lines():
        assert undeclared({"H5VLpeek_connector_id_by_name", "H5VL_pass_through_register"},
                          lines()["2"]) == ["H5VL_pass_through_register", "H5VLpeek_connector_id_by_name"]
