#!/usr/bin/env bash
# bench/autoscale.sh: what the autoscaler buys under load. A function whose handler sleeps 100 ms
# per request in a single-threaded server (Python http.server.HTTPServer, one request at a time,
# HTTP/1.0: so one replica serves at most 10 requests/s) gets 32 concurrent clients through faas
# (wrk -t2 -c32, HTTP/1.1 keep-alive to faas) for BENCH_SECONDS (30), first with scale max = 1, then
# with max = 4 (min = 1 both times, target 10: 32 in flight want 4). It prints requests/s of both
# and their ratio (target of issue 10: >= 3.2x), the time from load start to the autoscaler's
# decision (the record's `desired`), to the second replica serving (ready in the record, which is
# when the routes include it) and to the fourth, and the time from load end to back at min (1
# ready replica) with scale.window = "10s" (default 60s); the ready count and `desired` seen
# along the way are polled every 100 ms. Right after the max = 4 run, while 4 replicas still
# serve, BENCH_STEADY (10) more seconds of the same load give the rate without the ramp.
# Not a pass/fail test. Env: BENCH_SECONDS (30), BENCH_STEADY (10).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
DUR=${BENCH_SECONDS:-30}
STEADY=${BENCH_STEADY:-10}
MAX=4

bench_tools wrk wrk

faas_start_docker autoscale 'log_level = "info"' 'scale = { window = "10s", wake_timeout = "60s" }' || exit 1
FN=$T_PREFIX-slow
mkdir -p "$T_DIR/app"
cat >"$T_DIR/app/main.py" <<'PY'
import os, time, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.1)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(http.server.HTTPServer):
    request_queue_size = 128  # 32 clients: none refused, all wait their turn
Server(("", int(os.environ["PORT"])), H).serve_forever()
PY
zip_dir "$T_DIR/app" "$T_DIR/app.zip"
upload "$FN" "$(free_port)" "$T_DIR/app.zip" -F scale_min=1 -F scale_max=1
[ "$H_STATUS" = 200 ] || { echo "upload answered $H_STATUS $H_BODY"; exit 1; }
deployed "$FN" || { echo "the function did not deploy"; cat "$F_LOG"; exit 1; }
curl -sf -o /dev/null -H "Host: $FN.localhost" "$F_URL/" || { echo "the function does not answer"; exit 1; }

# ready_desired: "<ready replicas> <desired>" from the record
ready_desired() { fn_status "$FN" '"\([.replicas[] | select(.state == "ready")] | length) \(.desired)"'; }
set_max() {
    http PUT "$F_URL/function/scale/$FN" -H "Authorization: $F_KEY" -H 'Content-Type: application/json' \
        -d "{\"min\":1,\"max\":$1}"
    [ "$H_STATUS" = 200 ] || { echo "PUT scale answered $H_STATUS $H_BODY"; exit 1; }
}
# watch T0 SECONDS CMD...: every 100 ms for at most SECONDS, appends "<ms since T0> <ready> <desired>"
# to $T_DIR/timeline when either changes (LAST: the latest "<ready> <desired>"); stops once CMD
# succeeds, 1 if it never did.
watch() {
    local t0=$1 end=$(($(now_ms) + $2 * 1000)) n; shift 2
    while [ "$(now_ms)" -lt $end ]; do
        n=$(ready_desired)
        [ "$n" != "${LAST:-}" ] && echo "$(($(now_ms) - t0)) $n" >>"$T_DIR/timeline" && LAST=$n
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
# load NAME SECONDS: wrk in the background (WRK_PID), its output in $T_DIR/wrk.NAME
load() {
    wrk -t2 -c32 -d"${2}s" --timeout 30s --latency -H "Host: $FN.localhost" "$F_URL/" >"$T_DIR/wrk.$1" 2>&1 &
    WRK_PID=$!
    T_PIDS+=("$WRK_PID")
}
wrk_done() { ! kill -0 "$WRK_PID" 2>/dev/null; }
# run NAME SECONDS: load NAME for SECONDS, watching the set meanwhile
run() {
    load "$1" "$2"
    watch "$T0" $(($2 + 30)) wrk_done || { echo "wrk did not end"; exit 1; }
    wait "$WRK_PID"
}
rps() { awk '/^Requests\/sec/ {printf "%.1f", $2}' "$T_DIR/wrk.$1"; }
pct() { awk -v p="$2" '$1==p {print $2}' "$T_DIR/wrk.$1"; }
errors() { awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}' "$T_DIR/wrk.$1"; }
timeline() { awk '{printf "%s+%.1fs:%s/%s", (NR>1?" ":""), $1/1000, $2, $3}' "$T_DIR/timeline"; }
first_at() { awk -v c="$1" -v n="$2" '$c + 0 >= n {print $1; exit}' "$T_DIR/timeline"; } # first_at COLUMN N

# --- max = 1 ---------------------------------------------------------------------------------------
echo "max = 1: ${DUR}s of load ..." >&2
: >"$T_DIR/timeline"
LAST=
T0=$(now_ms)
run max1 "$DUR"
MAX1_TIMELINE=$(timeline)

# --- max = 4 ---------------------------------------------------------------------------------------
set_max $MAX
LAST=
: >"$T_DIR/timeline"
watch "$(now_ms)" 1 true
[ "${LAST%% *}" = 1 ] || { echo "not 1 ready replica before the second run: $LAST"; exit 1; }
echo "max = $MAX: ${DUR}s of load, ${STEADY}s more at $MAX replicas, then back to min ..." >&2
: >"$T_DIR/timeline"
LAST=
T0=$(now_ms)
run max4 "$DUR"
if [ "${LAST%% *}" = $MAX ]; then
    run steady "$STEADY"
else
    echo "not $MAX replicas at the end of the first run: no steady run" >"$T_DIR/wrk.steady"
fi
T_END=$(now_ms)
back_at_min() { [ "${LAST%% *}" = 1 ]; }
watch "$T0" 120 back_at_min || { echo "not back at min within 120 s after the load"; timeline; exit 1; }
T_BACK=$(now_ms)

r1=$(rps max1)
r4=$(rps max4)
ratio=$(echo "$r4 / $r1" | bc -l)
s() { [ -n "$1" ] && printf '%.1f s' "$(echo "$1 / 1000" | bc -l)" || echo never; }
echo
echo "handler: 100 ms sleep, single-threaded http.server (HTTP/1.0); load: wrk -t2 -c32 through faas"
echo "(HTTP/1.1 keep-alive); scale: min 1, target 10, window 10s"
printf '%-36s %8s %10s %10s  %s\n' run "req/s" "p50" "p99" "errors"
printf '%-36s %8s %10s %10s  %s\n' "max = 1, ${DUR}s" "$r1" "$(pct max1 50%)" "$(pct max1 99%)" "$(errors max1)"
printf '%-36s %8s %10s %10s  %s\n' "max = $MAX, ${DUR}s from 1 replica" "$r4" "$(pct max4 50%)" "$(pct max4 99%)" "$(errors max4)"
printf '%-36s %8s %10s %10s  %s\n' "max = $MAX, ${STEADY}s more at $MAX replicas" "$(rps steady)" "$(pct steady 50%)" \
    "$(pct steady 99%)" "$(errors steady)"
printf 'max = %d / max = 1: %.2fx (target >= 3.2x: %s); at %d replicas: %.2fx\n' "$MAX" "$ratio" \
    "$([ "$(echo "$ratio >= 3.2" | bc -l)" = 1 ] && echo met || echo "NOT met")" "$MAX" \
    "$(echo "$(rps steady) / $r1" | bc -l 2>/dev/null)"
printf '%-50s %s\n' "load start -> the autoscaler wants $MAX (desired)" "$(s "$(first_at 3 $MAX)")"
printf '%-50s %s\n' "load start -> a 2nd replica serving" "$(s "$(first_at 2 2)")"
printf '%-50s %s\n' "load start -> $MAX replicas serving" "$(s "$(first_at 2 $MAX)")"
printf '%-50s %s\n' "load end -> back at min (1 ready), window 10s" "$(s $((T_BACK - T_END)))"
echo "ready/desired seen (time from load start): max = 1: $MAX1_TIMELINE"
echo "  max = $MAX: $(timeline) (load ended at +$(echo "($T_END - $T0) / 1000" | bc -l | xargs printf '%.1f')s)"
echo "faas's log of the set:"
grep -E "service $FN: ([0-9]+ -> [0-9]+ ready|retired)" "$F_LOG" | sed 's/^/  /'
faas_stop TERM
