#!/usr/bin/env bash
# wheel.sh — build the h5lazy wheel into build/wheelhouse: set up both HDF5
# lines (scripts/deps.sh, scripts/deps.sh 2), then `pip wheel .`
# (scikit-build-core, pyproject.toml). Prints the wheel's path.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${H5LAZY_BUILD:-$repo/build}
tag=wheel
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
"$repo/scripts/deps.sh" >&2
"$repo/scripts/deps.sh" 2 >&2
rm -f "$build"/wheelhouse/h5lazy-*.whl
say "building the h5lazy wheel"
(cd "$repo" && "$build/venv/bin/python" -m pip wheel -q --no-deps . -w "$build/wheelhouse") >&2 \
    || die "pip wheel failed"
ls "$build"/wheelhouse/h5lazy-*.whl
