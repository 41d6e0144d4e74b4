#!/bin/sh
# deps/packages.sh: install the Debian packages faas needs to build, run and test.
# Idempotent: apt runs only when a package is missing.
set -eu

# chromium and python3-websocket: the dashboard's test (test/e2e/ui.sh) drives headless Chromium
# over its DevTools protocol from Debian's python3. docker-registry: the swarm backend's test
# (test/e2e/swarm.sh) pushes images to one on loopback.
PKGS="build-essential cmake pkg-config
libh2o-evloop-dev liblua5.4-dev liblmdb-dev libcjson-dev libarchive-dev
libcurl4-openssl-dev uuid-dev libssl-dev pebble
docker.io cgroupfs-mount busybox-static debootstrap
curl ca-certificates nghttp2-client zip unzip procps iproute2 jq openssl python3
python3-h2 python3-prometheus-client clang libclang-rt-14-dev
chromium python3-websocket docker-registry"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: packages installed"
