#!/bin/sh
# deps/setup.sh: everything faas needs on a fresh Debian bookworm machine, as root.
# Idempotent: each step reuses what is already there.
#   1. Debian packages (deps/packages.sh)
#   2. a Docker engine answering on /var/run/docker.sock (deps/docker.sh)
#   3. the offline base images: busybox, python:3.11-slim (deps/images.sh)
#   4. the build: build/faas and the tests (FAAS_SANITIZE=1: ASan+UBSan into build-asan/;
#      FAAS_WERROR=1: warnings are errors, as .ci/run builds)
set -eu
cd "$(dirname "$0")/.."

./deps/packages.sh
./deps/docker.sh
./deps/images.sh

werror=OFF
[ "${FAAS_WERROR:-0}" = 1 ] && werror=ON
if [ "${FAAS_SANITIZE:-0}" = 1 ]; then
    dir=${FAAS_BUILD_DIR:-build-asan}
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DFAAS_SANITIZE=ON -DFAAS_WERROR="$werror" >/dev/null
else
    dir=${FAAS_BUILD_DIR:-build}
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAAS_WERROR="$werror" >/dev/null
fi
cmake --build "$dir" -j"$(nproc)"
echo "deps: built $dir/faas"
