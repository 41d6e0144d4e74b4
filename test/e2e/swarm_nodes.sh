#!/usr/bin/env bash
# swarm_nodes.sh: backend = "swarm" on two nodes on one machine. The test makes a network namespace
# joined to the host by a veth pair on a private /30 (host 10.231.K.1, worker 10.231.K.2), starts a
# second Docker engine in it (its own data root, exec root, socket, pid file, containerd, bridge,
# iptables, cgroup parent and host name, in a mount namespace of its own: see start_worker), makes
# the host engine a swarm manager advertising 10.231.K.1 (only when it is in no swarm; otherwise the
# test is skipped, saying why) and joins the second engine as a worker.
# Checks: a function uploaded with placement node.hostname==<worker> becomes a service with that
# constraint whose task runs on the worker node; faas routes to 10.231.K.2:<published port>;
# requests through faas are answered by the worker's container (its host name is a container of the
# worker engine, not of the host's); listrunning shows the task on the worker; a bad placement is
# refused (400 JSON) and changes nothing, and a placement with backend "docker" too (local
# faas); a redeploy keeps it served from the worker; the worker engine stopped: faas drops its task
# and a request gets a JSON 5xx within the wake timeout instead of hanging; then everything is taken
# down (checked): worker gone, processes, namespace, veth, cgroups and swarm state as before.
# Images reach the worker through docker.registry = 127.0.0.1:P: the host engine pushes to a
# docker-registry on the host's loopback, and a second docker-registry process on the same storage
# listens on the worker namespace's loopback, so the one image reference pulls on both nodes (every
# engine treats 127.0.0.0/8 registries as insecure-allowed; no engine is reconfigured).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_swarm.sh" # swarm_registry_config; its set-up and clean-up are this test's own

need() { command -v "$1" >/dev/null 2>&1 || { echo "skipped: $1 is not installed"; exit 0; }; }
for tool in ip nsenter unshare dockerd docker-registry findmnt jq; do need "$tool"; done
[ "$(id -u)" = 0 ] || { echo "skipped: needs root (network namespace, second engine)"; exit 0; }
state=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)
if [ "$state" != inactive ]; then
    # A worker must reach the manager at an address of the veth; an existing swarm advertises its own.
    echo "skipped: the host engine is already in a swarm (state \"$state\"); this test makes its own"
    exit 0
fi

# ---- names and addresses (K from the pid; a /30 nothing on the host uses) ----
K=$(($$ % 200 + 20))
for _ in $(seq 1 200); do
    ip -o addr show | grep -q " 10\.23[123]\.$K\." || break
    K=$((K % 200 + 21))
done
HOST_IP=10.231.$K.1
WORKER_IP=10.231.$K.2
NS=faas-w-$T_PREFIX
VETH_H=fwh$$
VETH_W=fwn$$
WORKER_NAME=faas-w-$$   # the worker engine's host name: its swarm node's hostname
W=$T_DIR/w
WD="docker -H unix://$W/docker.sock"
CGROUP=faas-w-$T_PREFIX
SWARM_INITED=0
GWBRIDGE_BEFORE=$(docker network ls -q --filter name='^docker_gwbridge$')
REG_PIDS=()
WORKER_PID=""

# ---- teardown (trap, and the end of the test where it is checked) ----
stop_pid() { # stop_pid PID SECONDS: TERM, then KILL past the deadline; waits for it
    local pid=$1 deadline=$(($(date +%s) + $2))
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    return 0
}

stop_worker() { # stop_worker [leave]: stops the worker engine (leaving the swarm first with "leave")
    local cpid=""
    [ -n "$WORKER_PID" ] || return 0
    [ -f "$W/exec/containerd/containerd.pid" ] && cpid=$(cat "$W/exec/containerd/containerd.pid")
    [ "${1:-}" = leave ] && $WD swarm leave --force >/dev/null 2>&1
    stop_pid "$WORKER_PID" 40
    wait "$WORKER_PID" 2>/dev/null
    # dockerd stops its containerd; should it have been killed, its containerd goes too.
    [ -n "$cpid" ] && [ -d "/proc/$cpid" ] && grep -q "$W" "/proc/$cpid/cmdline" 2>/dev/null && stop_pid "$cpid" 10
    WORKER_PID=""
}

nodes_cleanup() {
    local ids pid d
    for pid in "${T_PIDS[@]}"; do # faas first: it would make a removed service again
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    ids=$(docker service ls -q --filter "name=${T_PREFIX}-" 2>/dev/null)
    [ -n "$ids" ] && docker service rm $ids >/dev/null 2>&1
    stop_worker leave
    for pid in "${REG_PIDS[@]}"; do stop_pid "$pid" 5; done
    # What a worker killed hard would leave: processes in its network namespace (its containerd and
    # shims) and in its cgroups (its containers), all started by this test.
    for pid in $(ip netns pids "$NS" 2>/dev/null) $(cat /sys/fs/cgroup/pids/"$CGROUP"/*/cgroup.procs 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null
    done
    ip netns del "$NS" 2>/dev/null
    ip link del "$VETH_H" 2>/dev/null
    for d in /sys/fs/cgroup/*/"$CGROUP"; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done
    findmnt -rn -o TARGET | grep "^$T_DIR/" | sort -r | while read -r m; do umount -l "$m"; done
    ids=$(docker images -q --filter "reference=127.0.0.1:*/${T_PREFIX}-*" 2>/dev/null | sort -u)
    [ -n "$ids" ] && docker rmi -f $ids >/dev/null 2>&1
    t_cleanup
    if [ "$SWARM_INITED" = 1 ]; then
        docker swarm leave --force >/dev/null 2>&1
        [ -z "$GWBRIDGE_BEFORE" ] && docker network rm docker_gwbridge >/dev/null 2>&1
        SWARM_INITED=0
    fi
}
trap nodes_cleanup EXIT

# ---- the namespace and the worker engine ----
make_netns() {
    ip netns add "$NS" &&
        ip link add "$VETH_H" type veth peer name "$VETH_W" &&
        ip link set "$VETH_W" netns "$NS" &&
        ip addr add "$HOST_IP/30" dev "$VETH_H" && ip link set "$VETH_H" up &&
        ip -n "$NS" addr add "$WORKER_IP/30" dev "$VETH_W" && ip -n "$NS" link set "$VETH_W" up &&
        ip -n "$NS" link set lo up && ip -n "$NS" route add default via "$HOST_IP"
}

# The worker dockerd runs in the network namespace (nsenter --net: `ip netns exec` would remount
# /sys and lose /sys/fs/cgroup) and in new mount and UTS namespaces, where: /sys is this network
# namespace's sysfs with the host's cgroup mounts bound back; tmpfs hide /run/docker (libnetwork's
# fixed paths), /run/containerd and /etc/docker (key.json, daemon.json) of the host engine; and the
# host name is its own. Everything else of its own is a flag into $W. Its PID is $WORKER_PID (the
# shell execs dockerd); it starts its own containerd (none listens at /run/containerd here).
start_worker() {
    mkdir -p "$W/data" "$W/exec" "$W/cg"
    echo '{}' >"$W/daemon.json"
    nsenter --net="/run/netns/$NS" unshare --mount --uts --propagation slave sh -c '
        set -e
        W=$1; shift
        hostname "$1"; shift
        mount --rbind /sys/fs/cgroup "$W/cg"
        mount -t sysfs sysfs /sys
        mount --rbind "$W/cg" /sys/fs/cgroup
        umount -R -l "$W/cg"
        mount -t tmpfs tmpfs /run/docker
        mount -t tmpfs tmpfs /run/containerd
        mount -t tmpfs tmpfs /etc/docker
        exec dockerd "$@"' worker "$W" "$WORKER_NAME" \
        --config-file "$W/daemon.json" --data-root "$W/data" --exec-root "$W/exec" --pidfile "$W/docker.pid" \
        -H "unix://$W/docker.sock" --storage-driver overlay2 --cgroup-parent "$CGROUP" \
        --bip "10.232.$K.1/24" --default-address-pool "base=10.233.0.0/16,size=24" --log-level warn \
        >"$W/dockerd.log" 2>&1 &
    WORKER_PID=$!
    wait_for "worker engine" 30 $WD version
}

# Two docker-registry processes on 127.0.0.1:$REG_PORT, one in the host's namespace and one in the worker's, one storage.
start_registry() {
    swarm_registry_config "127.0.0.1:$REG_PORT" # the same address in both namespaces
    /usr/bin/docker-registry serve "$T_DIR/registry/config.yml" >"$T_DIR/registry/host.log" 2>&1 &
    REG_PIDS+=($!)
    nsenter --net="/run/netns/$NS" /usr/bin/docker-registry serve "$T_DIR/registry/config.yml" \
        >"$T_DIR/registry/worker.log" 2>&1 &
    REG_PIDS+=($!)
}

ms() { echo $(($(date +%s%N) / 1000000)); }

check "network namespace $NS with veth $VETH_H ($HOST_IP/30)" make_netns
check "the host routes $WORKER_IP through the veth" sh -c "ip route get $WORKER_IP | grep -q 'dev $VETH_H '"
t0=$(ms)
check "the worker engine starts in the namespace" start_worker
echo "     worker engine up in $(($(ms) - t0)) ms"
[ -n "$WORKER_PID" ] && kill -0 "$WORKER_PID" 2>/dev/null || { echo "---- $W/dockerd.log"; cat "$W/dockerd.log"; exit 1; }
check_eq "the worker engine has its own data root" "$($WD info --format '{{.DockerRootDir}}')" "$W/data"
check_eq "the worker engine's name" "$($WD info --format '{{.Name}}')" "$WORKER_NAME"
check_eq "the host engine is untouched" "$(docker info --format '{{.DockerRootDir}}')" /var/lib/docker
check "the host's docker0 is still there" ip link show docker0

t0=$(ms)
docker swarm init --advertise-addr "$HOST_IP" >/dev/null || { echo "cannot init a swarm on $HOST_IP"; exit 1; }
SWARM_INITED=1
check "the worker joins" $WD swarm join --token "$(docker swarm join-token -q worker)" --advertise-addr "$WORKER_IP" "$HOST_IP:2377"
WORKER_NODE=$($WD info --format '{{.Swarm.NodeID}}')
check "the worker node is ready" wait_for "worker ready" 30 sh -c \
    "[ \"\$(docker node inspect -f '{{.Status.State}} {{.Status.Addr}}' $WORKER_NODE)\" = 'ready $WORKER_IP' ]"
join_ms=$(($(ms) - t0))
echo "     swarm init + worker join until ready: ${join_ms} ms"
check_eq "two nodes" "$(docker node ls -q | wc -l)" 2

REG_PORT=$(free_port)
start_registry
check "the registry answers on the host's loopback" wait_for "registry" 10 curl -sf "http://127.0.0.1:$REG_PORT/v2/"
check "and on the worker's" wait_for "registry (worker)" 10 \
    nsenter --net="/run/netns/$NS" curl -sf "http://127.0.0.1:$REG_PORT/v2/"

faas_start_docker nodes 'backend = "swarm"' "docker = { image_prefix = \"$T_PREFIX\", registry = \"127.0.0.1:$REG_PORT\" }" \
    'restart_interval = "2s"' 'scale = { wake_timeout = "5s" }' || exit 1
check_contains "faas sees 2 nodes" "$(grep 'backend swarm' "$F_LOG")" "2 nodes"
FN=$T_PREFIX-pin
SERVICE=$T_PREFIX-$FN
py_host_service "$T_DIR/app"
zip_dir "$T_DIR/app" "$T_DIR/app.zip"

# ---- placement is validated ----
for bad in "node.role=worker" "node.hostname==" "==x" "node role==worker" "$(printf 'node.id==a%.0s' $(seq 1 30))"; do
    upload "$FN" 0 "$T_DIR/app.zip" -F "placement=$bad"
    check_eq "placement \"${bad:0:24}\" refused" "$H_STATUS $(json .error)" "400 Invalid placement"
done
upload "$FN" 0 "$T_DIR/app.zip" -F "placement=$(seq -f 'node.id!=n%g' -s , 1 17)"
check_eq "17 constraints refused" "$H_STATUS $(json .error)" "400 Invalid placement"
http GET "$F_URL/function/get/$FN" -H "Authorization: $F_KEY"
check_eq "nothing was made" "$H_STATUS" 404

# ---- a function pinned to the worker ----
t0=$(ms)
upload "$FN" 0 "$T_DIR/app.zip" -F scale_min=1 -F "placement=node.hostname==$WORKER_NAME"
check_eq "upload with placement" "$H_STATUS" 200
check "deployed" deployed "$FN" 180
first_ms=$(($(ms) - t0))
check_eq "the record shows the placement" "$(fn_status "$FN" '.placement | join(",")')" "node.hostname==$WORKER_NAME"
check_eq "the service carries the constraint" \
    "$(docker service inspect -f '{{json .Spec.TaskTemplate.Placement.Constraints}}' "$SERVICE")" "[\"node.hostname==$WORKER_NAME\"]"
check_contains "the service names the pushed image by digest" \
    "$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$SERVICE")" "127.0.0.1:$REG_PORT/$SERVICE@sha256:"
task=$(fn_status "$FN" '.replicas[0].id')
check_eq "its task runs on the worker node" "$(docker inspect -f '{{.NodeID}}' "$task" 2>/dev/null)" "$WORKER_NODE"
check_contains "faas routes to the worker's address" "$(fn_status "$FN" '.replicas[0].address')" "$WORKER_IP:"
check_eq "and the replica is ready" "$(fn_status "$FN" '.replicas[0].state')" ready
http GET "$F_URL/function/listrunning" -H "Authorization: $F_KEY"
check_eq "listrunning shows the task on the worker" \
    "$(json "[.[] | select(.Task == true and .Node == \"$WORKER_NAME\" and .NodeAddr == \"$WORKER_IP\")] | length")" 1
t1=$(ms)
http GET "$F_URL/" -H "Host: $FN.localhost"
echo "     upload to serving from the worker: ${first_ms} ms; a request: $(($(ms) - t1)) ms"
check_eq "a request through faas is answered" "$H_STATUS" 200
served_by=${H_BODY#up }
worker_ctrs=$($WD ps -q --no-trunc)
check_contains "by a container of the worker engine ($served_by)" "$worker_ctrs" "${served_by:-none}"
check_not_contains "not by one of the host engine" "$(docker ps -q --no-trunc)" "${served_by:-none}"
check_eq "the worker pulled the image from the registry" \
    "$($WD images --digests --format '{{.Repository}}' | grep -c "^127.0.0.1:$REG_PORT/$SERVICE$")" 1

# ---- the local backend refuses a placement ----
L_URL=$F_URL L_KEY=$F_KEY L_PID=$F_PID L_LOG=$F_LOG
faas_start_docker local || exit 1
upload "$T_PREFIX-loc" 0 "$T_DIR/app.zip" -F "placement=node.role==worker"
check_eq "backend docker: placement refused" "$H_STATUS $(json .error)" "400 Invalid placement"
check_contains "saying it needs backend swarm" "$(json .details)" 'backend "swarm"'
faas_stop
F_URL=$L_URL F_KEY=$L_KEY F_PID=$L_PID F_LOG=$L_LOG

# ---- a redeploy keeps it on the worker ----
old_task=$task
upload "$FN" 0 "$T_DIR/app.zip" -F 'env=V=2'
check_eq "redeploy (placement kept)" "$H_STATUS" 200
check "redeployed" deployed "$FN" 180
check_eq "the placement is kept" "$(fn_status "$FN" '.placement | join(",")')" "node.hostname==$WORKER_NAME"
check "the new task is routed, the old one not" wait_for "new task" 30 sh -c \
    "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq -r '[.replicas[] | select(.state == \"ready\") | .id] | join(\" \")')\" != '$old_task' ]"
task=$(fn_status "$FN" '.replicas[0].id')
check_eq "the new task runs on the worker" "$(docker inspect -f '{{.NodeID}}' "$task" 2>/dev/null)" "$WORKER_NODE"
http GET "$F_URL/" -H "Host: $FN.localhost"
check_eq "served after the redeploy" "$H_STATUS" 200
served_by=${H_BODY#up }
check_contains "by the worker's new container" "$($WD ps -q --no-trunc)" "${served_by:-none}"

# ---- the worker engine stops: faas drops its task, requests get an answer ----
t0=$(ms)
stop_worker
echo "     worker engine stopped in $(($(ms) - t0)) ms"
check "faas drops the worker's task" wait_for "no replica on the worker" 60 sh -c \
    "! curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq -r '.replicas[].address' | grep -q '^$WORKER_IP:'"
echo "     task dropped $(($(ms) - t0)) ms after the stop began"
t1=$(ms)
http GET "$F_URL/" -H "Host: $FN.localhost"
took=$(($(ms) - t1))
echo "     a request with no node to run on: $H_STATUS in $took ms"
check_eq "a request gets a 5xx" "$(case $H_STATUS in 502 | 503 | 504) echo 5xx ;; *) echo "$H_STATUS" ;; esac)" 5xx
check "as JSON" jq -e .error "$T_DIR/.body"
check "within the wake timeout and a margin (${took} ms)" test "$took" -lt 15000

faas_stop
check_eq "faas exits cleanly" "$F_RC" 0

# ---- teardown, checked ----
nodes_cleanup
check_eq "no process of this test is left" "$(pgrep -f -- "$W/" | wc -l)" 0
check "the namespace is gone" sh -c "! ip netns list | grep -q '^$NS\\b'"
check "the veth is gone" sh -c "! ip link show $VETH_H 2>/dev/null | grep -q ."
check_eq "no cgroup of the worker is left" "$(ls -d /sys/fs/cgroup/*/"$CGROUP" 2>/dev/null | wc -l)" 0
check_eq "the host engine is out of the swarm again" "$(docker info --format '{{.Swarm.LocalNodeState}}')" inactive
check "the host's docker0 is still there" ip link show docker0
check "the test folder is gone" test ! -e "$T_DIR"
echo "$T_CHECKS checks, $T_FAILS failed"
[ "$T_FAILS" -eq 0 ]
