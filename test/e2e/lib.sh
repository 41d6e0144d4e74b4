# test/e2e/lib.sh: helpers for faas end-to-end tests, sourced by each test/e2e/*.sh.
# Each test gets its own temp folder, HOME, data_dir and free loopback port (listen port 0);
# every faas it started is stopped, and the folder removed, when the test exits.
# Waits are polls with a deadline, never fixed sleeps.
set -u

FAAS_BIN=${FAAS_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/faas}
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/faas-e2e-XXXXXX")
T_CHECKS=0
T_FAILS=0
T_PIDS=()

# Each test's Docker objects carry this prefix (image names, container names, network) and the
# functions it deploys are named "$T_PREFIX-..." so cleanup finds everything it made.
T_PREFIX=t$$
T_DOCKER=0

t_cleanup() {
    local pid
    for pid in "${T_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
    [ "$T_DOCKER" = 1 ] && docker_cleanup
    [ "${T_KEEP:-0}" = 1 ] || rm -rf "$T_DIR"
}

# docker_cleanup: removes the containers, images and network this test's faas made.
docker_cleanup() {
    local ids
    ids=$(docker ps -aq --filter "name=^${T_PREFIX}-" 2>/dev/null)
    [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
    ids=$(docker images -q --filter "reference=${T_PREFIX}-*" 2>/dev/null | sort -u)
    [ -n "$ids" ] && docker rmi -f $ids >/dev/null 2>&1
    docker network rm "${T_PREFIX}-functions" >/dev/null 2>&1
    return 0
}

# free_port: a loopback TCP port no socket uses (random in 20000-31999). Ports come from below the
# kernel's ephemeral range (32768 and up), so no outgoing connection can take one later, and a port
# handed out once in this test is never handed out again (kept in a file: $(...) is a subshell).
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 12000))
        grep -qx "$p" "$T_DIR/.ports-given" 2>/dev/null && continue
        ss -tanH "( sport = :$p or dport = :$p )" | grep -q . && continue
        echo "$p" >>"$T_DIR/.ports-given"
        echo "$p"
        return 0
    done
    return 1
}
trap t_cleanup EXIT

pass() { T_CHECKS=$((T_CHECKS + 1)); echo "ok   $1"; }
fail() { T_CHECKS=$((T_CHECKS + 1)); T_FAILS=$((T_FAILS + 1)); echo "FAIL $1"; [ $# -gt 1 ] && echo "     $2"; return 0; }

# check DESC CMD...: passes when CMD succeeds.
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then pass "$d"; else fail "$d" "command failed: $*"; fi; }
# check_eq DESC GOT WANT
# (when GOT starts with the last HTTP status, the failure shows that response's body too)
check_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; return; fi
    local body=""
    [ -n "${H_STATUS:-}" ] && [[ "$2" == "$H_STATUS"* ]] && body=" (body: $(printf '%s' "${H_BODY:-}" | head -c 300))"
    fail "$1" "got '$2', want '$3'$body"
}
# check_contains DESC HAYSTACK NEEDLE
check_contains() { case "$2" in *"$3"*) pass "$1" ;; *) fail "$1" "'$3' not in: $(printf '%s' "$2" | head -c 600)" ;; esac; }
check_not_contains() { case "$2" in *"$3"*) fail "$1" "'$3' unexpectedly in: $(printf '%s' "$2" | head -c 600)" ;; *) pass "$1" ;; esac; }

# wait_for DESC SECONDS CMD...: polls CMD every 50 ms until it succeeds; 1 on timeout.
wait_for() {
    local desc=$1 secs=$2; shift 2
    local deadline=$(($(date +%s%N) / 1000000 + secs * 1000))
    while [ $(($(date +%s%N) / 1000000)) -lt $deadline ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "timeout after ${secs}s waiting for: $desc"
    return 1
}

# faas_write_conf NAME [LUA LINES...]: a config in $T_DIR/NAME on a free port with its own data.
faas_write_conf() {
    local name=$1; shift
    mkdir -p "$T_DIR/$name"
    {
        echo 'listen = "127.0.0.1:0"'
        echo 'data_dir = "data"'
        echo 'passfile = "~/.passfile"'
        echo 'log_level = "debug"'
        printf '%s\n' "$@"
    } >"$T_DIR/$name/faas.conf.lua"
}

# faas_start NAME [LUA LINES...]: writes the config and starts faas (HOME=$T_DIR/NAME).
# Sets F_DIR F_PID F_LOG F_URL F_HTTPS (empty without TLS) F_KEY. Returns 1 if it did not come up.
faas_start() {
    local name=$1; shift
    faas_write_conf "$name" "$@"
    faas_run "$name"
}

# faas_run NAME: starts faas on an existing $T_DIR/NAME/faas.conf.lua.
faas_run() {
    F_DIR=$T_DIR/$1
    F_LOG=$F_DIR/out.log
    [ -e "$F_LOG" ] && mv "$F_LOG" "$F_LOG.$(date +%s%N)" # a fresh log per run: "ready" must be this run's
    HOME=$F_DIR "$FAAS_BIN" serve -c "$F_DIR/faas.conf.lua" >"$F_LOG" 2>&1 &
    F_PID=$!
    T_PIDS+=("$F_PID")
    if ! wait_for "faas $1 ready" 20 grep -q 'faas ready' "$F_LOG"; then
        echo "---- $F_LOG"; cat "$F_LOG"
        return 1
    fi
    F_URL=$(grep -o 'listening on http://[^ ]*' "$F_LOG" | tail -n 1 | sed 's/listening on //')
    F_HTTPS=$(grep -o 'listening on https://[^ ]*' "$F_LOG" | tail -n 1 | sed 's/listening on //')
    F_KEY=$(cat "$F_DIR/.passfile")
}

# faas_stop [SIGNAL]: signals F_PID and waits for it to exit; F_RC is its exit code.
faas_stop() {
    kill "-${1:-TERM}" "$F_PID" 2>/dev/null
    wait "$F_PID"
    F_RC=$?
    # In a sanitizer build a report may come with exit 0 for some checks: look for it too.
    if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$F_LOG"; then
        fail "sanitizer report in $F_LOG" "$(grep -m3 -E "Sanitizer|runtime error:" "$F_LOG")"
    fi
}

# http METHOD URL [CURL ARGS...]: sets H_STATUS, H_BODY, H_HEADERS (lower-cased names).
http() {
    local method=$1 url=$2; shift 2
    H_STATUS=$(curl -s -X "$method" -o "$T_DIR/.body" -D "$T_DIR/.headers" -w '%{http_code}' --max-time 30 "$@" "$url")
    H_BODY=$(cat "$T_DIR/.body" 2>/dev/null)
    H_HEADERS=$(tr 'A-Z' 'a-z' <"$T_DIR/.headers" 2>/dev/null | tr -d '\r')
}

# json EXPR: evaluates a jq expression on H_BODY.
json() { printf '%s' "$H_BODY" | jq -r "$1" 2>/dev/null; }

# --- service functions ------------------------------------------------------------------

# py_service DIR TEXT: a Python HTTP service in DIR answering "TEXT <path>" on $PORT.
py_service() {
    mkdir -p "$1"
    cat >"$1/main.py" <<PY
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = ("$2 " + self.path + " host=" + str(self.headers.get("Host")) + " xff=" + str(self.headers.get("X-Forwarded-For")) + " auth=" + str(self.headers.get("Authorization")) + "\\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        print("request", self.path, flush=True)
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), H).serve_forever()
PY
}

# py_expr_service DIR EXPR [SLOW]: a quiet Python HTTP service in DIR answering GET with the str
# that the Python expression EXPR makes (os, socket and time are imported; self is the handler),
# then a newline, on $PORT; 404 for a path with "missing" in it, 200 otherwise; paths under
# /slow sleep SLOW seconds first (default 0).
py_expr_service() {
    mkdir -p "$1"
    cat >"$1/main.py" <<PY
import os, socket, time, http.server
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(${3:-0})
        body = (str($2) + "\\n").encode()
        self.send_response(404 if "missing" in self.path else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), H).serve_forever()
PY
}

# py_host_service DIR [SLOW]: py_expr_service answering "up <hostname>": which replica answered.
py_host_service() { py_expr_service "$1" '"up " + socket.gethostname()' "${2:-0}"; }

# zip_dir DIR ZIP: zips DIR's contents (not DIR itself).
zip_dir() { rm -f "$2"; (cd "$1" && zip -qr "$2" .); }

# upload NAME PORT ZIP [CURL ARGS...]: POST /function/upload (sets H_STATUS, H_BODY).
upload() {
    local name=$1 port=$2 zip=$3; shift 3
    http POST "$F_URL/function/upload" -H "Authorization: $F_KEY" -F "name=$name" -F "tag=$name:latest" \
        -F runtime=default -F "port=$port" -F "file=@$zip" "$@"
}

fn_status() { curl -s -H "Authorization: $F_KEY" "$F_URL/function/get/$1" | jq -r "$2" 2>/dev/null; }
build_done() { local s; s=$(fn_status "$1" .build.status); [ "$s" = succeeded ] || [ "$s" = failed ]; }

# deployed NAME [SECONDS]: waits for NAME's latest build to end; 0 if it serves (succeeded).
deployed() {
    wait_for "build of $1" "${2:-120}" build_done "$1" || return 1
    [ "$(fn_status "$1" .build.status)" = succeeded ]
}

# faas_start_docker NAME [LUA...]: faas_start with this test's Docker prefix (cleaned up on exit).
faas_start_docker() {
    local name=$1; shift
    T_DOCKER=1
    faas_start "$name" "docker = { image_prefix = \"$T_PREFIX\" }" "$@"
}

t_done() {
    echo "$T_CHECKS checks, $T_FAILS failed"
    [ "$T_FAILS" -eq 0 ]
}
