#!/usr/bin/env bash
# run_api_suite.sh H5_API_TEST VERSION — run HDF5's API conformance suite
# natively and through the h5lazy connector (stacked over native), print
# both summaries, and fail unless the connector's counts equal native's: a
# pass-through must not change what the library does. With no program
# (H5_API_TEST empty: HDF5 2.x built from the crate hdf5-metno-src has no
# test/ sources), it says so and exits 77, which ctest counts as a skip.
set -euo pipefail
api_test=$1
if [ -z "$api_test" ]; then
    echo "skipped: no h5_api_test for HDF5 $2 (its sources have no test/; set H5LAZY_API_TEST)"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

summary() { grep -E '^[0-9]+/[0-9]+ \([0-9.]+%\) API tests' "$1"; }

# The native baseline must not see the plugin: a failed native open makes
# HDF5 probe every plugin on HDF5_PLUGIN_PATH.
env -u HDF5_VOL_CONNECTOR -u HDF5_PLUGIN_PATH -u LD_PRELOAD "$api_test" >native.log 2>&1 || true
HDF5_VOL_CONNECTOR="h5lazy under_vol=0;under_info={}" "$api_test" >h5lazy.log 2>&1 || true

echo "--- native ---"
summary native.log || { tail -20 native.log; exit 1; }
echo "--- through h5lazy ---"
summary h5lazy.log || { tail -40 h5lazy.log; exit 1; }
# Only counts that only the connector run can print prove it was loaded.
grep -q "with VOL connector 'h5lazy'" h5lazy.log \
    || { echo "the suite did not run through h5lazy"; exit 1; }
if [ "$(summary native.log | sed 's/ with VOL.*//')" != "$(summary h5lazy.log | sed 's/ with VOL.*//')" ]; then
    echo "through h5lazy the counts differ from native; failed tests:"
    grep -B1 -E 'FAILED' h5lazy.log | head -60
    exit 1
fi
echo "h5lazy matches native"
