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

t_cleanup() {
    local pid
    for pid in "${T_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
    [ "${T_KEEP:-0}" = 1 ] || rm -rf "$T_DIR"
}
trap t_cleanup EXIT

pass() { T_CHECKS=$((T_CHECKS + 1)); echo "ok   $1"; }
fail() { T_CHECKS=$((T_CHECKS + 1)); T_FAILS=$((T_FAILS + 1)); echo "FAIL $1"; [ $# -gt 1 ] && echo "     $2"; return 0; }

# check DESC CMD...: passes when CMD succeeds.
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then pass "$d"; else fail "$d" "command failed: $*"; fi; }
# check_eq DESC GOT WANT
check_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi; }
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

t_done() {
    echo "$T_CHECKS checks, $T_FAILS failed"
    [ "$T_FAILS" -eq 0 ]
}
