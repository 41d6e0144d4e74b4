#!/usr/bin/env bash
# bench/idle_memory.sh: what an idle service function costs in memory while running, paused and
# stopped. Deploys BENCH_FUNCTIONS (20) small Python services (lib.sh's py_service, a
# ThreadingHTTPServer on python:3.11-slim), BENCH_PARALLEL (4) at a time, with scale_min = 1 so
# they stay running; then sets min = 0 and lets faas's own timers (pause_after 3s, stop_after 20s)
# pause and then stop them, waiting each time until the record and the engine say so for all.
# In each state, and with none deployed (before the deploys, and again after deleting them at
# the end: "vs none" is against the mean of the two), it reads
#   - host memory in use: `free -b` "used" (total - free - buffers/cache), median of 3 readings;
#   - the sum over the containers of their memory cgroup, found from docker inspect (State.Pid,
#     then /proc/PID/cgroup): memory.usage_in_bytes (cgroup v1) or memory.current (v2), which
#     count the page cache the container touched, and the anonymous memory alone (memory.stat:
#     total_rss under v1, anon under v2);
#   - the memory of the containers' containerd-shim processes (outside their cgroups): their
#     proportional set size (Pss in /proc/PID/smaps_rollup: pages they share, such as the
#     shim's code, are split among them; their resident sizes would count those 20 times).
# and prints a table in MiB and the cost per function in each state. Other work on the machine
# moves `free` (the table counts the engine's other running containers at each reading); the
# cgroup and shim figures are the containers' own. Not a pass/fail test.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
N=${BENCH_FUNCTIONS:-20}
PAR=${BENCH_PARALLEL:-4}

if [ -e /sys/fs/cgroup/cgroup.controllers ]; then CG=v2; else CG=v1; fi

faas_start_docker mem 'log_level = "info"' 'scale = { pause_after = "3s", stop_after = "20s" }' || exit 1
FNS=()
for i in $(seq 1 "$N"); do FNS+=("$T_PREFIX-m$(printf %02d "$i")"); done

# host_used: bytes in use on the host, median of 3 readings 200 ms apart.
host_used() {
    for _ in 1 2 3; do
        free -b | awk '/^Mem:/ {print $3}'
        sleep 0.2
    done | median
}
# cgroup_of PID: the container's memory cgroup folder.
cgroup_of() {
    if [ $CG = v2 ]; then
        echo "/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' "/proc/$1/cgroup")"
    else
        echo "/sys/fs/cgroup/memory$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$1/cgroup")"
    fi
}
# measure LABEL: appends "LABEL <host used> <cgroup usage> <cgroup anon> <shim pss> <containers> <others>"
# (bytes; others: running or paused containers on the engine that are not this script's).
measure() {
    local usage=0 anon=0 shim=0 n=0 id pid dir ppid others
    for fn in "${FNS[@]}"; do
        for id in $(docker ps -aq --filter "label=faas.function=$fn"); do
            pid=$(docker inspect -f '{{.State.Pid}}' "$id")
            [ "${pid:-0}" -gt 0 ] || continue
            dir=$(cgroup_of "$pid")
            if [ $CG = v2 ]; then
                usage=$((usage + $(cat "$dir/memory.current")))
                anon=$((anon + $(awk '$1 == "anon" {print $2}' "$dir/memory.stat")))
            else
                usage=$((usage + $(cat "$dir/memory.usage_in_bytes")))
                anon=$((anon + $(awk '$1 == "total_rss" {print $2}' "$dir/memory.stat")))
            fi
            ppid=$(ps -o ppid= -p "$pid" | tr -d ' ')
            [ -n "$ppid" ] && shim=$((shim + 1024 * $(awk '$1 == "Pss:" {print $2}' "/proc/$ppid/smaps_rollup")))
            n=$((n + 1))
        done
    done
    others=$(docker ps -q | grep -c .) # running and paused
    echo "$1 $(host_used) $usage $anon $shim $n $((others - n))" >>"$T_DIR/results"
}
# all_in STATE: every function's record lists one replica, in STATE, and the engine agrees.
all_in() {
    local fn id
    for fn in "${FNS[@]}"; do
        [ "$(fn_status "$fn" '[.replicas[].state] | join(",")')" = "$1" ] || return 1
        id=$(fn_status "$fn" '.replicas[0].id')
        case $1 in
        ready) [ "$(docker inspect -f '{{.State.Status}}' "$id")" = running ] || return 1 ;;
        paused) [ "$(docker inspect -f '{{.State.Paused}}' "$id")" = true ] || return 1 ;;
        stopped) [ "$(docker inspect -f '{{.State.Running}}' "$id")" = false ] || return 1 ;;
        esac
    done
}

# still_in STATE: after a reading, the engine has not been restarted (by other work: that stops
# every container) and every function is still in STATE, or the reading does not count.
still_in() {
    docker version >/dev/null 2>&1 && all_in "$1" && return 0
    echo "the functions are no longer all $1 after the reading (the engine restarted?): run again"
    exit 1
}

: >"$T_DIR/results"
measure "none (before)"

echo "deploying $N functions, $PAR at a time ..." >&2
py_service "$T_DIR/code" idle
zip_dir "$T_DIR/code" "$T_DIR/code.zip"
for ((i = 0; i < N; i += PAR)); do
    batch=("${FNS[@]:i:PAR}")
    for fn in "${batch[@]}"; do
        upload "$fn" 0 "$T_DIR/code.zip" -F scale_min=1
        [ "$H_STATUS" = 200 ] || { echo "upload of $fn answered $H_STATUS $H_BODY"; exit 1; }
    done
    for fn in "${batch[@]}"; do
        deployed "$fn" 180 || { echo "$fn did not deploy"; tail -20 "$F_LOG"; exit 1; }
    done
done
for fn in "${FNS[@]}"; do
    curl -sf -o /dev/null -H "Host: $fn.localhost" "$F_URL/" || { echo "$fn does not answer"; exit 1; }
done
wait_for "all running" 60 all_in ready || exit 1
measure running
still_in ready

echo "min = 0: waiting for faas to pause them ..." >&2
for fn in "${FNS[@]}"; do
    http PUT "$F_URL/function/scale/$fn" -H "Authorization: $F_KEY" -H 'Content-Type: application/json' -d '{"min":0}'
    [ "$H_STATUS" = 200 ] || { echo "PUT scale $fn answered $H_STATUS $H_BODY"; exit 1; }
done
wait_for "all paused" 60 all_in paused || exit 1
measure paused
still_in paused
echo "waiting for faas to stop them ..." >&2
wait_for "all stopped" 90 all_in stopped || exit 1
measure stopped
still_in stopped

for fn in "${FNS[@]}"; do
    http DELETE "$F_URL/function/delete/$fn" -H "Authorization: $F_KEY"
    [ "$H_STATUS" = 200 ] || { echo "delete $fn answered $H_STATUS $H_BODY"; exit 1; }
done
none_left() { [ -z "$(docker ps -aq --filter "name=^${T_PREFIX}-")" ]; }
wait_for "containers removed" 60 none_left || exit 1
measure "none (after)"

echo "per state (label, bytes: host used, cgroup usage, cgroup anon, shim pss; containers, others running):"
sed 's/^/  /' "$T_DIR/results"
row() { grep "^$1 " "$T_DIR/results" | sed "s/^$1 //"; }
read -r b0 _ <<<"$(row "none (before)")"
read -r b1 _ <<<"$(row "none (after)")"
base=$(((b0 + b1) / 2))
mib() { echo "$1 / 1048576" | bc -l | xargs printf '%.1f'; }
echo
echo "$N idle Python http.server functions (python:3.11-slim), cgroup $CG; MiB"
printf '%-14s %10s %8s %9s %12s %10s %11s %7s\n' state "host used" "vs none" "cgroups" "cgroup anon" "shims Pss" "containers" "others"
while read -r label; do
    read -r used usage anon shim n others <<<"$(row "$label")"
    printf '%-14s %10s %8s %9s %12s %10s %11s %7s\n' "$label" "$(mib "$used")" \
        "$([ "${label%% *}" = none ] && echo - || mib $((used - base)))" "$(mib "$usage")" "$(mib "$anon")" "$(mib "$shim")" \
        "$n" "$others"
done < <(awk '{l=$1; if ($1 == "none") l=$1 " " $2; print l}' "$T_DIR/results")
echo "(vs none: host used minus the mean of the two readings with none, $(mib "$base") MiB)"
echo "per function:"
for label in running paused stopped; do
    read -r used usage anon shim _ <<<"$(row "$label")"
    printf '  %-9s host %5s MiB; its own: cgroup %4s MiB (anon %4s) + shim %4s = %4s MiB\n' "$label" \
        "$(mib $(((used - base) / N)))" "$(mib $((usage / N)))" "$(mib $((anon / N)))" "$(mib $((shim / N)))" \
        "$(mib $(((usage + shim) / N)))"
done
faas_stop TERM
