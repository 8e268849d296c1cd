"""h5lazy for h5py users: define, show, check and evaluate virtual datasets
from Python, without the ``h5lazy`` command.

    import h5py, h5lazy
    with h5py.File("climate.h5", "a") as f:          # opened through h5lazy
        h5lazy.define(f, "anomaly", "t - mean(t, axis=0)")
        print(h5lazy.show(f, "anomaly"))
        bad = [c for c in h5lazy.check(f) if not c.ok]
        first_rows = h5lazy.evaluate(f, "t * 2", selection=np.s_[:2])

The functions call the h5lazy connector's own operations (``h5lazy.define``
and ``h5lazy.inspect``, declared in vol/h5lazy_vol.h) through ctypes, on the
h5py file's HDF5 identifier, in the very libhdf5 that h5py has loaded (a
pip wheel's private copy included). The file must therefore be open
*through the connector*: either set ``HDF5_PLUGIN_PATH`` and
``HDF5_VOL_CONNECTOR`` before h5py is imported (then every ``h5py.File``
is), or open it with :func:`open_file`, which builds a file access property
list that selects the connector.

Installed from the wheel, the package carries the plugin directory
(``h5lazy/plugin``, the connector for HDF5 1.14 and 2.x): importing h5lazy
before h5py or netCDF4 sets both variables when they are unset (importing
h5lazy does not import h5py), and ``python -m h5lazy env`` prints them for
a shell.

Failures raise :class:`Error` carrying h5lazy's messages (walked from the
HDF5 error stack) and, for expression errors, the line and column.

Linux only for now: the libhdf5 is found with dladdr and /proc/self/maps.
"""
import ctypes
import os
import re
import sys
from collections import namedtuple

CONNECTOR_NAME = "h5lazy"      # H5LAZY_VOL_NAME
# The connector over native, as HDF5_VOL_CONNECTOR names it.
CONNECTOR_SETTING = "h5lazy under_vol=0;under_info={}"
# The wheel's plugin directory; None in a source tree (then HDF5_PLUGIN_PATH
# names the build's).
PLUGIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugin")
if not os.path.isfile(os.path.join(PLUGIN_DIR, "libh5lazy_vol.so")):
    PLUGIN_DIR = None


def environment():
    """The two variables that make every HDF5 program of this process (or a
    shell's) read virtual datasets, as a dict; empty outside a wheel."""
    if PLUGIN_DIR is None:
        return {}
    return {"HDF5_PLUGIN_PATH": PLUGIN_DIR, "HDF5_VOL_CONNECTOR": CONNECTOR_SETTING}


def _set_up_environment():
    """Set the variables (those not set already) before HDF5 starts: HDF5
    reads them once, when h5py or netCDF4 is imported."""
    if any(m in sys.modules for m in ("h5py", "netCDF4")):
        return
    for key, value in environment().items():
        os.environ.setdefault(key, value)


_set_up_environment()

# h5py is imported by the functions that use it, not here: `import h5lazy`
# before netCDF4 alone must not bring h5py's libhdf5 into the process.
import numpy as np  # noqa: E402

__all__ = ["Error", "Definition", "CheckResult", "Operand", "define", "show", "check", "evaluate", "save",
           "operands", "open_file", "libhdf5_path", "environment", "PLUGIN_DIR"]

OP_DEFINE = b"h5lazy.define"   # H5LAZY_OP_DEFINE
OP_INSPECT = b"h5lazy.inspect"  # H5LAZY_OP_INSPECT
H5S_MAX_RANK = 32
H5VL_SUBCLS_FILE = 6           # H5VL_subclass_t (H5VLpublic.h)
H5E_WALK_UPWARD = 0
INSPECT_OPEN, INSPECT_READ, INSPECT_DESCRIBE, INSPECT_CLOSE = range(4)
DESCRIBE_TEXT, DESCRIBE_DOT, DESCRIBE_OPERANDS = range(3)  # h5lazy_inspect_args_t.dot
ATTR_TEXT, ATTR_INT, ATTR_FLOAT = range(3)                 # h5lazy_attr_kind_t
# What one READ of evaluate() asks for at most (the command's pieces).
PIECE_BYTES = 16 << 20

hid_t = ctypes.c_int64
hsize_t = ctypes.c_uint64
herr_t = ctypes.c_int


# ---------------------------------------------------------------------------
# The structs of vol/h5lazy_vol.h (and two of HDF5's), field for field.


class Diagnostic(ctypes.Structure):
    """h5lazy_diagnostic_t: where an expression error is."""
    _fields_ = [("line", ctypes.c_int),
                ("column", ctypes.c_int),
                ("message", ctypes.c_char * 400)]


class AttrArg(ctypes.Structure):
    """h5lazy_attr_t: one attribute define sets."""
    _fields_ = [("name", ctypes.c_char_p),
                ("kind", ctypes.c_int),
                ("text", ctypes.c_char_p),
                ("integer", ctypes.c_longlong),
                ("number", ctypes.c_double)]


class DimArg(ctypes.Structure):
    """h5lazy_dim_t: the dimension define names for an axis."""
    _fields_ = [("axis", ctypes.c_int),
                ("name", ctypes.c_char_p)]


class DefineArgs(ctypes.Structure):
    """h5lazy_define_args_t."""
    _fields_ = [("name", ctypes.c_char_p),
                ("expression", ctypes.c_char_p),
                ("nchunks", ctypes.c_int),
                ("chunks", ctypes.POINTER(hsize_t)),
                ("overwrite", ctypes.c_int),
                ("diag", ctypes.POINTER(Diagnostic)),
                ("dtype", ctypes.c_char * 16),
                ("rank", ctypes.c_int),
                ("dims", hsize_t * H5S_MAX_RANK),
                ("fill", ctypes.c_int),
                ("fill_value", ctypes.c_double),
                ("nattrs", ctypes.c_int),
                ("attrs", ctypes.POINTER(AttrArg)),
                ("attrs_from", ctypes.c_char_p),
                ("ndims", ctypes.c_int),
                ("dim_names", ctypes.POINTER(DimArg))]


class InspectArgs(ctypes.Structure):
    """h5lazy_inspect_args_t."""
    _fields_ = [("action", ctypes.c_int),
                ("handle", ctypes.c_void_p),
                ("name", ctypes.c_char_p),
                ("expression", ctypes.c_char_p),
                ("diag", ctypes.POINTER(Diagnostic)),
                ("is_virtual", ctypes.c_int),
                ("dtype", ctypes.c_char * 16),
                ("rank", ctypes.c_int),
                ("dims", hsize_t * H5S_MAX_RANK),
                ("chunks", hsize_t * H5S_MAX_RANK),
                ("start", ctypes.POINTER(hsize_t)),
                ("stride", ctypes.POINTER(hsize_t)),
                ("count", ctypes.POINTER(hsize_t)),
                ("buf", ctypes.c_void_p),
                ("dot", ctypes.c_int),
                ("text", ctypes.c_void_p)]  # char *, freed with H5free_memory


class OptionalArgs(ctypes.Structure):
    """H5VL_optional_args_t (H5VLconnector.h)."""
    _fields_ = [("op_type", ctypes.c_int),
                ("args", ctypes.c_void_p)]


class ErrorRecord(ctypes.Structure):
    """H5E_error2_t (H5Epublic.h)."""
    _fields_ = [("cls_id", hid_t),
                ("maj_num", hid_t),
                ("min_num", hid_t),
                ("line", ctypes.c_uint),
                ("func_name", ctypes.c_char_p),
                ("file_name", ctypes.c_char_p),
                ("desc", ctypes.c_char_p)]


WALK_CALLBACK = ctypes.CFUNCTYPE(herr_t, ctypes.c_uint, ctypes.POINTER(ErrorRecord),
                                 ctypes.c_void_p)

# ---------------------------------------------------------------------------
# Results and errors

Definition = namedtuple("Definition", "name dtype shape")
Definition.__doc__ = "What define() made: the dataset's path, numpy dtype and shape."

Operand = namedtuple("Operand", "name stored_dtype dtype decoding")
Operand.__doc__ = ("One operand of a virtual dataset or expression, as operands() finds it: its "
                   "name as h5lazy show writes it, the numpy dtype it stores, the dtype the "
                   "expression sees (after CF decoding), and which decoding applies, in words.")

CheckResult = namedtuple("CheckResult", "name ok message")
CheckResult.__doc__ = ("One virtual dataset as check() found it: its path, whether it "
                       "evaluates, and its type and shape ('float64 (4, 6)') or the reason.")


class Error(Exception):
    """An h5lazy operation failed. ``messages`` are h5lazy's (outermost
    first, as the h5lazy command prints them); ``line`` and ``column`` say
    where in ``expression`` an expression error is (0 when not about text)."""

    def __init__(self, messages, line=0, column=0, expression=None):
        self.messages = list(messages)
        self.line = line
        self.column = column
        self.expression = expression
        super().__init__(self._text())

    def _text(self):
        text = "\n".join(self.messages)
        if self.column > 0 and self.expression is not None:
            lines = self.expression.split("\n")
            if 0 < self.line <= len(lines):
                text += f"\n    {lines[self.line - 1]}\n    {' ' * (self.column - 1)}^"
        return text


# ---------------------------------------------------------------------------
# The libhdf5 that h5py uses

_LIB = None
_LIB_PATH = None
_LIBNAME = re.compile(r"^libhdf5(-[0-9a-f]+)?\.so(\.\d+)*$")


class _DlInfo(ctypes.Structure):
    """Dl_info (dlfcn.h)."""
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _h5py_libhdf5():
    """The libhdf5 h5py's extension modules are bound to (a process may map
    another, e.g. netCDF4's wheel's), or None when that cannot be told."""
    try:
        import h5py.h5 as ext
        # RTLD_NOLOAD: the module already loaded; H5open resolves through its
        # own dependencies, i.e. in h5py's libhdf5.
        addr = ctypes.cast(ctypes.CDLL(ext.__file__, mode=os.RTLD_NOLOAD).H5open, ctypes.c_void_p).value
        info = _DlInfo()
        if ctypes.CDLL(None).dladdr(ctypes.c_void_p(addr), ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(os.fsdecode(info.dli_fname))
    except (OSError, AttributeError):
        pass
    return None


def libhdf5_path():
    """The path of the libhdf5 h5py uses: the one its extension modules are
    bound to, else the only one in /proc/self/maps. Raises Error when it
    cannot be told."""
    bound = _h5py_libhdf5()
    if bound:
        return bound
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and fields[5].startswith("/"):
                path = fields[5].strip()
                if _LIBNAME.match(os.path.basename(path)):
                    found.add(os.path.realpath(path))
    if len(found) != 1:
        raise Error([f"cannot tell which libhdf5 h5py uses: found {sorted(found) or 'none'}"])
    return found.pop()


def _lib():
    """ctypes handle on h5py's libhdf5, with the prototypes used here."""
    global _LIB, _LIB_PATH
    if _LIB is not None:
        return _LIB
    path = libhdf5_path()
    # RTLD_NOLOAD: the library already in the process, never a second copy.
    lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LOCAL)
    protos = {
        "H5VLfind_opt_operation": (herr_t, [ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
        # The macro H5VLfile_optional_op(...) adds the caller's file, function and line.
        "H5VLfile_optional_op": (herr_t, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint, hid_t,
                                          ctypes.POINTER(OptionalArgs), hid_t, hid_t]),
        "H5VLget_connector_name": (ctypes.c_ssize_t, [hid_t, ctypes.c_char_p, ctypes.c_size_t]),
        "H5VLregister_connector_by_name": (hid_t, [ctypes.c_char_p, hid_t]),
        "H5VLconnector_str_to_info": (herr_t, [ctypes.c_char_p, hid_t, ctypes.POINTER(ctypes.c_void_p)]),
        "H5VLfree_connector_info": (herr_t, [hid_t, ctypes.c_void_p]),
        "H5Pcreate": (hid_t, [hid_t]),
        "H5Pset_vol": (herr_t, [hid_t, hid_t, ctypes.c_void_p]),
        "H5PLappend": (herr_t, [ctypes.c_char_p]),
        "H5Eget_current_stack": (hid_t, []),
        "H5Ewalk2": (herr_t, [hid_t, ctypes.c_int, WALK_CALLBACK, ctypes.c_void_p]),
        "H5Eclose_stack": (herr_t, [hid_t]),
        "H5Eclear2": (herr_t, [hid_t]),
        "H5Eget_class_name": (ctypes.c_ssize_t, [hid_t, ctypes.c_char_p, ctypes.c_size_t]),
        "H5free_memory": (herr_t, [ctypes.c_void_p]),
        "H5open": (herr_t, []),
    }
    for name, (restype, argtypes) in protos.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    lib.H5open()
    _LIB, _LIB_PATH = lib, path
    return lib


def _global_hid(name):
    """The value of one of libhdf5's global identifiers, e.g. the default
    transfer property list behind H5P_DATASET_XFER_DEFAULT."""
    return hid_t.in_dll(_lib(), name).value


def _phil():
    """h5py's global lock, held while calling HDF5 as h5py itself does."""
    try:
        from h5py._objects import phil
        return phil
    except ImportError:  # pragma: no cover - h5py without it
        import contextlib
        return contextlib.nullcontext()


# ---------------------------------------------------------------------------
# Calling the connector


def _error_messages(what):
    """h5lazy's messages on the current HDF5 error stack, outermost first
    (else the innermost message of any class, after `what`); clears it."""
    lib = _lib()
    ours, innermost = [], []

    def collect(n, err, _data):
        rec = err.contents
        desc = (rec.desc or b"").decode("utf-8", "replace")
        if n == 0:
            innermost.append(desc)
        cls = ctypes.create_string_buffer(64)
        lib.H5Eget_class_name(rec.cls_id, cls, 64)
        if cls.value == CONNECTOR_NAME.encode():
            ours.append(desc)
        return 0

    stack = lib.H5Eget_current_stack()  # a copy; the walk may reset the current one
    if stack >= 0:
        lib.H5Ewalk2(stack, H5E_WALK_UPWARD, WALK_CALLBACK(collect), None)
        lib.H5Eclose_stack(stack)
    lib.H5Eclear2(0)
    if ours:
        return ours[::-1]
    if innermost and innermost[0]:
        return [f"{what}: {innermost[0]}"]
    return [what]


def _file_id(obj):
    """The HDF5 file identifier of an h5py File, Group or Dataset."""
    try:
        return obj.file.id.id
    except AttributeError:
        raise TypeError(f"expected an h5py File or Group, got {type(obj).__name__}") from None


def _require_connector(fid):
    """Raise Error unless the file is open through the h5lazy connector."""
    lib = _lib()
    buf = ctypes.create_string_buffer(64)
    n = lib.H5VLget_connector_name(fid, buf, 64)
    if n < 0:
        lib.H5Eclear2(0)
    if buf.value.decode() != CONNECTOR_NAME:
        raise Error([f"the file is open through the '{buf.value.decode() or '?'}' VOL connector, "
                     "not h5lazy: set HDF5_VOL_CONNECTOR (and HDF5_PLUGIN_PATH) before importing "
                     "h5py, or open it with h5lazy.open_file()"])


def _operation(name):
    """The value the connector's optional operation `name` was given."""
    lib = _lib()
    op = ctypes.c_int()
    if lib.H5VLfind_opt_operation(H5VL_SUBCLS_FILE, name, ctypes.byref(op)) < 0:
        raise Error(_error_messages(f"the h5lazy operation {name.decode()} is not registered"))
    return op.value


def _call(fid, op_name, args, what):
    """Run an optional operation of the connector on file `fid`; Error (with
    the diagnostic's position if any) on failure."""
    lib = _lib()
    opt = OptionalArgs(_operation(op_name), ctypes.cast(ctypes.pointer(args), ctypes.c_void_p))
    status = lib.H5VLfile_optional_op(__file__.encode(), b"h5lazy._call", 0, fid,
                                      ctypes.byref(opt), _global_hid("H5P_LST_DATASET_XFER_ID_g"), 0)
    if status < 0:
        return _error_messages(what)
    return None


def _shape(rank, dims):
    return tuple(int(dims[k]) for k in range(rank))


def _shape_text(dtype, shape):
    """'float64 (4, 6)', as the h5lazy command writes a type and shape."""
    inner = ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "")
    return f"{dtype} ({inner})"


class _Session:
    """An inspect session (OPEN ... CLOSE) over a named dataset or an
    expression; `args` holds what OPEN found."""

    def __init__(self, fid, name=None, expression=None):
        self.fid = fid
        self.diag = Diagnostic()
        self._name = name.encode() if name is not None else None
        self._expr = expression.encode() if expression is not None else None
        self.args = InspectArgs(action=INSPECT_OPEN, name=self._name, expression=self._expr,
                                diag=ctypes.pointer(self.diag))
        self.expression = expression

    def __enter__(self):
        what = f"cannot open '{self._name.decode()}'" if self._name else "cannot evaluate"
        errors = _call(self.fid, OP_INSPECT, self.args, what)
        if errors:
            raise Error(errors, self.diag.line, self.diag.column, self.expression)
        return self

    def __exit__(self, *exc):
        if self.args.handle:
            self.args.action = INSPECT_CLOSE
            _call(self.fid, OP_INSPECT, self.args, "close")
            self.args.handle = None
        return False

    @property
    def is_virtual(self):
        return bool(self.args.is_virtual)

    @property
    def dtype(self):
        return self.args.dtype.decode()

    @property
    def shape(self):
        return _shape(self.args.rank, self.args.dims)

    def describe(self, style=DESCRIBE_TEXT):
        """DESCRIBE: the text, DOT or operand lines of the session."""
        self.args.action = INSPECT_DESCRIBE
        self.args.dot = style
        errors = _call(self.fid, OP_INSPECT, self.args, "cannot describe")
        if errors:
            raise Error(errors)
        text = ctypes.string_at(self.args.text).decode("utf-8", "replace")
        _lib().H5free_memory(self.args.text)
        self.args.text = None
        return text

    def read(self, start, count, out):
        """READ the box start/count into the C-contiguous array `out`."""
        rank = self.args.rank
        c_start, c_count = (hsize_t * max(rank, 1))(*start), (hsize_t * max(rank, 1))(*count)
        self.args.action = INSPECT_READ
        self.args.start = ctypes.cast(c_start, ctypes.POINTER(hsize_t))
        self.args.count = ctypes.cast(c_count, ctypes.POINTER(hsize_t))
        self.args.stride = None
        self.args.buf = out.ctypes.data
        errors = _call(self.fid, OP_INSPECT, self.args, "evaluation failed")
        if errors:
            raise Error(errors)


def _dataset_names(fid_obj):
    """Paths of every dataset in the file, in name order (no dataset is
    opened, so broken virtual ones are listed too)."""
    import h5py.h5o
    names = []

    def visit(name, info):
        if info.type == h5py.h5o.TYPE_DATASET:
            names.append("/" + name.decode())

    h5py.h5o.visit(fid_obj, visit, info=True)
    return names


# ---------------------------------------------------------------------------
# The API


def _attr_args(attrs):
    """define()'s `attrs` mapping as h5lazy_attr_t entries (the array keeps
    the bytes its fields point to alive, as ctypes does)."""
    items = list(attrs.items()) if attrs else []
    arr = (AttrArg * max(len(items), 1))()
    for i, (key, value) in enumerate(items):
        if not isinstance(key, str):
            raise TypeError(f"attribute names must be str, got {key!r}")
        arr[i].name = key.encode()
        if isinstance(value, str):
            arr[i].kind, arr[i].text = ATTR_TEXT, value.encode()
        elif isinstance(value, (bool, np.bool_)):
            raise TypeError(f"attribute {key!r}: a bool is neither a number nor text in netCDF")
        elif isinstance(value, (int, np.integer)):
            if not -2**63 <= int(value) < 2**63:
                raise OverflowError(f"attribute {key!r}: {value} does not fit in int64")
            arr[i].kind, arr[i].integer = ATTR_INT, int(value)
        elif isinstance(value, (float, np.floating)):
            arr[i].kind, arr[i].number = ATTR_FLOAT, float(value)
        else:
            raise TypeError(f"attribute {key!r}: values must be str, int or float, got "
                            f"{type(value).__name__}")
    return arr, len(items)


def _dim_args(dims):
    """define()'s `dims` ({axis: name} or [(axis, name), ...]) as h5lazy_dim_t."""
    items = list(dims.items()) if isinstance(dims, dict) else list(dims or [])
    arr = (DimArg * max(len(items), 1))()
    for i, (axis, dim) in enumerate(items):
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not isinstance(dim, str):
            raise TypeError(f"dims entries are axis: name (int: str), got {axis!r}: {dim!r}")
        arr[i].axis, arr[i].name = int(axis), dim.encode()
    return arr, len(items)


def define(where, name, expression, chunks=None, overwrite=False, fill_value=None, attrs=None,
           attrs_from=None, dims=None):
    """Define the virtual dataset `name` (relative to the h5py File or Group
    `where`; groups created as needed) as `expression`, as `h5lazy define`
    does. `chunks`: the evaluation chunk per axis (default: that of an
    operand with the result's shape, else ~1 MiB blocks). `overwrite`
    replaces an existing virtual dataset (stored data is never replaced).

    For netCDF and CF readers (h5lazy define's options of the same names):
    `fill_value` writes missing values as that number and makes it the
    _FillValue (default: NaN, for float results); `attrs` ({name: str, int
    or float}) sets attributes; `attrs_from` names an operand whose
    descriptive attributes are copied; `dims` ({axis: name}) names the
    dimension of axes, e.g. new ones made by stack.
    Returns a Definition(name, dtype, shape); raises Error."""
    fid = _file_id(where)
    base = "" if name.startswith("/") or where.name in (None, "/") else where.name
    path = f"{base}/{name.lstrip('/')}"
    chunk_list = [int(c) for c in chunks] if chunks is not None else []
    c_chunks = (hsize_t * max(len(chunk_list), 1))(*chunk_list)
    c_attrs, nattrs = _attr_args(attrs)
    c_dims, ndims = _dim_args(dims)
    diag = Diagnostic()
    args = DefineArgs(name=path.encode(), expression=expression.encode(), nchunks=len(chunk_list),
                      chunks=ctypes.cast(c_chunks, ctypes.POINTER(hsize_t)),
                      overwrite=1 if overwrite else 0, diag=ctypes.pointer(diag),
                      fill=0 if fill_value is None else 1,
                      fill_value=0.0 if fill_value is None else float(fill_value),
                      nattrs=nattrs, attrs=ctypes.cast(c_attrs, ctypes.POINTER(AttrArg)),
                      attrs_from=None if attrs_from is None else attrs_from.encode(),
                      ndims=ndims, dim_names=ctypes.cast(c_dims, ctypes.POINTER(DimArg)))
    with _phil():
        _require_connector(fid)
        errors = _call(fid, OP_DEFINE, args, f"cannot define '{path}'")
    if errors:
        raise Error(errors, diag.line, diag.column, expression)
    return Definition(path, np.dtype(args.dtype.decode()), _shape(args.rank, args.dims))


def show(file, name=None, dot=False):
    """What the virtual dataset `name` is (every virtual dataset of the file
    when None), as `h5lazy show` prints it: expression, result, graph,
    operands and reads per evaluation chunk; Graphviz DOT with dot=True
    (one digraph per dataset). Datasets are separated by one blank line.
    Raises Error for a stored dataset or one that cannot be evaluated; with
    name=None the error lists every failure and its `text` attribute holds
    what could be shown."""
    fid = _file_id(file)
    with _phil():
        _require_connector(fid)
        names = [name] if name is not None else _dataset_names(file.file.id)
        texts, failures = [], []
        for n in names:
            try:
                with _Session(fid, name=n) as s:
                    if not s.is_virtual:
                        if name is not None:
                            raise Error([f"'{n}' is a stored dataset, not a virtual one"])
                        continue
                    texts.append(s.describe(DESCRIBE_DOT if dot else DESCRIBE_TEXT))
            except Error as e:
                if name is not None:
                    raise
                failures.extend(e.messages)
    text = ("" if dot else "\n").join(texts)
    if failures:
        err = Error(failures)
        err.text = text
        raise err
    return text


def check(file):
    """Check every virtual dataset of the file as `h5lazy check` does: its
    definition parses, its operands exist with the types and shapes that
    give what it was defined as, no cycles. Returns CheckResult(name, ok,
    message) per virtual dataset, in name order; message is the type and
    shape when ok ('float64 (4, 6)'), else h5lazy's reason."""
    fid = _file_id(file)
    results = []
    with _phil():
        _require_connector(fid)
        for n in _dataset_names(file.file.id):
            try:
                with _Session(fid, name=n) as s:
                    if s.is_virtual:
                        results.append(CheckResult(n, True, _shape_text(s.dtype, s.shape)))
            except Error as e:
                results.append(CheckResult(n, False, "\n".join(e.messages)))
    return results


def operands(file, name=None, expression=None):
    """The operands of the virtual dataset `name` (or of `expression` over
    the file's datasets, operands from the root group), in order of first
    use: Operand(name, stored_dtype, dtype, decoding) each, saying which CF
    decoding applies (the text h5lazy show prints under each operand).
    Raises Error, as show() does."""
    if (name is None) == (expression is None):
        raise TypeError("operands() wants a dataset name or an expression (one of them)")
    fid = _file_id(file)
    with _phil():
        _require_connector(fid)
        with _Session(fid, name=name, expression=expression) as s:
            if not s.is_virtual:
                raise Error([f"'{name}' is a stored dataset, not a virtual one"])
            text = s.describe(DESCRIBE_OPERANDS)
    result = []
    for line in text.splitlines():
        label, stored, seen, decoding = line.rsplit("\t", 3)
        result.append(Operand(label, np.dtype(stored), np.dtype(seen), decoding))
    return result


def _index_text(selection):
    """numpy indexing (an index, a slice, Ellipsis, None or a tuple of them;
    or the text '[...]') as h5lazy's indexing text."""
    if isinstance(selection, str):
        text = selection.strip()
        return text if text.startswith("[") else f"[{text}]"
    items = selection if isinstance(selection, tuple) else (selection,)
    parts = []
    for item in items:
        if item is Ellipsis:
            parts.append("...")
        elif item is None:
            parts.append("None")
        elif isinstance(item, slice):
            parts.append(":".join("" if v is None else str(int(v))
                                  for v in (item.start, item.stop, item.step)))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            parts.append(str(int(item)))
        else:
            raise TypeError(f"selection items must be ints, slices, Ellipsis or None, got {item!r}")
    return "[" + ", ".join(parts) + "]"


def evaluate(file, expression, selection=None):
    """Evaluate `expression` over the file's datasets (operands resolved
    from the root group) and return it as a numpy array (0-d for a scalar
    result). `selection` is numpy indexing (``np.s_[0:10, ::-2]``, an int,
    ...) or its text ('[0:10, ::-2]'); only that part is computed and read,
    as with `h5lazy eval --slice`. Raises Error."""
    fid = _file_id(file)
    text = expression if selection is None else f"({expression}){_index_text(selection)}"
    with _phil():
        _require_connector(fid)
        with _Session(fid, expression=text) as s:
            out = np.empty(s.shape, dtype=np.dtype(s.dtype))
            if out.size:
                _read_pieces(s, out)
    return out


def save(file, name, out_file=None, out_name=None, overwrite=False):
    """Materialise the virtual dataset `name` of `file` (an h5py File open
    through the connector) as stored data, as `h5lazy save` does: in place
    (the default: the dataset is replaced by its values, its own attributes
    kept and h5lazy's dropped), or as `out_name` (default: the same name) of
    `out_file` (a path; default: the same file). The values are computed and
    written in pieces of at most 16 MiB under a temporary name, renamed once
    complete. Returns the stored dataset's path; raises Error."""
    fid = _file_id(file)
    with _phil():
        _require_connector(fid)
    src_path = file[name].name
    with _Session(fid, name=src_path) as s:
        if not s.is_virtual:
            raise Error([f"'{src_path}' is a stored dataset already"])
    import h5py
    holder = file.file
    target = holder if out_file is None else h5py.File(out_file, "a")
    try:
        dst_path = out_name if out_name else src_path
        dst_path = "/" + dst_path.lstrip("/")
        in_place = target.id == holder.id and dst_path == src_path
        if dst_path in target and not in_place and not overwrite:
            raise Error([f"'{dst_path}' exists already (use overwrite=True to replace it)"])
        src = file[src_path]
        temp = dst_path + ".h5lazy-incomplete"
        if temp in target:
            del target[temp]
        chunks = tuple(int(c) for c in src.attrs["h5lazy_chunks"]) if src.shape else None
        dst = target.create_dataset(temp, shape=src.shape, dtype=src.dtype, chunks=chunks)
        dst.attrs["h5lazy_incomplete"] = 1
        if src.shape:
            row = max(1, src.dtype.itemsize * int(np.prod(src.shape[1:], dtype=np.int64)))
            step = max(1, PIECE_BYTES // row)
            for first in range(0, src.shape[0], step):
                dst[first:first + step] = src[first:first + step]
        else:
            dst[()] = src[()]
        kept = {k: v for k, v in src.attrs.items() if not k.startswith("h5lazy_")} if in_place else {}
        if dst_path in target:
            del target[dst_path]
        target.move(temp, dst_path)
        stored = target[dst_path]
        del stored.attrs["h5lazy_incomplete"]
        for key, value in kept.items():
            stored.attrs[key] = value
        return dst_path
    finally:
        if target is not holder:
            target.close()


def _read_pieces(session, out):
    """READ the whole result into `out`, in pieces along the first axis of
    at most PIECE_BYTES each."""
    shape = out.shape
    if not shape:
        session.read((), (), out)
        return
    row = out[0:1].nbytes or 1
    step = max(1, PIECE_BYTES // row)
    for first in range(0, shape[0], step):
        n = min(step, shape[0] - first)
        piece = np.empty((n,) + shape[1:], dtype=out.dtype)
        session.read((first,) + (0,) * (len(shape) - 1), (n,) + shape[1:], piece)
        out[first:first + n] = piece


_VOL_ID = None
_APPENDED = set()  # plugin directories added to HDF5's search path


def _connector_id():
    """The h5lazy connector's identifier, registered (loaded) once."""
    global _VOL_ID
    if _VOL_ID is None:
        vol = _lib().H5VLregister_connector_by_name(CONNECTOR_NAME.encode(), 0)
        if vol < 0:
            raise Error(_error_messages("cannot load the h5lazy VOL connector (libh5lazy_vol.so) "
                                        "from HDF5_PLUGIN_PATH"))
        _VOL_ID = vol  # kept for the life of the process, as the h5lazy command does
    return _VOL_ID


def open_file(path, mode="r", plugin_path=None, **settings):
    """Open `path` with h5py through the h5lazy connector, whatever
    HDF5_VOL_CONNECTOR says: mode 'r', 'r+' or 'a' ('a' creates a missing
    file, 'w' truncates). `settings` are the connector's info keys
    (memory='256MiB', threads=2, cache='0', files='below', under_vol=0...).
    `plugin_path`: a directory holding libh5lazy_vol.so, when
    HDF5_PLUGIN_PATH does not name it (default: the wheel's, searched after
    HDF5_PLUGIN_PATH, which netCDF4 sets to its own filter plugins).
    Returns an h5py.File."""
    import h5py
    import h5py.h5f
    import h5py.h5p
    lib = _lib()
    if plugin_path is None:
        plugin_path = PLUGIN_DIR
    with _phil():
        if plugin_path is not None and plugin_path not in _APPENDED:
            lib.H5PLappend(os.fsencode(plugin_path))
            _APPENDED.add(plugin_path)
        vol = _connector_id()
        info_text = ";".join(f"{k}={v}" for k, v in settings.items())
        info = ctypes.c_void_p()
        if info_text and lib.H5VLconnector_str_to_info(info_text.encode(), vol, ctypes.byref(info)) < 0:
            raise Error(_error_messages("bad connector settings"))
        fapl = lib.H5Pcreate(_global_hid("H5P_CLS_FILE_ACCESS_ID_g"))
        status = lib.H5Pset_vol(fapl, vol, info) if fapl >= 0 else -1
        if info:
            lib.H5VLfree_connector_info(vol, info)
        if status < 0:
            raise Error(_error_messages("cannot set up file access"))
        plist = h5py.h5p.PropFAID(fapl)  # owns fapl from here on
    name = os.fsencode(path)
    exists = os.path.exists(path)
    if mode == "r":
        fid = h5py.h5f.open(name, h5py.h5f.ACC_RDONLY, fapl=plist)
    elif mode == "r+" or (mode == "a" and exists):
        fid = h5py.h5f.open(name, h5py.h5f.ACC_RDWR, fapl=plist)
    elif mode in ("a", "w", "x", "w-"):
        flags = h5py.h5f.ACC_TRUNC if mode == "w" else h5py.h5f.ACC_EXCL
        fid = h5py.h5f.create(name, flags, fapl=plist)
    else:
        raise ValueError(f"mode must be 'r', 'r+', 'a', 'w' or 'x', got {mode!r}")
    return h5py.File(fid)
