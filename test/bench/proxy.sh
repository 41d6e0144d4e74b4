#!/usr/bin/env bash
# bench/proxy.sh: what faas's proxy costs. In one run, against the same fast upstream (Debian's
# nginx binary deployed as a function, serving a small file), measures requests/s and latency
# percentiles of
#   (a) direct: straight to the container's own address (the physical limit),
#   (b) faas:   through faas, by its subdomain,
#   (c) nginx:  through nginx as a reverse proxy with keep-alive upstream connections,
# over HTTP/1.1 (wrk) and h2c (h2load), and prints faas/direct and nginx/direct side by side.
# Not a pass/fail test. Env: BENCH_SECONDS (8), BENCH_ROUNDS (3), BENCH_CONNECTIONS (64).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
DUR=${BENCH_SECONDS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-64}

bench_tools "wrk nginx-light nghttp2-client" wrk nginx h2load

faas_start_docker bench 'log_level = "info"' || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-nginx
bench_nginx_function "$FN" "$(free_port)" || exit 1
IP=$(fn_status "$FN" .address | cut -d: -f1)

# --- nginx as a reverse proxy in front of the same container -----------------------------------
NP=$(free_port)
NP2=$(free_port)
mkdir -p "$T_DIR/nginx/logs"
cat >"$T_DIR/nginx/nginx.conf" <<EOF
worker_processes 2; error_log $T_DIR/nginx/error.log error; pid $T_DIR/nginx/nginx.pid;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $T_DIR/nginx/b; proxy_temp_path $T_DIR/nginx/p; fastcgi_temp_path $T_DIR/nginx/f;
    uwsgi_temp_path $T_DIR/nginx/u; scgi_temp_path $T_DIR/nginx/s;
    upstream fn { server $IP:8080; keepalive 64; }
    server {
        listen 127.0.0.1:$NP; listen 127.0.0.1:$NP2 http2; keepalive_requests 10000000;
        location / { proxy_pass http://fn; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host; }
    }
}
EOF
nginx -p "$T_DIR/nginx" -c "$T_DIR/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
T_PIDS+=("$NGINX_PID")
nginx_up() { curl -sf -o /dev/null "http://127.0.0.1:$NP/index.html"; }
wait_for "nginx" 10 nginx_up || { cat "$T_DIR/nginx/error.log"; exit 1; }
check_all() {
    [ "$(curl -s "http://$IP:8080/index.html" | wc -c)" = 100 ] &&
        [ "$(curl -s -H "Host: $FN.localhost" "$F_URL/index.html" | wc -c)" = 100 ] &&
        [ "$(curl -s "http://127.0.0.1:$NP/index.html" | wc -c)" = 100 ]
}
check_all || { echo "a path does not serve the file"; exit 1; }

# --- measurements --------------------------------------------------------------------------------
# wrk_run URL [HOST]: "<req/s> <p50 ms> <p99 ms>"
ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
wrk_run() {
    local out
    out=$(wrk -t2 -c"$CONNS" -d"${DUR}s" --latency ${2:+-H "Host: $2"} "$1")
    echo "$(awk '/^Requests\/sec/ {print int($2)}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out" | ms) $(awk '$1=="99%" {print $2}' <<<"$out" | ms)"
}
# h2_run URL [AUTHORITY]: "<req/s> <p50 ms> <p99 ms>"
h2_run() { h2load_run "$DUR" ${2:+-H ":authority: $2"} "$1"; }

: >"$T_DIR/results"
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round/$ROUNDS ..." >&2
    echo "h1 direct $(wrk_run "http://$IP:8080/index.html")" >>"$T_DIR/results"
    echo "h1 faas $(wrk_run "$F_URL/index.html" "$FN.localhost")" >>"$T_DIR/results"
    echo "h1 nginx $(wrk_run "http://127.0.0.1:$NP/index.html")" >>"$T_DIR/results"
    echo "h2 direct $(h2_run "http://$IP:8081/index.html")" >>"$T_DIR/results"
    echo "h2 faas $(h2_run "$F_URL/index.html" "$FN.localhost")" >>"$T_DIR/results"
    echo "h2 nginx $(h2_run "http://127.0.0.1:$NP2/index.html")" >>"$T_DIR/results"
done

echo "per round (proto path req/s p50 p99):"
sed 's/^/  /' "$T_DIR/results"
col() { awk -v p="$1" -v w="$2" -v c="$3" '$1==p && $2==w {print $c}' "$T_DIR/results" | median; }
echo
echo "medians of $ROUNDS rounds of ${DUR}s; HTTP/1.1: wrk -t2 -c$CONNS; h2c: h2load -t2 -c16 -m10; upstream: nginx, 1 worker, 100-byte file"
printf '%-8s %-7s %10s %9s %9s %10s\n' proto path "req/s" "p50 ms" "p99 ms" "/direct"
for p in h1 h2; do
    d=$(col "$p" direct 3)
    for w in direct faas nginx; do
        r=$(col "$p" "$w" 3)
        printf '%-8s %-7s %10s %9s %9s %10.2f\n' "$p" "$w" "$r" "$(col "$p" "$w" 4)" "$(col "$p" "$w" 5)" "$(echo "$r / $d" | bc -l)"
    done
    printf '%-8s faas/nginx throughput %.2f\n' "$p" "$(echo "$(col "$p" faas 3) / $(col "$p" nginx 3)" | bc -l)"
done
kill "$NGINX_PID" 2>/dev/null
faas_stop TERM
