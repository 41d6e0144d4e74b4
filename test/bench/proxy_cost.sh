#!/usr/bin/env bash
# bench/proxy_cost.sh: what a proxied request costs, counted rather than timed. requests/s on a
# shared 2-core VM moves by 20% between rounds; these counts hardly move:
#   (a) syscalls per request under wrk -t2 -c64 (strace -c -f on every thread of the process), for
#       faas with metrics on and off, HAProxy and nginx, in front of the same upstream (Debian's
#       nginx in a container, 100-byte file: see lib_bench.sh);
#   (b) user-space instructions per request (valgrind's callgrind, zeroed after a warm-up, counting
#       only inside the event loops: not the timers of other threads) of faas with metrics on and
#       off, over HTTP/1.1 and h2c, twice each, interleaved: what counting costs a request, without
#       noise. The kernel's share of a request is set by (a), the same on and off.
# Not a pass/fail test. Env: BENCH_REQUESTS (10000), BENCH_SECONDS (3, for (a)).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
N=${BENCH_REQUESTS:-10000}
DUR=${BENCH_SECONDS:-3}

bench_tools "wrk nginx-light nghttp2-client haproxy strace valgrind" wrk nginx h2load haproxy strace valgrind
FAAS_REAL=$FAAS_BIN
faas_start_docker cost 'log_level = "info"' || exit 1
FN=$T_PREFIX-nginx
bench_nginx_function "$FN" "$(free_port)" || exit 1
IP=$(fn_status "$FN" .address | cut -d: -f1)
NP=$(free_port) NP2=$(free_port) HP=$(free_port) HP2=$(free_port)
bench_nginx_proxy "$IP:8080" "$NP" "$NP2" || exit 1
bench_haproxy "$IP:8080" "$HP" "$HP2" || exit 1

# restart_faas on|off [BINARY]: faas again on the same data (the function's container stays), with
# metrics on or off; serving again before it returns.
restart_faas() {
    faas_stop TERM
    sed -i '/^metrics = /d' "$T_DIR/cost/faas.conf.lua"
    [ "$1" = off ] && echo 'metrics = false' >>"$T_DIR/cost/faas.conf.lua"
    FAAS_BIN=${2:-$FAAS_REAL} faas_run cost || exit 1
    wait_for "faas serving $FN" 60 sh -c "[ \"\$(curl -s -H 'Host: $FN.localhost' '$F_URL/index.html' | wc -c)\" = 100 ]" || exit 1
}

# syscalls NAME URL HOST PID...: "<NAME> <syscalls per request>" and the main calls, under wrk.
# strace -f on a process takes all its threads ("attached with N threads").
syscalls() {
    local name=$1 url=$2 host=$3 args=() p n out total; shift 3
    for p in "$@"; do args+=(-p "$p"); done
    strace -c -f -o "$T_DIR/strace.$name" "${args[@]}" 2>"$T_DIR/strace.$name.err" &
    local sp=$!
    wait_for "strace attached" 20 sh -c "[ \$(grep -c attached '$T_DIR/strace.$name.err') -ge $# ]" || return 1
    out=$(wrk -t2 -c64 -d"${DUR}s" ${host:+-H "Host: $host"} "$url")
    kill -INT "$sp"
    wait_for "strace summary" 30 sh -c "! kill -0 $sp 2>/dev/null"
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    # columns: % time, seconds, usecs/call, calls, [errors,] syscall
    total=$(awk '$NF=="total" {print $4}' "$T_DIR/strace.$name")
    printf '%-10s %8s requests %9s syscalls %6.2f per request:' "$name" "$n" "$total" "$(echo "$total / $n" | bc -l)"
    awk -v n="$n" 'NR>2 && $1 !~ /^-/ && $NF!="total" && $4/n >= 0.01 {printf "%s %.2f\n", $NF, $4/n}' "$T_DIR/strace.$name" |
        sort -k2 -rn | awk '{printf " %s %s", $1, $2}'
    echo
}

echo "(a) syscalls per request, wrk -t2 -c64 for ${DUR}s each:"
syscalls faas "$F_URL/index.html" "$FN.localhost" "$F_PID"
syscalls haproxy "http://127.0.0.1:$HP/index.html" "" "$HAPROXY_PID"
syscalls nginx "http://127.0.0.1:$NP/index.html" "" $(pgrep -P "$NGINX_PID")
restart_faas off
syscalls faas-off "$F_URL/index.html" "$FN.localhost" "$F_PID"

# callgrind PROTO H2LOAD-ARGS...: user-space instructions per request of the faas under valgrind.
callgrind() {
    local proto=$1 before files ir; shift
    h2load -n 500 -c 8 "$@" "$F_URL/index.html" >/dev/null # warm: pools, connections, tables
    callgrind_control -z "$F_PID" >/dev/null
    h2load -n "$N" -c 8 "$@" "$F_URL/index.html" | grep -q "$N succeeded" || { echo "$proto: requests failed"; return 1; }
    before=$(ls "$T_DIR"/cg.* 2>/dev/null | wc -l)
    callgrind_control -d "$F_PID" >/dev/null
    wait_for "callgrind dump" 30 sh -c "[ \$(ls '$T_DIR'/cg.* | wc -l) -gt $before ]" || return 1
    files=$(ls -t "$T_DIR"/cg.* | head -1)
    wait_for "dump written" 30 grep -q '^totals:' "$files" || return 1
    ir=$(awk '/^totals:/ {print $2}' "$files")
    echo $((ir / N))
}
cat >"$T_DIR/vg-faas" <<VG
#!/bin/sh
exec valgrind --tool=callgrind --toggle-collect=h2o_evloop_run --callgrind-out-file=$T_DIR/cg.%p "$FAAS_REAL" "\$@"
VG
chmod +x "$T_DIR/vg-faas"
declare -A IR
for m in off on off on; do
    restart_faas "$m" "$T_DIR/vg-faas"
    IR[$m-h1]="${IR[$m-h1]:-} $(callgrind h1 --h1 -H "Host: $FN.localhost")"
    IR[$m-h2c]="${IR[$m-h2c]:-} $(callgrind h2c -m 10 -H ":authority: $FN.localhost")"
done
least() { tr ' ' '\n' | grep . | sort -n | head -1; }
echo
echo "(b) user-space instructions per request (callgrind, $N requests, 8 connections):"
printf '%-6s %16s %16s %10s\n' proto "metrics on" "metrics off" "on/off"
for p in h1 h2c; do
    on=$(least <<<"${IR[on-$p]}") off=$(least <<<"${IR[off-$p]}")
    printf '%-6s %16s %16s %10.3f\n' "$p" "${IR[on-$p]# }" "${IR[off-$p]# }" "$(echo "$on / $off" | bc -l)"
done
echo "(on/off of the lower of each pair)"
restart_faas on
kill "$HAPROXY_PID" "$NGINX_PID" 2>/dev/null
faas_stop TERM
