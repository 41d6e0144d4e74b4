#!/usr/bin/env bash
# shutdown.sh: SIGTERM/SIGINT stop accepting at once, let requests in flight finish, and
# exit 0 within server.shutdown_timeout; idle keep-alive connections do not hold the exit.
. "$(dirname "$0")/lib.sh"

head -c 1500000 /dev/urandom >"$T_DIR/body.bin" # 3 s at 500 KB/s

now_ms() { echo $(($(date +%s%N) / 1000000)); }
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }
# connected PORT: a client connection to PORT is established.
connected() { test -n "$(ss -tn state established "( dport = :$1 )" | tail -n +2)"; }
# refused URL: a new request gets no answer at all.
refused() { test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1")" = 000; }

# upload_during_stop PROTO_FLAG: a slow upload is under way when SIGTERM arrives.
upload_during_stop() {
    local flag=$1 name=$2
    faas_start "$name" 'server = { shutdown_timeout = "10s" }' || exit 1
    curl -s -o "$T_DIR/$name.out" -w '%{http_code}' $flag --limit-rate 500K -H "Authorization: $F_KEY" -X POST --data-binary "@$T_DIR/body.bin" \
        "$F_URL/health" >"$T_DIR/$name.code" &
    local client=$!
    wait_for "upload started" 5 connected "${F_URL##*:}"
    local t0
    t0=$(now_ms)
    kill -TERM "$F_PID"
    check "$name: new connections refused right after SIGTERM" wait_for "listener closed" 3 refused "$F_URL/health"
    check "$name: the server waits for the upload" alive "$F_PID"
    wait "$client"
    check_eq "$name: the upload in flight completes (body read, then 405)" "$(cat "$T_DIR/$name.code")" 405
    wait "$F_PID"
    local rc=$?
    check_eq "$name: exit 0" "$rc" 0
    check "$name: exit well within shutdown_timeout" test $(($(now_ms) - t0)) -lt 9000
    check "$name: stop logged" grep -q "SIGTERM received: stopping" "$F_LOG"
}

upload_during_stop --http1.1 h1
upload_during_stop --http2-prior-knowledge h2c

# --- idle keep-alive connections do not delay the exit -------------------------------------
faas_start idle 'server = { shutdown_timeout = "20s" }' || exit 1
port=${F_URL##*:}
exec 5<>"/dev/tcp/127.0.0.1/$port"                     # an idle connection, no request
curl -s -o /dev/null --http2-prior-knowledge "$F_URL/health" # warm a h2c connection too
printf 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' >&5    # a served keep-alive request, then idle
t0=$(now_ms)
kill -INT "$F_PID"
check "SIGINT with idle connections: exit long before the 20 s deadline" wait_for "exit" 5 dead "$F_PID"
wait "$F_PID"
check_eq "SIGINT: exit 0" "$?" 0
exec 5>&-

# --- a request longer than shutdown_timeout is cut at the deadline -------------------------
head -c 3000000 /dev/urandom >"$T_DIR/long.bin" # 6 s at 500 KB/s
faas_start deadline 'server = { shutdown_timeout = "1s" }' || exit 1
curl -s -o /dev/null -w '%{http_code}' --limit-rate 500K -H "Authorization: $F_KEY" -X POST --data-binary "@$T_DIR/long.bin" \
    "$F_URL/health" >"$T_DIR/long.code" &
client=$!
wait_for "upload started" 5 connected "${F_URL##*:}"
t0=$(now_ms)
kill -TERM "$F_PID"
check "exits at the 1 s deadline, not after the 6 s upload" wait_for "exit" 4 dead "$F_PID"
wait "$F_PID"
check_eq "exit 0 after the deadline" "$?" 0
check "the deadline is logged" grep -q "shutdown deadline passed with 1 request(s) in flight" "$F_LOG"
wait "$client"
check "the cut upload got no answer (curl fails)" test $? != 0
check_not_contains "no 405 for the cut upload" "$(cat "$T_DIR/long.code")" 405

t_done
