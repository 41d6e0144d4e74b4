#!/usr/bin/env bash
# health.sh: GET /health answers from the engine state a watch refreshes every second, not
# from a Docker ping per request: it follows an engine that comes and goes, and 200
# concurrent requests answer at once while every worker is stuck on Docker. The engine here
# is a small fake on a unix socket of this test's own (/_ping answers; /containers/json
# hangs once the test says so); the real dockerd is never touched.
. "$(dirname "$0")/lib.sh"

SOCK=$T_DIR/engine.sock
STALL=$T_DIR/stall # while this file exists, GET /containers/json hangs (bounded, 30 s)
ENGINE_PID=

# engine_start / engine_stop: the fake Docker engine on $SOCK.
engine_start() {
    /usr/bin/python3 - "$SOCK" "$STALL" <<'PY' &
import os, socketserver, sys, time
from http.server import BaseHTTPRequestHandler
sock, stall = sys.argv[1], sys.argv[2]
class Engine(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        path = self.path.split("?")[0]
        if path.endswith("/_ping"):
            return self.answer(200, b"OK", "text/plain")
        if path.endswith("/events"):
            end = time.time() + 120  # the event stream: never anything, bounded
            while time.time() < end and os.path.exists(sock):
                time.sleep(0.5)
            return
        if path.endswith("/containers/json"):
            end = time.time() + 30
            while os.path.exists(stall) and time.time() < end:
                time.sleep(0.05)
        if path.endswith("/json"):
            return self.answer(200, b"[]")
        self.answer(404, b'{"message":"not in this fake engine"}')
    def do_POST(self):
        self.answer(404, b'{"message":"not in this fake engine"}')
    do_DELETE = do_POST
    def log_message(self, *args):
        pass
class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    def get_request(self):
        conn, _ = super().get_request()
        return conn, ("fake", 0)
    def handle_error(self, request, client_address):
        pass  # a client (faas) gone mid-answer
try:
    os.unlink(sock)
except FileNotFoundError:
    pass
Server(sock, Engine).serve_forever()
PY
    ENGINE_PID=$!
    T_PIDS+=("$ENGINE_PID")
    wait_for "fake engine" 10 test -S "$SOCK"
}
engine_stop() {
    kill "$ENGINE_PID" 2>/dev/null
    wait "$ENGINE_PID" 2>/dev/null
    rm -f "$SOCK"
}

health() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$F_URL/health"; }
health_is() { [ "$(health)" = "$1" ]; }

# --- the state follows the engine ------------------------------------------------------------
faas_start follow "docker = { socket = \"$SOCK\" }" 'server = { workers = 2 }' || exit 1
http GET "$F_URL/health"
check_eq "no engine at start: 503" "$H_STATUS" 503
check_eq "docker unreachable" "$(json .docker)" unreachable
engine_start
check "the engine comes up: 200 within 5 s" wait_for "health 200" 5 health_is 200
http GET "$F_URL/health"
check_eq "body as before: status ok" "$(json .status)" ok
check_eq "docker ok" "$(json .docker)" ok
check "time is RFC 3339 UTC" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$(json .time)"
check "the change is logged once" wait_for "log" 5 grep -q "docker engine answers again" "$F_LOG"
engine_stop
check "the engine goes away: 503 within 5 s" wait_for "health 503" 5 health_is 503
check "that is logged too" wait_for "log" 5 grep -q "(GET /health answers 503)" "$F_LOG"
engine_start
check "and back: 200" wait_for "health 200" 5 health_is 200

# --- 200 concurrent requests while every worker waits on Docker ------------------------------
touch "$STALL"
for i in 1 2 3 4; do # two workers, each stuck in GET /containers/json; two more queued behind
    curl -s -o /dev/null --max-time 40 -H "Authorization: $F_KEY" "$F_URL/function/listrunning" &
done
stuck() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -H "Authorization: $F_KEY" "$F_URL/function/listrunning")" = 000 ]; }
check "the worker pool is busy (another Docker call waits)" stuck
out=$(h2load --h1 -n 200 -c 200 "$F_URL/health" 2>&1)
check_contains "200 concurrent GET /health: all 200" "$out" "status codes: 200 2xx"
ms=$(sed -n 's/^finished in \([0-9.]*\)\(m\?s\).*/\1 \2/p' <<<"$out" | awk '{ print ($2 == "s") ? $1 * 1000 : $1 }')
check "and all within 1 s while the pool is busy (took ${ms} ms)" awk -v ms="$ms" 'BEGIN { exit !(ms != "" && ms < 1000) }'
out=$(h2load -n 200 -c 20 -m 10 "$F_URL/health" 2>&1)
check_contains "over h2c as well" "$out" "status codes: 200 2xx"
rm -f "$STALL"
pool_free() { ! stuck; }
check "the pool is free again once the engine answers" wait_for "pool free" 35 pool_free
faas_stop TERM
check_eq "exit 0" "$F_RC" 0
engine_stop

t_done
