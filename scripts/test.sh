#!/usr/bin/env bash
# test.sh — run every test: set up what is missing, build, then run the
# whole suite twice: the normal build, and a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (the suite is small enough that both fit in a
# few minutes, and memory errors in a plugin show up nowhere else); then the
# engine suite once more under ThreadSanitizer, for the worker pool; and
# last the engine built alone, as a machine without HDF5 builds it.
#
#   scripts/test.sh             all four
#   scripts/test.sh release     one variant (release, sanitize, thread or engine)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/deps.sh"
variants=("${@:-release sanitize thread engine}")
status=0
for v in ${variants[*]}; do
    echo "=== h5lazy tests: $v build ==="
    "$repo/scripts/build.sh" "$v"
    only=()
    [ "$v" = thread ] && only=(-L '^engine$') # the only code with threads
    ctest --test-dir "${H5LAZY_BUILD:-$repo/build}/$v" "${only[@]}" --output-on-failure -V 2>&1 \
        | tee "${H5LAZY_BUILD:-$repo/build}/test-$v.log" | grep -v '^[0-9]*: Test command:\|^[0-9]*: Working Directory:\|^[0-9]*: Environment variables:\|^[0-9]*:  [A-Z_0-9]*=' \
        || status=1
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
exit $status
