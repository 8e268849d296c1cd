# lib.sh — what the scripts share. Source it after setting `tag`, the name
# their messages start with: tag=deps; . "$repo/scripts/lib.sh"
# shellcheck shell=bash

say() { printf '\033[1m[%s]\033[0m %s\n' "$tag" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$tag" "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root (or sudo) to run: $*"; fi
}

# Install those of the Debian packages named that are not installed yet.
install_debian_packages() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    say "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
