#!/usr/bin/env bash
# deps.sh — install or build everything h5lazy needs, idempotently.
#
#   scripts/deps.sh        the HDF5 1.14 line (the default)
#   scripts/deps.sh 2      the HDF5 2.x line (also: H5LAZY_LINE=2)
#
# What it provides (each step is skipped when its result is already there):
#   1. Debian packages: compiler, CMake, Ninja, CUnit, zlib, libdeflate and the
#      compressors' libraries, Python venv/headers.
#   2. HDF5 of the line: an existing one when CMake finds it (HDF5_DIR or
#      CMAKE_PREFIX_PATH), else
#        1.14: 1.14.x built from Debian trixie's source package into
#              build/deps/hdf5 (C library, high-level library, tools,
#              h5_api_test);
#        2:    2.2.0 built from the crates.io crate hdf5-metno-src (fetched
#              with cargo into build/deps/crate) into build/deps/hdf5-2 (C
#              and high-level libraries: the crate has no tools and no tests),
#              with CMake >= 3.26 from PyPI (Debian 12 has 3.25).
#   3. A virtual environment (build/venv, or build/venv-2 for line 2) with
#      numpy and pytest from PyPI and h5py built from its source distribution
#      against that same HDF5 (the wheel is cached in build/deps/wheels, so a
#      fresh venv costs seconds); then the readers built on h5py that the
#      tests drive (xarray, h5netcdf).
# It ends by writing build/deps.env (build/deps-2.env), which the other
# scripts source.
#
# Environment: H5LAZY_BUILD (default <repo>/build), HDF5_DIR / CMAKE_PREFIX_PATH
# (an HDF5 of your own, for the line asked), H5LAZY_JOBS (parallel build jobs).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${H5LAZY_BUILD:-$repo/build}
deps=$build/deps
jobs=${H5LAZY_JOBS:-$(nproc)}
line=${1:-${H5LAZY_LINE:-1.14}}
mkdir -p "$deps"

tag=deps
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
# Where this line's HDF5, venv and environment file go: line 1.14 keeps the
# names it always had, line 2 adds "-2".
case "$line" in
    1.14) suffix= ;;
    2) suffix=-2 ;;
    *) die "unknown HDF5 line '$line' (1.14 or 2)" ;;
esac

# --- 1. Debian packages -----------------------------------------------------
# dpkg-dev: apt-get source; python3-dev: headers for building h5py;
# valgrind: leak checks in the test suite; libdeflate: the connector's
# deflate decoder and save's encoder; zstd, lz4, libaec (szip) and blosc:
# the registered filters the connector decodes itself (issue 12).
packages=(gcc g++ make cmake ninja-build pkg-config dpkg-dev libcunit1-dev zlib1g-dev
          libdeflate-dev libzstd-dev liblz4-dev libaec-dev libblosc-dev
          python3 python3-venv python3-dev valgrind ca-certificates)
# cargo fetches HDF5 2.x's sources (the crate hdf5-metno-src) from crates.io:
# rustup's in ~/.cargo/bin (a non-interactive shell may not have it on
# PATH), else Debian's.
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
[ "$line" = 1.14 ] || command -v cargo >/dev/null || packages+=(cargo)
install_debian_packages "${packages[@]}"

# --- 2. HDF5 of the line ----------------------------------------------------
# Ask CMake (cmake/h5lazy_hdf5.cmake, the same logic the build uses) which HDF5
# it finds; the probe writes its version and directories to probe.txt. The
# probe fails when the HDF5 found is not of the line asked for.
probe=$deps/hdf5-probe$suffix
probe_hdf5() {
    rm -rf "$probe"
    cmake -S "$repo/cmake/hdf5-probe" -B "$probe" -G Ninja -DH5LAZY_HDF5_LINE="$line" "$@" \
        >"$deps/hdf5-probe$suffix.log" 2>&1
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

build_hdf5_1_14() {
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

# HDF5 2.2.0's library sources, as the crates.io crate hdf5-metno-src ships
# them, through cargo (the only client that reaches crates.io): a throwaway
# package that depends on the crate, vendored into build/deps/crate.
crate_version=0.10.4
fetch_hdf5_2_source() {
    local crate=$deps/crate
    [ -f "$crate/vendor/hdf5-metno-src-$crate_version/ext/hdf5/CMakeLists.txt" ] && return
    say "fetching HDF5 2.x sources (crate hdf5-metno-src $crate_version) with cargo"
    rm -rf "$crate"
    mkdir -p "$crate"
    printf '%s\n' '[package]' 'name = "h5lazy-hdf5-sources"' 'version = "0.0.0"' 'edition = "2021"' \
        'publish = false' '[lib]' 'path = "lib.rs"' '[dependencies]' \
        "hdf5-metno-src = \"=$crate_version\"" >"$crate/Cargo.toml"
    : >"$crate/lib.rs"
    # The sparse protocol: crates.io's index over HTTPS (the default since
    # cargo 1.70; Debian 12's cargo 1.66 would clone a git index).
    (cd "$crate" && CARGO_REGISTRIES_CRATES_IO_PROTOCOL=sparse cargo vendor --versioned-dirs vendor) \
        >"$deps/crate.log" 2>&1 \
        || die "cargo could not fetch hdf5-metno-src, see $deps/crate.log"
}

# CMake >= 3.26 (HDF5 2.x asks for it; Debian 12 has 3.25), from PyPI into a
# venv of its own.
new_cmake() {
    local venv=$deps/cmake-venv
    if ! [ -x "$venv/bin/cmake" ]; then
        say "installing CMake >= 3.26 from PyPI into $venv"
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/python" -m pip install -q "cmake>=3.26,<4"
    fi
    printf '%s\n' "$venv/bin/cmake"
}

build_hdf5_2() {
    local prefix=$deps/hdf5-2 bdir=$deps/hdf5-2-build cmake src
    fetch_hdf5_2_source
    src=$deps/crate/vendor/hdf5-metno-src-$crate_version/ext/hdf5
    cmake=$(new_cmake)
    rm -rf "$bdir" "$prefix"
    say "configuring HDF5 $(sed -n 's/^#define H5_VERS_\(MAJOR\|MINOR\|RELEASE\) *\([0-9]*\).*/\2/p' "$src/src/H5public.h" | paste -sd.)"
    # Shared C + HL libraries, zlib (2.x renamed the option), no tools (the
    # crate has none), no tests, no Fortran/C++/Java.
    "$cmake" -S "$src" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=ON \
        -DBUILD_STATIC_LIBS=OFF -DHDF5_BUILD_HL_LIB=ON -DHDF5_BUILD_TOOLS=OFF -DHDF5_BUILD_UTILS=OFF \
        -DHDF5_BUILD_FORTRAN=OFF -DHDF5_BUILD_CPP_LIB=OFF -DHDF5_BUILD_JAVA=OFF \
        -DHDF5_BUILD_EXAMPLES=OFF -DHDF5_ENABLE_ZLIB_SUPPORT=ON -DHDF5_ENABLE_SZIP_SUPPORT=OFF \
        -DBUILD_TESTING=OFF >"$deps/hdf5-2-configure.log" 2>&1 \
        || die "HDF5 2.x configure failed, see $deps/hdf5-2-configure.log"
    say "building HDF5 2.x with $jobs jobs (about a minute on two cores)"
    "$cmake" --build "$bdir" -j "$jobs" >"$deps/hdf5-2-build.log" 2>&1 \
        || die "HDF5 2.x build failed, see $deps/hdf5-2-build.log"
    "$cmake" --install "$bdir" >"$deps/hdf5-2-install.log" 2>&1 || die "HDF5 2.x install failed"
    touch "$prefix/.h5lazy-built"
}

case "$line" in
    1.14) cached=$deps/hdf5 cached_cmake=$deps/hdf5/cmake ;;
    2) cached=$deps/hdf5-2 cached_cmake=$deps/hdf5-2/lib/cmake/hdf5 ;;
esac
if [ -f "$cached/.h5lazy-built" ]; then
    probe_hdf5 -DHDF5_DIR="$cached_cmake" || die "the cached HDF5 in $cached is broken: remove it and rerun"
elif [ -n "${HDF5_DIR:-}${CMAKE_PREFIX_PATH:-}" ] && probe_hdf5; then
    say "using the HDF5 $(probed HDF5_VERSION) that CMake finds in $(probed HDF5_ROOT)"
else
    [ -z "${HDF5_DIR:-}${CMAKE_PREFIX_PATH:-}" ] \
        || say "no HDF5 of line $line under HDF5_DIR/CMAKE_PREFIX_PATH ($(grep -m1 -A3 'CMake Error' "$deps/hdf5-probe$suffix.log" | tail -n +2 | tr -s ' ' | head -c 300)); building one"
    "build_hdf5_${line//./_}"
    probe_hdf5 -DHDF5_DIR="$cached_cmake" || die "the HDF5 just built is not found by CMake, see $deps/hdf5-probe$suffix.log"
fi
hdf5_root=$(probed HDF5_ROOT)
hdf5_version=$(probed HDF5_VERSION)
hdf5_bin=$(probed HDF5_BIN)
hdf5_lib=$(probed HDF5_LIB)
# The API conformance suite ships only with our own build (or H5LAZY_API_TEST).
api_test=${H5LAZY_API_TEST:-}
[ -n "$api_test" ] || [ ! -x "$hdf5_root/libexec/h5_api_test" ] || api_test=$hdf5_root/libexec/h5_api_test

# --- 3. Python environment --------------------------------------------------
venv=$build/venv$suffix
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
            --no-cache-dir --no-binary h5py "h5py==$h5py_version" -w "$wheels" >"$deps/h5py-build$suffix.log" 2>&1 \
            || die "h5py build failed, see $deps/h5py-build$suffix.log"
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

cat >"$build/deps$suffix.env" <<EOF
# Written by scripts/deps.sh $line; sourced by the other scripts.
H5LAZY_LINE='$line'
H5LAZY_HDF5_ROOT='$hdf5_root'
H5LAZY_HDF5_CMAKE_DIR='$(probed HDF5_CMAKE_DIR)'
H5LAZY_HDF5_BIN='$hdf5_bin'
H5LAZY_HDF5_LIB='$hdf5_lib'
H5LAZY_HDF5_VERSION='$hdf5_version'
H5LAZY_API_TEST='$api_test'
H5LAZY_VENV='$venv'
EOF
say "ready: HDF5 $hdf5_version in $hdf5_root, python $venv"
