#!/usr/bin/env bash
# demo.sh — the project's main job, from nothing: install what is missing,
# build, create source data, define virtual datasets over it, and show
# h5dump and h5py reading the computed values through the connector.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${H5LAZY_BUILD:-$repo/build}
"$repo/scripts/deps.sh"
"$repo/scripts/build.sh" release
# shellcheck source=/dev/null
. "$build/env.sh" # the h5lazy command, HDF5 tools, python, the connector

demo=$build/demo
rm -rf "$demo"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Print a command as one would type it (quoting arguments that need it), then run it.
show() {
    local arg line='$'
    for arg in "$@"; do
        if [[ $arg =~ ^[A-Za-z0-9_./,:=+-]+$ ]]; then line+=" $arg"; else line+=" '$arg'"; fi
    done
    printf '%s\n' "$line"
    "$@"
}

step "Source data: an ordinary HDF5 file and a second one beside it"
show python "$repo/examples/quickstart/make_sources.py" "$demo"
cd "$demo"

step "Define virtual datasets: expressions stored in the file, nothing computed yet"
show h5lazy define surface.h5 anomaly 'temperature - climatology'
show h5lazy define surface.h5 celsius 'temperature - 273.15'
show h5lazy define surface.h5 pressure_hpa 'ds("station.h5", "/pressure") / 100'

step "h5dump, unchanged, prints computed numbers (rows 2-3 of the anomaly)"
show h5dump -A 0 -d /anomaly -s 2,0 -c 2,8 surface.h5

step "h5py, unchanged, reads them too"
show python "$repo/examples/quickstart/read_with_h5py.py" "$demo"

step "Without the connector, a read fails loudly instead of returning fill values"
if (unset HDF5_VOL_CONNECTOR; h5dump -d /anomaly surface.h5 >without.txt 2>&1); then
    echo "unexpected: h5dump succeeded without the connector" >&2
    exit 1
fi
printf '$ HDF5_VOL_CONNECTOR= h5dump -d /anomaly surface.h5   -> exit status %s\n' 1
grep -m1 "unable to print data" without.txt || true

step "Done. To use h5lazy from your shell:  source build/env.sh"
