#!/usr/bin/env bash
# deps.sh — install or build everything h5lazy needs, idempotently.
#
# What it provides (each step is skipped when its result is already there):
#   1. Debian packages: compiler, CMake, Ninja, CUnit, zlib, Python venv/headers.
#   2. HDF5 >= 1.14: an existing one when CMake finds it (HDF5_DIR or
#      CMAKE_PREFIX_PATH), else 1.14.x built from Debian trixie's source package
#      into build/deps/hdf5 (C library, high-level library, tools, h5_api_test).
#   3. A virtual environment build/venv with numpy and pytest from PyPI and h5py
#      built from its source distribution against that same HDF5 (the wheel is
#      cached in build/deps/wheels, so a fresh venv costs seconds); then the
#      readers built on h5py that the tests drive (xarray, h5netcdf).
# It ends by writing build/deps.env, which the other scripts source.
#
# Environment: H5LAZY_BUILD (default <repo>/build), HDF5_DIR / CMAKE_PREFIX_PATH
# (an HDF5 of your own), H5LAZY_JOBS (parallel build jobs).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${H5LAZY_BUILD:-$repo/build}
deps=$build/deps
jobs=${H5LAZY_JOBS:-$(nproc)}
mkdir -p "$deps"

tag=deps
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"

# --- 1. Debian packages -----------------------------------------------------
# dpkg-dev: apt-get source; python3-dev: headers for building h5py;
# valgrind: leak checks in the test suite.
packages=(gcc g++ make cmake ninja-build pkg-config dpkg-dev libcunit1-dev zlib1g-dev
          python3 python3-venv python3-dev valgrind ca-certificates)
install_debian_packages "${packages[@]}"

# --- 2. HDF5 >= 1.14 --------------------------------------------------------
# Ask CMake (cmake/h5lazy_hdf5.cmake, the same logic the build uses) which HDF5
# it finds; the probe writes its version and directories to probe.txt.
probe=$deps/hdf5-probe
probe_hdf5() {
    rm -rf "$probe"
    cmake -S "$repo/cmake/hdf5-probe" -B "$probe" -G Ninja "$@" >"$deps/hdf5-probe.log" 2>&1
}
probed() { sed -n "s/^$1=//p" "$probe/probe.txt"; }

# The first Debian archive URI configured on this machine (never hard-coded).
debian_mirror() {
    local uri
    uri=$(grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | awk '{print $2}' | grep -v security | head -n1 || true)
    [ -n "$uri" ] || uri=$(grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list \
          /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security \
          | sed -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1}' | head -n1 || true)
    [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}"
    printf '%s\n' "$uri"
}

fetch_hdf5_source() {
    local dl=$deps/download apt=$deps/apt
    if ls "$dl"/hdf5_1.14.*.orig.tar.* >/dev/null 2>&1; then return; fi
    mkdir -p "$dl" "$apt/lists/partial" "$apt/cache/archives/partial"
    printf 'deb-src %s trixie main\n' "$(debian_mirror)" >"$apt/sources.list"
    local opts=(-o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=-
                -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
                -o APT::Sandbox::User=root -qq)
    say "fetching Debian trixie's hdf5 source package"
    apt-get "${opts[@]}" update
    (cd "$dl" && apt-get "${opts[@]}" source --download-only hdf5 >/dev/null)
    ls "$dl"/hdf5_1.14.*.orig.tar.* >/dev/null 2>&1 \
        || die "trixie's hdf5 source package is not 1.14.x (found: $(ls "$dl"))"
}

build_hdf5() {
    local prefix=$deps/hdf5 src=$deps/hdf5-src bdir=$deps/hdf5-build
    fetch_hdf5_source
    rm -rf "$src" "$bdir" "$prefix"
    mkdir -p "$src"
    tar -xf "$(ls "$deps"/download/hdf5_1.14.*.orig.tar.* | head -n1)" -C "$src" --strip-components=1
    say "configuring HDF5 ($(sed -n 's/^HDF5 version \([0-9.]*\).*/\1/p' "$src/README.md" | head -n1))"
    # Shared C + HL libraries and tools, zlib, no Fortran/C++/Java; testing on
    # only so that the API conformance suite (test/API) can be built.
    cmake -S "$src" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF \
        -DHDF5_BUILD_HL_LIB=ON -DHDF5_BUILD_TOOLS=ON -DHDF5_BUILD_UTILS=OFF \
        -DHDF5_BUILD_FORTRAN=OFF -DHDF5_BUILD_CPP_LIB=OFF -DHDF5_BUILD_JAVA=OFF \
        -DHDF5_BUILD_EXAMPLES=OFF -DHDF5_ENABLE_Z_LIB_SUPPORT=ON -DHDF5_ENABLE_SZIP_SUPPORT=OFF \
        -DBUILD_TESTING=ON -DHDF5_TEST_API=ON -DHDF5_TEST_SERIAL=OFF -DHDF5_TEST_TOOLS=OFF \
        -DHDF5_TEST_SWMR=OFF -DHDF5_TEST_EXAMPLES=OFF -DHDF5_TEST_PARALLEL=OFF >"$deps/hdf5-configure.log" 2>&1 \
        || die "HDF5 configure failed, see $deps/hdf5-configure.log"
    say "building HDF5 with $jobs jobs (about a minute on two cores)"
    # Only the library, HL, tools and the API suite: the rest of HDF5's own
    # test programs would triple the build time and are not used here.
    ninja -C "$bdir" -j "$jobs" src/all hl/src/all hl/tools/all tools/src/all test/API/all \
        >"$deps/hdf5-build.log" 2>&1 || die "HDF5 build failed, see $deps/hdf5-build.log"
    cmake --install "$bdir" >"$deps/hdf5-install.log" 2>&1 || die "HDF5 install failed"
    mkdir -p "$prefix/libexec"
    ln -sf "$bdir/bin/h5_api_test" "$prefix/libexec/h5_api_test"
    touch "$prefix/.h5lazy-built"
}

if [ -f "$deps/hdf5/.h5lazy-built" ]; then
    probe_hdf5 -DHDF5_DIR="$deps/hdf5/cmake" || die "the cached HDF5 in $deps/hdf5 is broken: remove it and rerun"
elif [ -n "${HDF5_DIR:-}${CMAKE_PREFIX_PATH:-}" ] && probe_hdf5; then
    say "using the HDF5 $(probed HDF5_VERSION) that CMake finds in $(probed HDF5_ROOT)"
else
    [ -z "${HDF5_DIR:-}${CMAKE_PREFIX_PATH:-}" ] \
        || say "no HDF5 >= 1.14 under HDF5_DIR/CMAKE_PREFIX_PATH ($(grep -m1 -A3 'CMake Error' "$deps/hdf5-probe.log" | tail -n +2 | tr -s ' ' | head -c 300)); building one"
    build_hdf5
    probe_hdf5 -DHDF5_DIR="$deps/hdf5/cmake" || die "the HDF5 just built is not found by CMake, see $deps/hdf5-probe.log"
fi
hdf5_root=$(probed HDF5_ROOT)
hdf5_version=$(probed HDF5_VERSION)
hdf5_bin=$(probed HDF5_BIN)
hdf5_lib=$(probed HDF5_LIB)
# The API conformance suite ships only with our own build (or H5LAZY_API_TEST).
api_test=${H5LAZY_API_TEST:-}
[ -n "$api_test" ] || [ ! -x "$hdf5_root/libexec/h5_api_test" ] || api_test=$hdf5_root/libexec/h5_api_test

# --- 3. Python environment --------------------------------------------------
venv=$build/venv
py=$venv/bin/python
h5py_version=3.16.0
if [ ! -x "$py" ]; then
    say "creating the virtual environment $venv"
    /usr/bin/python3 -m venv "$venv"
    "$py" -m pip install -q --upgrade pip
fi
"$py" -m pip install -q -r "$repo/tests/python/requirements.txt"

h5py_ok() {
    "$py" - "$hdf5_version" "$hdf5_lib" <<'EOF' 2>/dev/null
import sys, h5py, os
want_version, want_lib = sys.argv[1], os.path.realpath(sys.argv[2])
libs = {os.path.realpath(l.split()[-1]) for l in open("/proc/self/maps") if "libhdf5.so" in l}
sys.exit(0 if h5py.version.hdf5_version == want_version and
         all(os.path.dirname(l) == want_lib for l in libs) else 1)
EOF
}
if ! h5py_ok; then
    wheels=$deps/wheels/$(echo "$hdf5_root" | md5sum | cut -c1-12)
    if ! ls "$wheels"/h5py-$h5py_version-*.whl >/dev/null 2>&1; then
        say "building h5py $h5py_version from source against HDF5 $hdf5_version (about two minutes)"
        mkdir -p "$wheels"
        # --no-cache-dir: pip's own wheel cache may hold an h5py built against
        # another libhdf5, which it would hand back without building.
        HDF5_DIR=$hdf5_root HDF5_VERSION=$hdf5_version "$py" -m pip wheel -q --no-deps \
            --no-cache-dir --no-binary h5py "h5py==$h5py_version" -w "$wheels" >"$deps/h5py-build.log" 2>&1 \
            || die "h5py build failed, see $deps/h5py-build.log"
    fi
    "$py" -m pip install -q --force-reinstall --no-deps "$wheels"/h5py-$h5py_version-*.whl
    h5py_ok || die "h5py in $venv does not load the HDF5 in $hdf5_lib"
fi

# Readers built on h5py (xarray, h5netcdf) come after h5py, so that pip finds
# h5py satisfied by ours and never fetches a wheel with a libhdf5 of its own;
# the constraint turns any requirement for another h5py into an error.
echo "h5py==$h5py_version" >"$deps/h5py-constraint.txt"
"$py" -m pip install -q -r "$repo/tests/python/requirements-readers.txt" -c "$deps/h5py-constraint.txt"
h5py_ok || die "installing tests/python/requirements-readers.txt replaced the h5py in $venv"

cat >"$build/deps.env" <<EOF
# Written by scripts/deps.sh; sourced by the other scripts.
H5LAZY_HDF5_ROOT='$hdf5_root'
H5LAZY_HDF5_CMAKE_DIR='$(probed HDF5_CMAKE_DIR)'
H5LAZY_HDF5_BIN='$hdf5_bin'
H5LAZY_HDF5_LIB='$hdf5_lib'
H5LAZY_HDF5_VERSION='$hdf5_version'
H5LAZY_API_TEST='$api_test'
H5LAZY_VENV='$venv'
EOF
say "ready: HDF5 $hdf5_version in $hdf5_root, python $venv"
