#!/usr/bin/env bash
# test.sh — run every test: set up what is missing, build, then run the
# whole suite on each build: on the HDF5 1.14 line the normal build and a
# build with AddressSanitizer and UndefinedBehaviorSanitizer (the suite is
# small enough that both fit in a few minutes, and memory errors in a
# plugin show up nowhere else), then the engine and filter suites once more
# under ThreadSanitizer, for the worker threads; then the normal build on the HDF5
# 2.x line; and last the engine built alone, as a machine without HDF5
# builds it. The normal 1.14 build also runs the pip-wheel stacks (h5py and
# netCDF4 wheels from PyPI, the h5lazy wheel) through its plugin directory,
# which holds the connector for both lines.
#
#   scripts/test.sh                 all five
#   scripts/test.sh release         one build (release, sanitize, thread or
#                                   engine; a "-2" suffix for the 2.x line:
#                                   release-2)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${H5LAZY_BUILD:-$repo/build}
variants=("${@:-release sanitize thread release-2 engine}")
# Both lines are set up first: every plugin directory carries both builds.
"$repo/scripts/deps.sh"
case " ${variants[*]} " in *-2\ *) "$repo/scripts/deps.sh" 2 ;; esac
status=0
for v in ${variants[*]}; do
    line=1.14
    case "$v" in *-2) line=2 ;; esac
    echo "=== h5lazy tests: ${v%-2} build, HDF5 line $line ==="
    "$repo/scripts/build.sh" "${v%-2}" "$line"
    only=()
    # The code with threads: the engine's pool, the connector's decoders.
    [ "${v%-2}" = thread ] && only=(-L '^(engine|filter)$')
    ctest --test-dir "$build/$v" "${only[@]}" --output-on-failure -V 2>&1 \
        | tee "$build/test-$v.log" | grep -v '^[0-9]*: Test command:\|^[0-9]*: Working Directory:\|^[0-9]*: Environment variables:\|^[0-9]*:  [A-Z_0-9]*=' \
        || status=1
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
exit $status
