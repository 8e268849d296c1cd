#!/usr/bin/env bash
# walkthrough.sh — a decade of daily temperature without copying it: ten
# yearly netCDF files (int16-packed, with missing values), one virtual
# variable joining them, an anomaly against the decade's mean and the
# standard deviation over time, looked at, checked, evaluated in part, the
# small results saved in one pass, and everything read back with xarray
# against xarray's own computation on the yearly files.
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

# concat([ds("year_2010.nc", "/t2m"), ..., ds("year_2019.nc", "/t2m")], axis=0)
decade=""
for year in $(seq 2010 2019); do decade+="${decade:+, }ds(\"year_$year.nc\", \"/t2m\")"; done
decade="concat([$decade], axis=0)"

# The packed int16 values are decoded (scale_factor, add_offset,
# _FillValue) where the expression names them; the results carry the
# operands' dimensions and coordinates, units and names.
show h5lazy define decade.nc t2m "$decade" --attrs-from year_2010.nc:/t2m
show h5lazy define decade.nc mean 'nanmean(t2m, axis=0)' --attrs-from t2m
show h5lazy define decade.nc anomaly 't2m - mean' --attrs-from t2m --attr long_name='2 metre temperature anomaly'
show h5lazy define decade.nc std 'nanstd(t2m, axis=0)' --attrs-from t2m
show h5lazy show decade.nc anomaly
show h5lazy check decade.nc
# January 2019 in Celsius, the south-western corner of the grid: only
# those 31 x 2 x 3 values are read.
show h5lazy eval decade.nc 'nanmean(ds("year_2019.nc", "/t2m")[0:31], axis=0) - 273.15' --slice '[0:2, 0:3]'
# Any HDF5 program reads the virtual datasets: the last day's anomaly. The
# temperatures it comes from are stored packed (h5dump shows the int16);
# an expression sees them decoded, raw() as stored.
show h5dump -A 0 -d /anomaly -s $((10 * days - 1)),0,0 -c 1,2,6 decade.nc
show h5dump -A 0 -d /t2m -s $((days - 1)),0,0 -c 1,1,6 year_2019.nc
show h5lazy eval year_2019.nc 't2m[-1, 0, 0:6]'
show h5lazy eval year_2019.nc 'raw(t2m)[-1, 0, 0:6]'
# The two small results become stored data in place, computed in one pass
# over the ten years; they keep their dimensions and attributes, and the
# anomaly now reads the stored mean.
show h5lazy save --no-progress decade.nc mean std
show h5lazy check decade.nc
show python "$here/read_results.py" .
