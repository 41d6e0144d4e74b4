#!/bin/sh
# deps/images.sh: make the base images faas and its tests use, offline (no registry is reachable).
#   busybox:latest      FROM scratch + Debian's busybox-static, applets installed, CMD sh
#   python:3.11-slim    debootstrap bookworm with python3 (full stdlib), trimmed, docker import
#   golang:1.19         debootstrap bookworm with golang-go (Go 1.19), trimmed: the Go runtime's build stage
# An image already present in the engine is reused. Needs deps/packages.sh and deps/docker.sh first.
set -eu

WORK=${FAAS_DEPS_WORK:-/var/tmp/faas-deps}
DOCKER=${DOCKER:-docker}
mkdir -p "$WORK"

have() { $DOCKER image inspect "$1" >/dev/null 2>&1; }

make_busybox() {
    have busybox:latest && { echo "deps: busybox:latest present"; return 0; }
    d=$WORK/busybox
    rm -rf "$d"; mkdir -p "$d"
    cp /bin/busybox "$d/busybox"
    cat >"$d/Dockerfile" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["sh"]
DF
    $DOCKER build -q -t busybox:latest "$d" >/dev/null
    rm -rf "$d"
    echo "deps: built busybox:latest"
}

# debootstrap_image TAG INCLUDE CMD [PATH]: a trimmed Debian rootfs with INCLUDE, imported as TAG
# running CMD, with PATH (default: the usual one).
debootstrap_image() {
    tag=$1; include=$2; cmd=$3
    path=${4:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
    have "$tag" && { echo "deps: $tag present"; return 0; }
    root=$WORK/rootfs-$(echo "$tag" | tr ':/' '__')
    rm -rf "$root"
    echo "deps: debootstrap for $tag (about a minute)"
    debootstrap --variant=minbase --include="$include" bookworm "$root" >"$root.log" 2>&1 || {
        echo "deps: debootstrap for $tag failed; see $root.log" >&2; tail -n 20 "$root.log" >&2; return 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
           "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/*
    tar -C "$root" -c . | $DOCKER import \
        -c "ENV PATH=$path" \
        -c 'ENV LANG=C.UTF-8' -c "CMD $cmd" - "$tag" >/dev/null
    rm -rf "$root" "$root.log"
    echo "deps: imported $tag"
}

make_busybox
# The two debootstraps are independent: run them side by side (about a minute instead of two).
debootstrap_image python:3.11-slim python3,python-is-python3 '["python3"]' &
py=$!
debootstrap_image golang:1.19 golang-go,ca-certificates '["go", "version"]' \
    /usr/lib/go-1.19/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin &
go=$!
failed=0
wait "$py" || failed=1
wait "$go" || failed=1
exit "$failed"
