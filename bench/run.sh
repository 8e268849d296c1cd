#!/usr/bin/env bash
# run.sh — run every benchmark and write bench/RESULTS.md, from nothing:
# install what is missing, build h5lazy (release), install the peers
# (bench/requirements.txt) into the project venv, compile the three C
# programs, then bench/bench.py generates the data and measures.
#
#   bench/run.sh [--quick] [--size T,Y,X] [--runs N] [--data DIR] ...
#
# --quick: small data, one run, results checked, no timing claims (CI);
# its report goes next to the data. bench/bench.py --help lists the rest.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${H5LAZY_BUILD:-$repo/build}
"$repo/scripts/deps.sh"
"$repo/scripts/build.sh" release
# shellcheck source=/dev/null
. "$build/deps.env"
py=$H5LAZY_VENV/bin/python

# The peers, after h5py: the constraints keep our h5py (built against our
# HDF5) and numpy, so pip never swaps in a PyPI wheel with its own libhdf5;
# biggus needs an old setuptools to build (see bench/build-constraints.txt).
h5py_id() { "$py" -c 'import h5py; print(h5py.__file__, h5py.version.hdf5_version)'; }
before=$(h5py_id)
constraints=$build/bench/constraints.txt
mkdir -p "$build/bench"
"$py" -c 'import h5py, numpy; print(f"h5py=={h5py.__version__}\nnumpy=={numpy.__version__}")' >"$constraints"
"$py" -m pip install -q -r "$repo/bench/requirements.txt" -c "$constraints" \
    --build-constraint "$repo/bench/build-constraints.txt"
after=$(h5py_id)
[ "$after" = "$before" ] || { echo "[bench] pip replaced h5py: $before -> $after" >&2; exit 1; }
[ "${after##* }" = "$H5LAZY_HDF5_VERSION" ] \
    || { echo "[bench] h5py uses HDF5 ${after##* }, not $H5LAZY_HDF5_VERSION" >&2; exit 1; }

for prog in floor read_vds limit; do
    # limit.c decodes with libdeflate on worker threads, as the connector does.
    libs=(-lhdf5)
    [ "$prog" != limit ] || libs+=(-ldeflate -lpthread)
    gcc -O2 -Wall -Wextra -Werror -I"$H5LAZY_HDF5_ROOT/include" "$repo/bench/$prog.c" \
        -o "$build/bench/$prog" -L"$H5LAZY_HDF5_LIB" -Wl,-rpath,"$H5LAZY_HDF5_LIB" "${libs[@]}"
done

# The harness reads and writes natively; it sets the connector only for the
# h5lazy methods' processes.
exec env -u HDF5_VOL_CONNECTOR -u HDF5_PLUGIN_PATH H5LAZY_BUILD="$build" "$py" "$repo/bench/bench.py" "$@"
