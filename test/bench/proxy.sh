#!/usr/bin/env bash
# bench/proxy.sh: what faas's proxy costs. In one run, against the same fast upstream (Debian's
# nginx binary deployed as a function, serving a small file), measures requests/s and latency
# percentiles of
#   (a) direct: straight to the container's own address (the physical limit),
#   (b) faas:   through faas, by its subdomain,
#   (c) nginx:  through nginx as a reverse proxy with keep-alive upstream connections (2 workers),
#   (d) haproxy: through HAProxy (Debian's, nbthread = cores, keep-alive, `http-reuse always`; h2c
#       through `proto h2` on its bind),
#   (e) faas-off: through a second faas with `metrics = false` (its own copy of the upstream),
# over HTTP/1.1 (wrk) and h2c (h2load), and prints every path's ratio to direct side by side, and
# what counting costs: faas (metrics on, the default) over faas-off, measured in the same rounds.
# Then the latency each proxy adds at one connection (wrk -t1 -c1): p50 and p99 minus direct's.
# Not a pass/fail test. Env: BENCH_SECONDS (8), BENCH_ROUNDS (3), BENCH_CONNECTIONS (64).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
DUR=${BENCH_SECONDS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-64}

bench_tools "wrk nginx-light nghttp2-client haproxy" wrk nginx h2load haproxy

faas_start_docker bench 'log_level = "info"' || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-nginx
bench_nginx_function "$FN" "$(free_port)" || exit 1
IP=$(fn_status "$FN" .address | cut -d: -f1)
ON_URL=$F_URL ON_PID=$F_PID ON_LOG=$F_LOG

# --- the same through a faas that counts nothing (metrics = false) --------------------------------
faas_start_docker bench_off 'log_level = "info"' 'metrics = false' || exit 1
FN_OFF=$T_PREFIX-nginxoff
bench_nginx_function "$FN_OFF" "$(free_port)" || exit 1
OFF_URL=$F_URL OFF_PID=$F_PID OFF_LOG=$F_LOG
F_URL=$ON_URL F_PID=$ON_PID F_LOG=$ON_LOG

# --- nginx and HAProxy as reverse proxies in front of the same container --------------------------
NP=$(free_port) NP2=$(free_port) HP=$(free_port) HP2=$(free_port)
bench_nginx_proxy "$IP:8080" "$NP" "$NP2" || exit 1
bench_haproxy "$IP:8080" "$HP" "$HP2" || exit 1
check_all() {
    [ "$(curl -s "http://$IP:8080/index.html" | wc -c)" = 100 ] &&
        [ "$(curl -s -H "Host: $FN.localhost" "$F_URL/index.html" | wc -c)" = 100 ] &&
        [ "$(curl -s "http://127.0.0.1:$NP/index.html" | wc -c)" = 100 ] &&
        [ "$(curl -s "http://127.0.0.1:$HP/index.html" | wc -c)" = 100 ] &&
        [ "$(curl -s --http2-prior-knowledge "http://127.0.0.1:$HP2/index.html" | wc -c)" = 100 ] &&
        [ "$(curl -s -H "Host: $FN_OFF.localhost" "$OFF_URL/index.html" | wc -c)" = 100 ]
}
check_all || { echo "a path does not serve the file"; exit 1; }

# --- measurements --------------------------------------------------------------------------------
# wrk_run URL [HOST]: "<req/s> <p50 ms> <p99 ms>"
ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
wrk_run() {
    local out threads=2
    [ "$CONNS" = 1 ] && threads=1
    out=$(wrk -t$threads -c"$CONNS" -d"${DUR}s" --latency ${2:+-H "Host: $2"} "$1")
    echo "$(awk '/^Requests\/sec/ {print int($2)}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out" | ms) $(awk '$1=="99%" {print $2}' <<<"$out" | ms)"
}
# h2_run URL [AUTHORITY]: "<req/s> <p50 ms> <p99 ms>"
h2_run() { h2load_run "$DUR" ${2:+-H ":authority: $2"} "$1"; }

: >"$T_DIR/results"
# faas and faas-off run back to back, in turns first, so neither gets the quieter moments. Each
# run also notes the CPU time its faas used per request (/proc/PID/stat utime + stime): on a
# shared machine that moves much less than requests/s.
TICK_US=$((1000000 / $(getconf CLK_TCK)))
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
faas_run_one() { # PROTO on|off RUNNER
    local url=$F_URL host=$FN.localhost pid=$ON_PID name=faas t0 line
    [ "$2" = off ] && url=$OFF_URL host=$FN_OFF.localhost pid=$OFF_PID name=faas-off
    t0=$(cpu_ticks "$pid")
    line=$($3 "$url/index.html" "$host")
    echo "$1 $name $line $round" >>"$T_DIR/results"
    echo "$1 $name $(( ($(cpu_ticks "$pid") - t0) * TICK_US * 1000 / (${line%% *} * DUR + 1) ))" >>"$T_DIR/cpu"
}
faas_pair() { # PROTO ROUND
    local run=wrk_run order="on off" w
    [ "$1" = h2 ] && run=h2_run
    [ $(($2 % 2)) = 0 ] && order="off on"
    for w in $order; do faas_run_one "$1" "$w" "$run"; done
}
: >"$T_DIR/cpu"
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round/$ROUNDS ..." >&2
    echo "h1 direct $(wrk_run "http://$IP:8080/index.html") $round" >>"$T_DIR/results"
    faas_pair h1 "$round"
    echo "h1 nginx $(wrk_run "http://127.0.0.1:$NP/index.html") $round" >>"$T_DIR/results"
    echo "h1 haproxy $(wrk_run "http://127.0.0.1:$HP/index.html") $round" >>"$T_DIR/results"
    echo "h2 direct $(h2_run "http://$IP:8081/index.html") $round" >>"$T_DIR/results"
    faas_pair h2 "$round"
    echo "h2 nginx $(h2_run "http://127.0.0.1:$NP2/index.html") $round" >>"$T_DIR/results"
    echo "h2 haproxy $(h2_run "http://127.0.0.1:$HP2/index.html") $round" >>"$T_DIR/results"
done
# One connection, one request at a time: what each proxy adds to a request's latency.
for round in $(seq 1 "$ROUNDS"); do
    echo "latency round $round/$ROUNDS ..." >&2
    CONNS=1
    echo "c1 direct $(wrk_run "http://$IP:8080/index.html") $round" >>"$T_DIR/results"
    echo "c1 faas $(wrk_run "$F_URL/index.html" "$FN.localhost") $round" >>"$T_DIR/results"
    echo "c1 nginx $(wrk_run "http://127.0.0.1:$NP/index.html") $round" >>"$T_DIR/results"
    echo "c1 haproxy $(wrk_run "http://127.0.0.1:$HP/index.html") $round" >>"$T_DIR/results"
done

echo "per round (proto path req/s p50 p99 round):"
sed 's/^/  /' "$T_DIR/results"
col() { awk -v p="$1" -v w="$2" -v c="$3" '$1==p && $2==w {print $c}' "$T_DIR/results" | median; }
# ratio PROTO A B COLUMN: the median over rounds of A/B within each round (paths measured minutes
# apart see different machines here; within a round they see nearly the same one).
ratio() {
    awk -v p="$1" -v a="$2" -v b="$3" -v c="$4" '$1==p && $2==a {x[$6]=$c} $1==p && $2==b {y[$6]=$c}
        END {for (r in x) if (y[r] > 0) print x[r] / y[r]}' "$T_DIR/results" | median
}
echo
echo "medians of $ROUNDS rounds of ${DUR}s (ratios: median of each round's); HTTP/1.1: wrk -t2 -c${BENCH_CONNECTIONS:-64}; h2c: h2load -t2 -c16 -m10; upstream: nginx, 1 worker, 100-byte file"
printf '%-8s %-8s %10s %9s %9s %10s\n' proto path "req/s" "p50 ms" "p99 ms" "/direct"
for p in h1 h2; do
    for w in direct faas nginx haproxy faas-off; do
        printf '%-8s %-8s %10s %9s %9s %10.2f\n' "$p" "$w" "$(col "$p" "$w" 3)" "$(col "$p" "$w" 4)" "$(col "$p" "$w" 5)" \
            "$(ratio "$p" "$w" direct 3)"
    done
    printf '%-8s faas/haproxy: req/s %.2f, p99 %.2f; faas/nginx: req/s %.2f, p99 %.2f (p99: lower is better)\n' "$p" \
        "$(ratio "$p" faas haproxy 3)" "$(ratio "$p" faas haproxy 5)" "$(ratio "$p" faas nginx 3)" "$(ratio "$p" faas nginx 5)"
    printf '%-8s metrics on/off throughput %.3f (target >= 0.97; test/bench/proxy_cost.sh counts it without noise)\n' "$p" \
        "$(ratio "$p" faas faas-off 3)"
    con=$(awk -v p="$p" '$1==p && $2=="faas" {print $3}' "$T_DIR/cpu" | median)
    coff=$(awk -v p="$p" '$1==p && $2=="faas-off" {print $3}' "$T_DIR/cpu" | median)
    printf '%-8s faas CPU per request: metrics on %.1f us, off %.1f us (on/off %.3f)\n' "$p" \
        "$(echo "$con / 1000" | bc -l)" "$(echo "$coff / 1000" | bc -l)" "$(echo "$con / $coff" | bc -l)"
done
echo
echo "one connection (wrk -t1 -c1), latency added to direct's, medians of $ROUNDS rounds:"
printf '%-8s %10s %12s %12s\n' path "req/s" "p50 +us" "p99 +us"
for w in faas nginx haproxy; do
    printf '%-8s %10s %12.0f %12.0f\n' "$w" "$(col c1 "$w" 3)" "$(echo "($(col c1 "$w" 4) - $(col c1 direct 4)) * 1000" | bc -l)" \
        "$(echo "($(col c1 "$w" 5) - $(col c1 direct 5)) * 1000" | bc -l)"
done
kill "$HAPROXY_PID" "$NGINX_PID" 2>/dev/null
faas_stop TERM
F_PID=$OFF_PID F_LOG=$OFF_LOG
faas_stop TERM
