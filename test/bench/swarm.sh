#!/usr/bin/env bash
# bench/swarm.sh: the swarm backend next to the local one, in the same run, on this one machine.
#   1. Proxy throughput: wrk (HTTP/1.1, keep-alive) through faas to the same nginx function
#      (bench_nginx_function) served by a local container and by a Swarm task (reached at its
#      node address and published port); req/s, p50, p99 and the ratio swarm / local.
#   2. Wake: time to the first response of a request that finds the function at 0 replicas
#      (Swarm: the service scaled to 0, a task started), next to the local backend's paused and
#      stopped replicas, through faas, ROUNDS each (medians).
# Initialises a single-node swarm (advertise 127.0.0.1) only if the engine is in none, and leaves
# it only if it did. Not a pass/fail test. Usage: test/bench/swarm.sh [ROUNDS] (default 5);
# BENCH_DURATION (10 s), BENCH_CONNS (32).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
ROUNDS=${1:-5}
DUR=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNS:-32}
bench_tools "wrk nginx-light" wrk nginx

. "$(dirname "$0")/../e2e/lib_swarm.sh"
bench_cleanup() {
    swarm_cleanup
    docker rmi -f "$T_PREFIX-nginx-base:1" >/dev/null 2>&1
    return 0
}
trap bench_cleanup EXIT
swarm_up 127.0.0.1 || exit 1

SCALE='scale = { pause_after = "2s", stop_after = "4s", wake_timeout = "60s" }'
faas_start_docker local 'log_level = "info"' "$SCALE" || exit 1
LOCAL_URL=$F_URL LOCAL_KEY=$F_KEY LOCAL_LOG=$F_LOG LOCAL_PID=$F_PID
bench_nginx_function "$T_PREFIX-loc" 0 || exit 1
faas_start_docker swarm 'log_level = "info"' 'backend = "swarm"' "$SCALE" || exit 1
SWARM_URL=$F_URL SWARM_KEY=$F_KEY
bench_nginx_function "$T_PREFIX-swm" 0 || exit 1
trap bench_cleanup EXIT # bench_nginx_function set its own
echo "swarm task at: $(curl -s -H "Authorization: $SWARM_KEY" "$SWARM_URL/function/get/$T_PREFIX-swm" | jq -r '.replicas[0].address')"

# ---- 1. throughput ----
ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
wrk_run() {
    local out
    out=$(wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -H "Host: $2" "$1/index.html")
    echo "$(awk '/^Requests\/sec/ {print int($2)}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out" | ms) $(awk '$1=="99%" {print $2}' <<<"$out" | ms)"
}
# min 1 for the throughput runs: no wake in the middle of a measurement
for pair in "$LOCAL_URL $LOCAL_KEY loc" "$SWARM_URL $SWARM_KEY swm"; do
    set -- $pair
    curl -s -o /dev/null -X PUT -H "Authorization: $2" -d '{"min":1}' "$1/function/scale/$T_PREFIX-$3"
done
: >"$T_DIR/tp"
for round in 1 2; do # in turns, so neither gets the quieter moments
    echo "local $(wrk_run "$LOCAL_URL" "$T_PREFIX-loc.localhost")" >>"$T_DIR/tp"
    echo "swarm $(wrk_run "$SWARM_URL" "$T_PREFIX-swm.localhost")" >>"$T_DIR/tp"
done
col() { awk -v k="$1" -v c="$2" '$1==k {print $c}' "$T_DIR/tp" | median; }
printf '\nproxy throughput (wrk -t2 -c%s, %ss, medians of 2)\n' "$CONNS" "$DUR"
printf '  %-7s %9s %9s %9s\n' backend req/s p50_ms p99_ms
for k in local swarm; do printf '  %-7s %9s %9s %9s\n' "$k" "$(col $k 2)" "$(col $k 3)" "$(col $k 4)"; done
awk -v s="$(col swarm 2)" -v l="$(col local 2)" 'BEGIN {printf "  swarm / local req/s: %.2f\n", s / l}'

# ---- 2. wake ----
for pair in "$LOCAL_URL $LOCAL_KEY loc" "$SWARM_URL $SWARM_KEY swm"; do
    set -- $pair
    curl -s -o /dev/null -X PUT -H "Authorization: $2" -d '{"min":0}' "$1/function/scale/$T_PREFIX-$3"
done
# first URL KEY FN: ms to the first response, and its Server-Timing wake desc
first() {
    local out
    out=$(curl -s -o /dev/null -D - -w 'T=%{time_total}\n' --max-time 60 -H "Host: $T_PREFIX-$3.localhost" "$1/index.html")
    echo "$(awk -F= '/^T=/ {printf "%d", $2 * 1000}' <<<"$out") $(grep -io 'wake;desc="[a-z]*"' <<<"$out" | sed 's/.*desc="//; s/"//')"
}
: >"$T_DIR/wake"
for round in $(seq 1 "$ROUNDS"); do
    wait_for "local paused" 30 sh -c "[ \"\$(curl -s -H 'Authorization: $LOCAL_KEY' $LOCAL_URL/function/get/$T_PREFIX-loc | jq -r '[.replicas[].state] | join(\",\")')\" = paused ]" >/dev/null
    echo "local-paused $(first "$LOCAL_URL" "$LOCAL_KEY" loc)" >>"$T_DIR/wake"
    wait_for "local stopped" 30 sh -c "[ \"\$(curl -s -H 'Authorization: $LOCAL_KEY' $LOCAL_URL/function/get/$T_PREFIX-loc | jq -r '[.replicas[].state] | join(\",\")')\" = stopped ]" >/dev/null
    echo "local-stopped $(first "$LOCAL_URL" "$LOCAL_KEY" loc)" >>"$T_DIR/wake"
    wait_for "swarm at 0" 40 sh -c "[ \"\$(docker service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' $T_PREFIX-$T_PREFIX-swm)\" = 0 ] && [ \"\$(curl -s -H 'Authorization: $SWARM_KEY' $SWARM_URL/function/get/$T_PREFIX-swm | jq '.replicas | length')\" = 0 ]" >/dev/null
    echo "swarm-zero $(first "$SWARM_URL" "$SWARM_KEY" swm)" >>"$T_DIR/wake"
done
printf '\nwake to the first response through faas (%s rounds, median ms; Server-Timing desc)\n' "$ROUNDS"
for k in local-paused local-stopped swarm-zero; do
    printf '  %-14s %6s ms  (%s)\n' "$k" "$(awk -v k=$k '$1==k {print $2}' "$T_DIR/wake" | median)" \
        "$(awk -v k=$k '$1==k {print $3}' "$T_DIR/wake" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
done
awk '$1=="local-stopped" {print $2}' "$T_DIR/wake" | median >"$T_DIR/ls"
awk -v s="$(awk '$1=="swarm-zero" {print $2}' "$T_DIR/wake" | median)" -v l="$(cat "$T_DIR/ls")" \
    'BEGIN {printf "  swarm from zero / local from stopped: %.2f\n", s / l}'
