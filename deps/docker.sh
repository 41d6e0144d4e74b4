#!/bin/sh
# deps/docker.sh: make sure a Docker engine answers on /var/run/docker.sock.
# Starts Debian's dockerd (no systemd here) only when none answers; never a second one.
set -eu

SOCK=/var/run/docker.sock
LOG=${FAAS_DOCKERD_LOG:-/var/log/dockerd.log}

ping() { curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; }

if ping; then
    echo "deps: docker engine answers on $SOCK"
    exit 0
fi
if pid=$(cat /var/run/docker.pid 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
    # A dockerd is starting or stuck: wait for it rather than start another.
    echo "deps: dockerd (pid $pid) is running but not answering yet; waiting"
else
    command -v dockerd >/dev/null || { echo "deps: dockerd not installed (run deps/packages.sh)" >&2; exit 1; }
    mountpoint -q /sys/fs/cgroup/memory 2>/dev/null || [ -f /sys/fs/cgroup/cgroup.controllers ] || cgroupfs-mount || true
    # A containerd left over from a killed dockerd makes the new one time out: let it exit first.
    i=0
    while pgrep -f '^containerd --config /var/run/docker/containerd' >/dev/null 2>&1 && [ $i -lt 50 ]; do
        sleep 0.2; i=$((i + 1))
    done
    echo "deps: starting dockerd (log: $LOG)"
    nohup dockerd --log-level=warn >"$LOG" 2>&1 &
fi
i=0
while [ $i -lt 300 ]; do
    if ping; then
        echo "deps: docker engine ready"
        exit 0
    fi
    sleep 0.2; i=$((i + 1))
done
echo "deps: docker engine did not answer on $SOCK within 60 s; see $LOG" >&2
tail -n 20 "$LOG" >&2 || true
exit 1
