#!/bin/bash
# test/layout/builds.sh: the configurations a packager or an operator builds compile with no
# warning: Release (-O3) and Debian's hardening flags (dpkg-buildflags: -O2, _FORTIFY_SOURCE,
# stack protector, format-security, relro). Each is built with -Werror into a temporary folder,
# the whole tree (faas, faas-start, the tests). RelWithDebInfo is the suite's own build.
set -eu
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/faas-builds.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
jobs=$(nproc)

build() {
    local name=$1; shift
    echo "builds: $name"
    if ! cmake -S "$src" -B "$tmp/$name" -DFAAS_WERROR=ON "$@" >"$tmp/$name.log" 2>&1 ||
        ! cmake --build "$tmp/$name" -j"$jobs" >>"$tmp/$name.log" 2>&1; then
        grep -E 'error|warning' "$tmp/$name.log" | head -40
        echo "builds: $name FAILED"
        return 1
    fi
    rm -rf "${tmp:?}/$name"
}

build release -DCMAKE_BUILD_TYPE=Release
if command -v dpkg-buildflags >/dev/null; then
    build debian-hardening -DCMAKE_BUILD_TYPE=None \
        -DCMAKE_C_FLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
        -DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)"
fi
echo "builds: all configurations built without a warning"
