#!/usr/bin/env bash
# bench/https.sh: what automatic HTTPS costs, against references measured in the same run, all on
# loopback against Debian's pebble (no validation delay):
#   (a) issuance: faas's on-demand certificate (first request to a new name, the handshake waiting
#       for the order) vs Debian's lego (`lego run --http`, an ACME client an operator might use),
#       and the same request once the certificate exists;
#   (b) new TLS connections/s, one request each (h2load), to a name with its own ACME certificate
#       (faas reads the ClientHello, then the SNI callback switches context) vs nginx serving a
#       certificate of the same CA and key type from files;
#   (c) h2 over TLS requests/s and latency (h2load) for a small answer made by the server itself
#       (faas: the JSON 404 of an unknown function; nginx: `return 404` with the same body).
# Not a pass/fail test. Env: BENCH_NAMES (8), BENCH_SECONDS (5).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/lib_acme.sh"
. "$(dirname "$0")/lib_bench.sh"
NAMES=${BENCH_NAMES:-8}
DUR=${BENCH_SECONDS:-5}

bench_tools "lego nginx-light nghttp2-client" lego nginx h2load
pebble_start bench 7776000 || exit 1
D=example.test

# --- (a) issuance -------------------------------------------------------------------------------
: >"$T_DIR/lego.ms"
for i in $(seq 1 "$NAMES"); do
    t0=$(now_ms)
    LEGO_CA_CERTIFICATES=$P_CA lego --accept-tos --server "$P_DIRECTORY" --email "ops@$D" --path "$T_DIR/lego" \
        --domains "lego-$i.$D" --http --http.port "127.0.0.1:$P_HTTP01" run >"$T_DIR/lego.log" 2>&1 ||
        { echo "lego failed:"; tail -5 "$T_DIR/lego.log"; exit 1; }
    echo $(($(now_ms) - t0)) >>"$T_DIR/lego.ms"
done

HTTPS=$(free_port)
faas_start bench "domain = \"$D\"" "log_level = \"info\"" "allowlist = { \"*.$D\" }" \
    "tls = { http_port = $P_HTTP01, https_port = $HTTPS, acme = { directory = \"$P_DIRECTORY\", ca_bundle = \"$P_CA\" } }" ||
    exit 1
get() { curl -s -o /dev/null --cacert "$P_ROOT" --resolve "$1:$HTTPS:127.0.0.1" "https://$1:$HTTPS/" -w '%{http_code}'; }
: >"$T_DIR/first.ms"
: >"$T_DIR/again.ms"
for i in $(seq 1 "$NAMES"); do
    t0=$(now_ms)
    [ "$(get "fn-$i.$D")" = 404 ] || { echo "no certificate for fn-$i.$D"; cat "$F_LOG"; exit 1; }
    t1=$(now_ms)
    get "fn-$i.$D" >/dev/null
    echo $((t1 - t0)) >>"$T_DIR/first.ms"
    echo $(($(now_ms) - t1)) >>"$T_DIR/again.ms"
done

# --- nginx with lego's certificate for lego-1 -------------------------------------------------------
NP=$(free_port)
BODY='{"error":"Function not found","code":404}'
mkdir -p "$T_DIR/nginx"
cat >"$T_DIR/nginx/nginx.conf" <<EOF
worker_processes 2; error_log $T_DIR/nginx/error.log error; pid $T_DIR/nginx/nginx.pid;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $T_DIR/nginx/b; proxy_temp_path $T_DIR/nginx/p; fastcgi_temp_path $T_DIR/nginx/f;
    uwsgi_temp_path $T_DIR/nginx/u; scgi_temp_path $T_DIR/nginx/s;
    server {
        listen 127.0.0.1:$NP ssl http2; keepalive_requests 10000000;
        ssl_certificate $T_DIR/lego/certificates/lego-1.$D.crt; ssl_certificate_key $T_DIR/lego/certificates/lego-1.$D.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { default_type application/json; return 404 '$BODY'; }
    }
}
EOF
nginx -p "$T_DIR/nginx" -c "$T_DIR/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
T_PIDS+=("$NGINX_PID")
nginx_up() { curl -s -o /dev/null --cacert "$P_ROOT" --resolve "lego-1.$D:$NP:127.0.0.1" "https://lego-1.$D:$NP/"; }
wait_for "nginx" 10 nginx_up || { cat "$T_DIR/nginx/error.log"; exit 1; }

# --- (b) handshakes/s and (c) h2 over TLS ------------------------------------------------------------
# handshakes PORT NAME: new TLS connections/s, each with SNI NAME and one h2 request (h2load, 400 clients
# of one request each, 5 runs, median): a handshake-bound load.
handshakes() {
    for _ in 1 2 3 4 5; do
        h2load -t2 -c400 -n400 --connect-to "127.0.0.1:$1" "https://$2:$1/" 2>&1 | awk '/^finished in/ {print int($4)}'
    done | median
}
h2() { h2load_run "$DUR" --connect-to "127.0.0.1:$1" "https://$2:$1/"; }
HS_FAAS=$(handshakes "$HTTPS" "fn-1.$D")
HS_NGINX=$(handshakes "$NP" "lego-1.$D")
read -r R_FAAS P50_FAAS P99_FAAS <<<"$(h2 "$HTTPS" "fn-1.$D")"
read -r R_NGINX P50_NGINX P99_NGINX <<<"$(h2 "$NP" "lego-1.$D")"

echo "issuance against pebble, $NAMES names each, median ms:"
printf '  lego run --http            %6s\n' "$(median <"$T_DIR/lego.ms")"
printf '  faas on demand (1st req)   %6s   (faas/lego %.3f)\n' "$(median <"$T_DIR/first.ms")" \
    "$(echo "$(median <"$T_DIR/first.ms") / $(median <"$T_DIR/lego.ms")" | bc -l)"
printf '  faas, certificate present  %6s\n' "$(median <"$T_DIR/again.ms")"
echo "new TLS connections/s, one h2 request each (h2load -t2 -c400 -n400, median of 5):"
printf '  faas %8s   nginx %8s   faas/nginx %.2f\n' "$HS_FAAS" "$HS_NGINX" "$(echo "$HS_FAAS / $HS_NGINX" | bc -l)"
echo "h2 over TLS, h2load -t2 -c16 -m10 ${DUR}s, 42-byte answer (req/s p50 p99 ms):"
printf '  faas  %8s %7s %7s\n  nginx %8s %7s %7s\n  faas/nginx %.2f\n' "$R_FAAS" "$P50_FAAS" "$P99_FAAS" \
    "$R_NGINX" "$P50_NGINX" "$P99_NGINX" "$(echo "$R_FAAS / $R_NGINX" | bc -l)"
kill "$NGINX_PID" 2>/dev/null
faas_stop TERM
