#!/usr/bin/env bash
# fuzz.sh — build the fuzz targets with clang (libFuzzer + ASan + UBSan) in
# build/fuzz and run each of them (fuzz/CMakeLists.txt says what they are).
#
#   scripts/fuzz.sh                 each target for 10 minutes (the default)
#   scripts/fuzz.sh --quick         each target for 20 seconds (CI: under a
#                                   minute in all, plus the build)
#   scripts/fuzz.sh --seconds N     each target for N seconds
#   scripts/fuzz.sh --only fuzz_expr [...]   one target
#   scripts/fuzz.sh --build-only    build, run nothing
#
# Before fuzzing, each target replays its seed corpus (fuzz/corpus/expr,
# fuzz/corpus/definition or fuzz/corpus/chunk) and every saved regression input
# (fuzz/regressions/<target>). Inputs the fuzzer finds interesting
# accumulate in build/fuzz/corpus/<target> (kept between runs, never
# committed); a crash, leak, timeout or sanitizer report
# stops the run with the input saved as build/fuzz/artifacts/<target>/
# crash-*/leak-*/timeout-*, and this script exits non-zero. Reproduce with
#   build/fuzz/fuzz/<target> build/fuzz/artifacts/<target>/crash-...
# minimise with
#   build/fuzz/fuzz/<target> -minimize_crash=1 -runs=10000 crash-...
# and save the result under fuzz/regressions/<target>/: the normal test
# build replays it from then on (fuzz_<target>_replay).
#
# clang and libFuzzer's runtime come from Debian (clang, libclang-rt-14-dev,
# llvm for llvm-symbolizer); they are installed on demand, as scripts/deps.sh
# installs the rest. Environment: H5LAZY_BUILD (default <repo>/build),
# H5LAZY_FUZZ_JOBS (parallel fuzzing jobs per target, default 1).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${H5LAZY_BUILD:-$repo/build}
dir=$build/fuzz
seconds=600
build_only=0
targets=(fuzz_expr fuzz_definition fuzz_chunk)
only=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) seconds=20 ;;
        --seconds) seconds=${2:?--seconds needs a number}; shift ;;
        --only) only+=("${2:?--only needs a target}"); shift ;;
        --build-only) build_only=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "[fuzz] unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ ${#only[@]} -eq 0 ] || targets=("${only[@]}")

tag=fuzz
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"

# --- clang and libFuzzer, from Debian ------------------------------------------
install_debian_packages clang libclang-rt-14-dev llvm

# HDF5 and the rest: as for every build.
[ -f "$build/deps.env" ] || "$repo/scripts/deps.sh"
# shellcheck source=/dev/null
. "$build/deps.env"

# --- build -------------------------------------------------------------------------
# -O1 -g everywhere (Debug keeps the engine's hot loops at -O1 too, and
# assertions on); instrumentation for libFuzzer's coverage in every object,
# the libFuzzer runtime only in the fuzz programs (fuzz/CMakeLists.txt).
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined"
cmake -S "$repo" -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS_DEBUG="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    ${H5LAZY_HDF5_CMAKE_DIR:+-DHDF5_DIR="$H5LAZY_HDF5_CMAKE_DIR"} \
    -DH5LAZY_TESTS=OFF -DH5LAZY_WERROR=OFF >"$build/cmake-fuzz.log" 2>&1 \
    || { cat "$build/cmake-fuzz.log" >&2; die "configuring $dir failed"; }
ninja -C "$dir" "${targets[@]}" >"$build/fuzz-build.log" 2>&1 \
    || { tail -n 40 "$build/fuzz-build.log" >&2; die "building the fuzz targets failed (see $build/fuzz-build.log)"; }
say "built ${targets[*]} in $dir/fuzz"
[ "$build_only" -eq 0 ] || exit 0

# --- run ---------------------------------------------------------------------------
# LSan on (libFuzzer reports a leak per input); UBSan fatal with a stack;
# the symbolizer from the llvm package.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}
# The definition target registers the connector itself: no plugin from the
# environment may be loaded next to it.
unset HDF5_VOL_CONNECTOR HDF5_PLUGIN_PATH
jobs=${H5LAZY_FUZZ_JOBS:-1}
status=0
for t in "${targets[@]}"; do
    work=$dir/corpus/$t artifacts=$dir/artifacts/$t
    mkdir -p "$work" "$artifacts"
    # fuzz_expr and fuzz_definition end their inputs with expression text;
    # fuzz_chunk's are stored chunks.
    dict=(-dict="$repo/fuzz/expr.dict")
    [ "$t" != fuzz_chunk ] || dict=()
    seeds=("$repo/fuzz/corpus/${t#fuzz_}")
    [ -d "$repo/fuzz/regressions/$t" ] && seeds+=("$repo/fuzz/regressions/$t")
    say "$t: ${seconds}s, corpus $work (+ ${seeds[*]#$repo/})"
    log=$dir/$t.log
    # -timeout: one input may take 10 s (an ASan build on a shared core);
    # -rss_limit_mb: 2 GiB per process; -max_len: the targets reject more.
    set +e
    "$dir/fuzz/$t" "$work" "${seeds[@]}" "${dict[@]}" -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" ${jobs:+$([ "$jobs" -gt 1 ] && echo "-jobs=$jobs -workers=$jobs")} \
        >"$log" 2>&1
    rc=$?
    set -e
    # The run's summary: corpus and coverage lines, then the final stats.
    { grep -E '^#[0-9]+[[:space:]]+INITED' "$log" | head -n 1
      grep -E '^#[0-9]+[[:space:]]' "$log" | grep -v INITED | tail -n 1
      grep -E '^stat::|ERROR:|SUMMARY:|check failed|Test unit written' "$log" | tail -n 30; } >&2 || true
    if [ $rc -ne 0 ]; then
        say "$t FAILED (exit $rc): log $log, inputs in $artifacts"
        status=1
    else
        say "$t: no failure in ${seconds}s"
    fi
done
exit $status
