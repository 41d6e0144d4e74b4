#!/usr/bin/env bash
# bench/soak.sh: faas under sustained mixed load with faults in the middle. For SOAK_SECONDS
# (120) it drives HTTP/1.1 (wrk), h2c and h2 over TLS (h2load) through the proxy at the highest
# rate the machine gives, in segments of SOAK_SEGMENT (10) seconds, against a fast upstream (nginx
# in the function's container). A third of the way in the function is redeployed; two thirds in,
# the Docker engine is restarted. It prints per segment the requests/s of each protocol, the
# errors (non-2xx, failed, socket errors), faas's resident memory and open file descriptors, then
# the verdicts: no error outside the dockerd window, RSS and descriptors flat after warm-up.
#
# It restarts the machine's dockerd: run it alone, never beside the test suite.
# Not a pass/fail test (exit 1 only when a verdict fails, for a CI that wants one).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
DUR=${SOAK_SECONDS:-120}
SEG=${SOAK_SEGMENT:-10}
NSEG=$((DUR / SEG))
REDEPLOY_AT=$((NSEG / 3))
DOCKERD_AT=$((2 * NSEG / 3))
WARMUP=2 # segments before memory and descriptors must stay flat

bench_tools "wrk nginx-light nghttp2-client" wrk nginx h2load

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=soak.localhost" \
    -addext "subjectAltName=DNS:*.localhost" -keyout "$T_DIR/key.pem" -out "$T_DIR/cert.pem" >/dev/null 2>&1
HTTPS=$(free_port)
faas_start_docker soak 'log_level = "info"' \
    "tls = { cert = \"$T_DIR/cert.pem\", key = \"$T_DIR/key.pem\", https_port = $HTTPS }" || exit 1
FN=$T_PREFIX-soak
bench_nginx_function "$FN" "$(free_port)" || exit 1
HOST=$FN.localhost

# --- sampling faas's memory and descriptors ---------------------------------------------------------
sample() {
    while kill -0 "$F_PID" 2>/dev/null && [ ! -e "$T_DIR/stop" ]; do
        echo "$(now_ms) $(awk '/^VmRSS/ {print $2}' "/proc/$F_PID/status") $(ls "/proc/$F_PID/fd" | wc -l)" >>"$T_DIR/samples"
        sleep 1
    done
}
: >"$T_DIR/samples"
sample &
SAMPLER=$!

# --- faults, each in its own segment ---------------------------------------------------------------
redeploy() {
    http POST "$F_URL/function/upload" -H "Authorization: $F_KEY" -F "name=$FN" -F "tag=$FN:1" \
        -F "runtime=$T_PREFIX-nginx" -F "file=@$T_DIR/site.zip" >/dev/null
    deployed "$FN" && echo "redeployed" >>"$T_DIR/events"
}
restart_dockerd() {
    local dpid
    dpid=$(cat /var/run/docker.pid 2>/dev/null) || return
    echo "$(now_ms) dockerd stop" >>"$T_DIR/events"
    kill -TERM "$dpid"
    gone() { ! kill -0 "$dpid" 2>/dev/null; }
    wait_for "dockerd stopped" 60 gone
    "$(dirname "$0")/../../deps/docker.sh" >/dev/null
    echo "$(now_ms) dockerd up" >>"$T_DIR/events"
    serving() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $HOST" "$F_URL/index.html")" = 200 ]; }
    wait_for "the function serves again" 120 serving
    echo "$(now_ms) serving" >>"$T_DIR/events"
}

# --- one segment: the three loads side by side ------------------------------------------------------
wrk_errors() { awk '/Non-2xx/ {e += $NF} /Socket errors/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10} END {print e + 0}'; }
h2_errors() {
    awk '/^requests:/ {e += $10 + $12 + $14} /^status codes:/ {e += $5 + $7 + $9} END {print e + 0}'
}
segment() {
    local i=$1 t0
    t0=$(now_ms)
    wrk -t1 -c16 -d"${SEG}s" -H "Host: $HOST" "$F_URL/index.html" >"$T_DIR/w.$i" 2>&1 &
    local w=$!
    h2load -t1 -c8 -m8 -D "$SEG" -H ":authority: $HOST" "$F_URL/index.html" >"$T_DIR/c.$i" 2>&1 &
    local c=$!
    h2load -t1 -c8 -m8 -D "$SEG" -H ":authority: $HOST" "https://127.0.0.1:$HTTPS/index.html" >"$T_DIR/t.$i" 2>&1 &
    local t=$!
    wait "$w" "$c" "$t"
    echo "$i $t0 $(now_ms)" >>"$T_DIR/spans"
    local rss fds
    read -r rss fds < <(tail -n 1 "$T_DIR/samples" | awk '{print $2, $3}')
    printf '%3d %9s %9s %9s %7s %9s %5s\n' "$i" \
        "$(awk '/^Requests\/sec/ {print int($2)}' "$T_DIR/w.$i")" \
        "$(awk '/^finished in/ {print int($4)}' "$T_DIR/c.$i")" \
        "$(awk '/^finished in/ {print int($4)}' "$T_DIR/t.$i")" \
        "$(($(wrk_errors <"$T_DIR/w.$i") + $(h2_errors <"$T_DIR/c.$i") + $(h2_errors <"$T_DIR/t.$i")))" \
        "$rss" "$fds" | tee -a "$T_DIR/table"
}

echo "soak: ${DUR}s in ${SEG}s segments; redeploy in segment $REDEPLOY_AT, dockerd restart in segment $DOCKERD_AT"
echo "seg  h1 req/s h2c req/s h2s req/s  errors   RSS kB   fds"
: >"$T_DIR/table"
: >"$T_DIR/events"
: >"$T_DIR/spans"
for i in $(seq 0 $((NSEG - 1))); do
    fault=
    if [ "$i" = "$REDEPLOY_AT" ]; then
        redeploy &
        fault=$!
    elif [ "$i" = "$DOCKERD_AT" ]; then
        restart_dockerd &
        fault=$!
    fi
    segment "$i"
    [ -z "$fault" ] || wait "$fault" # the fault of this segment has ended before the next begins (not a bare wait: faas is a child)
done
touch "$T_DIR/stop"
wait "$SAMPLER" 2>/dev/null
verdict=0

# --- verdicts -------------------------------------------------------------------------------------
# The dockerd window: from its stop until the function serves again; segments that overlap it are excused.
stop_ms=$(awk '/dockerd stop/ {print $1}' "$T_DIR/events")
back_ms=$(awk '/serving/ {print $1}' "$T_DIR/events")
[ -n "$stop_ms" ] && [ -n "$back_ms" ] || { echo "the dockerd restart did not complete"; verdict=1; stop_ms=0 back_ms=0; }
excused=$(awk -v a="$stop_ms" -v b="$back_ms" '$2 <= b && $3 >= a {printf "%s ", $1}' "$T_DIR/spans")
echo "dockerd window: $(((back_ms - stop_ms) / 1000)) s from its stop until the function served again (segments $excused)"
outside=$(awk -v x=" $excused" 'index(x, " " $1 " ") == 0 {e += $5} END {print e + 0}' "$T_DIR/table")
inside=$(awk -v x=" $excused" 'index(x, " " $1 " ") != 0 {e += $5} END {print e + 0}' "$T_DIR/table")
echo "errors outside the dockerd window: $outside (inside it: $inside)"
[ "$outside" = 0 ] || verdict=1
grep -q redeployed "$T_DIR/events" && echo "the redeploy served: yes" || { echo "the redeploy did not finish"; verdict=1; }
# Flat: after warm-up, the last third's maximum is within 10 % (RSS) and 16 descriptors of the second third's.
flat() {
    awk -v w="$WARMUP" -v col="$1" -v slack="$2" -v pct="$3" '
        $1 >= w { v[n++] = $col }
        END {
            a = int(n / 3); b = int(2 * n / 3); m1 = 0; m2 = 0
            for (i = a; i < b; i++) if (v[i] > m1) m1 = v[i]
            for (i = b; i < n; i++) if (v[i] > m2) m2 = v[i]
            ok = pct ? (m2 <= m1 * (1 + slack / 100)) : (m2 <= m1 + slack)
            printf "%s after warm-up: middle max %d, last max %d: %s\n", col == 6 ? "RSS kB" : "fds", m1, m2, ok ? "flat" : "GROWING"
            exit !ok
        }' "$T_DIR/table"
}
flat 6 10 1 || verdict=1
flat 7 16 0 || verdict=1
faas_stop TERM
exit $verdict
