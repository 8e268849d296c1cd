#!/usr/bin/env bash
# build.sh — configure and build h5lazy (after scripts/deps.sh), then write
# build/env.sh for users' shells.
#
#   scripts/build.sh            the normal build, in build/release
#   scripts/build.sh sanitize   AddressSanitizer + UndefinedBehaviorSanitizer,
#                               in build/sanitize
#   scripts/build.sh thread     ThreadSanitizer, in build/thread
#   scripts/build.sh engine     the engine alone (H5LAZY_ENGINE_ONLY: no
#                               HDF5 needed), in build/engine
#   scripts/build.sh VARIANT 2  the same on the HDF5 2.x line (after
#                               scripts/deps.sh 2), in build/VARIANT-2
#
# The command, the tests and the fuzzers use the line asked for. The plugin
# directory (build/VARIANT/plugin) also gets a connector build for the other
# line when scripts/deps.sh has set that line up, so that one directory
# serves programs of either line (loader/lzl.h).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${H5LAZY_BUILD:-$repo/build}
variant=${1:-release}
line=${2:-${H5LAZY_LINE:-1.14}}
case "$line" in
    1.14) suffix= other_env=$build/deps-2.env ;;
    2) suffix=-2 other_env=$build/deps.env ;;
    *) echo "[build] unknown HDF5 line '$line' (1.14 or 2)" >&2; exit 2 ;;
esac
other_root=
if [ -f "$other_env" ]; then
    other_root=$(sed -n "s/^H5LAZY_HDF5_ROOT='\(.*\)'$/\1/p" "$other_env")
fi
[ -f "$build/deps$suffix.env" ] || { echo "[build] run scripts/deps.sh $line first" >&2; exit 1; }
# shellcheck source=/dev/null
. "$build/deps$suffix.env"

case "$variant" in
    release) extra=() ;;
    sanitize) extra=(-DH5LAZY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
    thread) extra=(-DH5LAZY_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
    engine) extra=(-DH5LAZY_ENGINE_ONLY=ON) ;;
    *) echo "[build] unknown variant '$variant' (release, sanitize, thread or engine)" >&2; exit 2 ;;
esac
dir=$build/$variant$suffix
hdf5=()
[ "$variant" = engine ] || hdf5=(${H5LAZY_HDF5_CMAKE_DIR:+-DHDF5_DIR="$H5LAZY_HDF5_CMAKE_DIR"}
    -DH5LAZY_HDF5_LINE="$line" -DH5LAZY_OTHER_HDF5_ROOT="$other_root"
    -DH5LAZY_PYTHON="$H5LAZY_VENV/bin/python" -DH5LAZY_API_TEST="$H5LAZY_API_TEST")
cmake -S "$repo" -B "$dir" -G Ninja "${hdf5[@]}" -DH5LAZY_WERROR=ON "${extra[@]}" \
    >"$build/cmake-$variant$suffix.log" 2>&1 || { cat "$build/cmake-$variant$suffix.log" >&2; exit 1; }
ninja -C "$dir" ${H5LAZY_JOBS:+-j "$H5LAZY_JOBS"}

if [ "$variant$suffix" = release ]; then
    cat >"$build/env.sh" <<ENV
# Source this file (". build/env.sh") to use h5lazy from a shell: it puts the
# h5lazy command, HDF5 $H5LAZY_HDF5_VERSION's tools and the project's Python
# first on PATH, and makes every HDF5 program read virtual datasets.
export PATH="$dir/bin:$H5LAZY_HDF5_BIN:$H5LAZY_VENV/bin:\$PATH"
export HDF5_PLUGIN_PATH="$dir/plugin"
export HDF5_VOL_CONNECTOR="h5lazy under_vol=0;under_info={}"
ENV
fi
