#!/usr/bin/env bash
# walkthrough.sh — a decade of daily temperature without copying it: ten
# yearly files, one virtual dataset joining them, an anomaly against the
# decade's mean and the standard deviation over time, looked at, checked,
# evaluated in part, the small results saved in one pass, and everything
# read back with h5py and xarray.
#
# usage: walkthrough.sh DIRECTORY [--size DAYSxLATxLON]
# Needs h5lazy, h5dump and a python with h5py, numpy and xarray on PATH,
# HDF5_PLUGIN_PATH and HDF5_VOL_CONNECTOR set: `source build/env.sh`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: walkthrough.sh DIRECTORY [--size DAYSxLATxLON]}
shift

# Print a command as one would type it (quoting what needs it; this
# directory as $example), then run it.
show() {
    local arg line='$'
    for arg in "$@"; do
        if [[ $arg == "$here"/* ]]; then line+=" \$example/${arg#"$here"/}"
        elif [[ $arg =~ ^[A-Za-z0-9_./,:=+-]+$ ]]; then line+=" $arg"
        else line+=" '$arg'"; fi
    done
    printf '\n%s\n' "$line"
    "$@"
}

days=365
if [[ ${1:-} == --size ]]; then days=${2%%x*}; fi

echo "example=$here"
mkdir -p "$dir"
cd "$dir"
show python "$here/make_years.py" . "$@"

# concat([ds("year_2010.h5", "/t2m"), ..., ds("year_2019.h5", "/t2m")], axis=0)
decade=""
for year in $(seq 2010 2019); do decade+="${decade:+, }ds(\"year_$year.h5\", \"/t2m\")"; done
decade="concat([$decade], axis=0)"

show h5lazy define decade.h5 t2m "$decade"
show h5lazy define decade.h5 mean 'mean(t2m, axis=0)'
show h5lazy define decade.h5 anomaly 't2m - mean'
show h5lazy define decade.h5 std 'std(t2m, axis=0)'
show h5lazy show decade.h5 anomaly
show h5lazy check decade.h5
# January 2019 in Celsius, the south-western corner of the grid: only
# those 31 x 2 x 3 values are read.
show h5lazy eval decade.h5 'mean(ds("year_2019.h5", "/t2m")[0:31], axis=0) - 273.15' --slice '[0:2, 0:3]'
# Any HDF5 program reads the virtual datasets: the last day's anomaly.
show h5dump -A 0 -d /anomaly -s $((10 * days - 1)),0,0 -c 1,2,6 decade.h5
show h5lazy save --no-progress decade.h5 mean=stats.h5: std=stats.h5:
show python "$here/read_results.py" .
