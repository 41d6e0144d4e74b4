#!/usr/bin/env bash
# bench/https.sh: what automatic HTTPS costs, against references measured in the same run, all on
# loopback against Debian's pebble (no validation delay):
#   (a) issuance: faas's on-demand certificate (first request to a new name, the handshake waiting
#       for the order) vs Debian's lego (`lego run --http`, an ACME client an operator might use),
#       and the same request once the certificate exists;
#   (b) new TLS connections/s, one request each (h2load), to a name with its own ACME certificate
#       (faas reads the ClientHello, then the SNI callback switches context) vs nginx serving a
#       certificate of the same CA from files; rounds interleaved (the box is shared), the ratio is
#       the median of the rounds' ratios, and each server's CPU time per connection is shown too;
#   (c) h2 over TLS requests/s and latency (h2load) for a small answer made by the server itself
#       (faas: the JSON 404 of an unknown function; nginx: `return 404` with the same body).
# Fair by construction: the same key type on both sides (ECDSA P-256, lego's default and faas's;
# checked before measuring), one nginx worker per core as faas runs one loop thread per core, and
# nginx's defaults otherwise (TLS 1.3 session tickets, no server-side session store, like faas).
# Names get a certificate on demand only if they reach a function, so one is deployed (Docker).
# Not a pass/fail test. Env: BENCH_NAMES (8), BENCH_SECONDS (5), BENCH_ROUNDS (9).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/lib_acme.sh"
. "$(dirname "$0")/lib_bench.sh"
NAMES=${BENCH_NAMES:-8}
DUR=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-9}

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
WEB=$T_PREFIX-web
# A static certificate serves the API (reached by IP: no name of its own) and clients without SNI.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=faas-fallback" \
    -keyout "$T_DIR/fallback.key" -out "$T_DIR/fallback.pem" 2>/dev/null
# A name gets a certificate on demand only if it reaches a service function: the route hook sends
# fn-N for GET / (what the certificate gate asks) to WEB, and the benchmark asks for /bench, which
# reaches no function, so faas answers its own JSON 404 as nginx does.
faas_start_docker bench "domain = \"$D\"" "log_level = \"info\"" "allowlist = { \"*.$D\" }" \
    "tls = { cert = \"$T_DIR/fallback.pem\", key = \"$T_DIR/fallback.key\"," \
    "        http_port = $P_HTTP01, https_port = $HTTPS, acme = { directory = \"$P_DIRECTORY\", ca_bundle = \"$P_CA\" } }" \
    "function route(host, path) if path == \"/\" and host:find(\"^fn%-\") then return \"$WEB\" end end" ||
    exit 1
F_URL=$F_HTTPS # the API is served over HTTPS; -k: these calls reach the API, not check its certificate
fn_status() { curl -sk -H "Authorization: $F_KEY" "$F_URL/function/get/$1" | jq -r "$2" 2>/dev/null; }
py_service "$T_DIR/web" "v1"
zip_dir "$T_DIR/web" "$T_DIR/web.zip"
upload "$WEB" "$(free_port)" "$T_DIR/web.zip" -k
deployed "$WEB" || { echo "the function did not deploy: $H_STATUS $H_BODY"; cat "$F_LOG"; exit 1; }
get() { curl -s -o /dev/null --cacert "$P_ROOT" --resolve "$1:$HTTPS:127.0.0.1" "https://$1:$HTTPS/bench" -w '%{http_code}'; }
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
worker_processes auto; error_log $T_DIR/nginx/error.log error; pid $T_DIR/nginx/nginx.pid;
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
# Both serve the same key type (lego and faas both make ECDSA P-256 keys): checked, as it sets the cost.
key_type() {
    openssl s_client -connect "127.0.0.1:$1" -servername "$2" </dev/null 2>/dev/null | openssl x509 -noout -text |
        awk '/Public Key Algorithm|ASN1 OID|Public-Key:/ {$1=$1; printf "%s%s", sep, $0; sep=", "}'
}
KEYTYPE=$(key_type "$HTTPS" "fn-1.$D")
[ "$KEYTYPE" = "$(key_type "$NP" "lego-1.$D")" ] && [ -n "$KEYTYPE" ] ||
    { echo "key types differ: faas $KEYTYPE, nginx $(key_type "$NP" "lego-1.$D")"; exit 1; }

# --- (b) handshakes/s and (c) h2 over TLS ---------------------------------------------------------
# handshakes SIDE PORT NAME: one round of new TLS connections, each with SNI NAME and one h2 request
# (h2load: 400 clients of one request each, a handshake-bound load): appends the rate to hs.SIDE and
# the server's CPU time for the round (its threads' utime + stime, clock ticks) to cpu.SIDE.
ticks() {
    local t=0 task a
    for task in $(printf '/proc/%s/task/* ' "$@"); do
        read -r -a a <"$task/stat" 2>/dev/null && t=$((t + a[13] + a[14]))
    done
    echo "$t"
}
handshakes() {
    local side=$1 port=$2 name=$3 pids t0
    pids=$([ "$side" = faas ] && echo "$F_PID" || pgrep -P "$NGINX_PID")
    t0=$(ticks $pids)
    h2load -t2 -c400 -n400 --connect-to "127.0.0.1:$port" "https://$name:$port/bench" 2>&1 |
        awk '/^finished in/ {print int($4)}' >>"$T_DIR/hs.$side"
    echo $(($(ticks $pids) - t0)) >>"$T_DIR/cpu.$side"
}
h2() { h2load_run "$DUR" --connect-to "127.0.0.1:$1" "https://$2:$1/bench"; }
: >"$T_DIR/hs.faas"; : >"$T_DIR/hs.nginx"; : >"$T_DIR/cpu.faas"; : >"$T_DIR/cpu.nginx"
# Rounds alternate which side goes first: the box is shared, and its load drifts.
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then
        handshakes faas "$HTTPS" "fn-1.$D"; handshakes nginx "$NP" "lego-1.$D"
    else
        handshakes nginx "$NP" "lego-1.$D"; handshakes faas "$HTTPS" "fn-1.$D"
    fi
done
paste "$T_DIR/hs.faas" "$T_DIR/hs.nginx" | awk '{print $1 / $2}' >"$T_DIR/hs.ratio"
# cpu_us SIDE: the server's CPU microseconds per connection over all rounds.
cpu_us() { awk -v hz="$(getconf CLK_TCK)" -v n=$((ROUNDS * 400)) '{t += $1} END {printf "%d", t * 1e6 / hz / n}' "$T_DIR/cpu.$1"; }
read -r R_FAAS P50_FAAS P99_FAAS <<<"$(h2 "$HTTPS" "fn-1.$D")"
read -r R_NGINX P50_NGINX P99_NGINX <<<"$(h2 "$NP" "lego-1.$D")"

echo "issuance against pebble, $NAMES names each, median ms:"
printf '  lego run --http            %6s\n' "$(median <"$T_DIR/lego.ms")"
printf '  faas on demand (1st req)   %6s   (faas/lego %.3f)\n' "$(median <"$T_DIR/first.ms")" \
    "$(echo "$(median <"$T_DIR/first.ms") / $(median <"$T_DIR/lego.ms")" | bc -l)"
printf '  faas, certificate present  %6s\n' "$(median <"$T_DIR/again.ms")"
echo "new TLS connections/s, one h2 request each (h2load -t2 -c400 -n400, $ROUNDS interleaved rounds; $KEYTYPE):"
echo "  faas  rounds: $(tr '\n' ' ' <"$T_DIR/hs.faas")"
echo "  nginx rounds: $(tr '\n' ' ' <"$T_DIR/hs.nginx")"
printf '  median      faas %6s   nginx %6s   faas/nginx %.2f (median of the rounds\x27 ratios)\n' \
    "$(median <"$T_DIR/hs.faas")" "$(median <"$T_DIR/hs.nginx")" "$(sort -g "$T_DIR/hs.ratio" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
printf '  server CPU  faas %6s   nginx %6s   us per connection (faas/nginx %.2f)\n' "$(cpu_us faas)" "$(cpu_us nginx)" \
    "$(echo "$(cpu_us faas) / $(cpu_us nginx)" | bc -l)"
echo "h2 over TLS, h2load -t2 -c16 -m10 ${DUR}s, 42-byte answer (req/s p50 p99 ms):"
printf '  faas  %8s %7s %7s\n  nginx %8s %7s %7s\n  faas/nginx %.2f\n' "$R_FAAS" "$P50_FAAS" "$P99_FAAS" \
    "$R_NGINX" "$P50_NGINX" "$P99_NGINX" "$(echo "$R_FAAS / $R_NGINX" | bc -l)"
kill "$NGINX_PID" 2>/dev/null
faas_stop TERM
