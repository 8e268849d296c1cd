#!/usr/bin/env bash
# check_exports.sh PLUGIN — the plugin's dynamic symbol table defines
# H5PLget_plugin_type and H5PLget_plugin_info and nothing else of its own
# (everything else is hidden: a host process must see none of our names).
set -euo pipefail
plugin=$1
# Defined, global symbols; glibc's version nodes and the linker's own
# section markers (_init, _fini, __bss_start, _edata, _end) are not ours.
defined=$(nm -D --defined-only "$plugin" | awk '$2 ~ /^[A-Z]$/ {print $3}' \
          | grep -vxE '_init|_fini|__bss_start|_edata|_end|GLIBC_[0-9.]+' | sort)
want=$(printf '%s\n' H5PLget_plugin_info H5PLget_plugin_type)
if [ "$defined" != "$want" ]; then
    echo "FAIL: $plugin exports:"
    printf '  %s\n' $defined
    echo "expected exactly: $(echo $want)"
    exit 1
fi
echo "PASS: $plugin exports exactly: $(echo $defined)"
