#!/usr/bin/env bash
# logs.sh: live logs and waiting on a deploy. A build log followed from the upload on ends with
# the build and its outcome (succeeded or failed) as the last line; GET /function/get?wait=<build>
# answers once the build ended; a followed container log (HTTP/1.1 chunked and HTTP/2) shows a
# line the function prints after the follow started, carries the replica with several, and ends
# its thread when the client goes away; bad input gets clear errors; faas stops at once with
# followers attached.
. "$(dirname "$0")/lib.sh"

faas_start_docker lg 'scale = { max = 2 }' || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-logs
HOST=$FN.localhost
py_service "$T_DIR/v1" v1
zip_dir "$T_DIR/v1" "$T_DIR/v1.zip"

# --- a build followed from its upload; waiting on it -------------------------------------------
upload "$FN" 0 "$T_DIR/v1.zip"
check_eq "upload: 200" "$H_STATUS" 200
BUILD=$(json .buildId)
curl -sN "${AUTH[@]}" "$F_URL/function/logs/$FN?source=build&follow=1" >"$T_DIR/build.log" 2>&1 &
FOLLOW=$!
http GET "$F_URL/function/get/$FN?wait=$BUILD&timeout=120" "${AUTH[@]}"
check_eq "get?wait=<build>: 200" "$H_STATUS" 200
check_eq "it answers once the build served" "$(json .build.status)" succeeded
check_eq "with the record as it is then" "$(json .status)" running
check "the followed build log ends by itself" wait_for "build follow ends" 30 bash -c "! kill -0 $FOLLOW 2>/dev/null"
wait "$FOLLOW"
check_contains "it holds the build's output" "$(cat "$T_DIR/build.log")" "faas: building"
check_eq "its last line is the outcome" "$(tail -n 1 "$T_DIR/build.log")" "faas: build $BUILD succeeded"
http GET "$F_URL/function/get/$FN?wait=$BUILD" "${AUTH[@]}"
check_eq "waiting on a build that ended answers at once" "$(json .build.id)" "$BUILD"

# --- the container's output, followed --------------------------------------------------------------
# followers: the threads following logs (named faas-logs*).
followers() { cat /proc/"$F_PID"/task/*/comm 2>/dev/null | grep -c '^faas-logs'; }
curl -sN "${AUTH[@]}" "$F_URL/function/logs/$FN?follow=1&tail=0" -D "$T_DIR/h1.headers" >"$T_DIR/h1.log" 2>&1 &
F1=$!
curl -sN --http2-prior-knowledge "${AUTH[@]}" "$F_URL/function/logs/$FN?follow=1&tail=0" >"$T_DIR/h2.log" 2>&1 &
F2=$!
two_followers() { [ "$(followers)" -ge 2 ]; }
check "two followers: a thread each" wait_for "follower threads" 10 two_followers
curl -s -o /dev/null -H "Host: $HOST" "$F_URL/marker-one"
check "HTTP/1.1: a line printed after the follow started arrives" wait_for "marker over h1" 20 grep -q "request /marker-one" "$T_DIR/h1.log"
check "HTTP/2: the same line" wait_for "marker over h2" 20 grep -q "request /marker-one" "$T_DIR/h2.log"
check_contains "chunked over HTTP/1.1" "$(tr -d '\r' <"$T_DIR/h1.headers" | tr 'A-Z' 'a-z')" "transfer-encoding: chunked"
check_not_contains "tail=0: nothing from before" "$(cat "$T_DIR/h1.log")" "request /health"
curl -s -o /dev/null -H "Host: $HOST" "$F_URL/marker-two"
check "and the next one" wait_for "marker two" 20 grep -q "request /marker-two" "$T_DIR/h1.log"
kill "$F1" "$F2"
wait "$F1" "$F2" 2>/dev/null
no_followers() { [ "$(followers)" = 0 ]; }
check "a client that goes away ends its follower thread" wait_for "threads back" 15 no_followers

# --- with two replicas, lines carry the replica ------------------------------------------------------
http PUT "$F_URL/function/scale/$FN" "${AUTH[@]}" -d '{"min":2}'
check_eq "scale to two replicas: 200" "$H_STATUS" 200
two_ready() { [ "$(fn_status "$FN" '[.replicas[] | select(.state == "ready")] | length')" = 2 ]; }
check "two replicas ready" wait_for "two replicas" 60 two_ready
curl -sN "${AUTH[@]}" "$F_URL/function/logs/$FN?follow=1&tail=0" >"$T_DIR/r.log" 2>&1 &
F3=$!
three() { [ "$(followers)" -ge 3 ]; }
check "two replicas: a thread each beside the client's" wait_for "follower threads" 10 three
for i in $(seq 1 20); do curl -s -o /dev/null -H "Host: $HOST" "$F_URL/r$i"; done
check "lines of both replicas, each with its replica" wait_for "two prefixes" 20 bash -c \
    "[ \$(grep -oE '^\[[0-9a-f]{12}\] request /r' '$T_DIR/r.log' | sort -u | wc -l) -eq 2 ]"
kill "$F3"
wait "$F3" 2>/dev/null
check "and all three end with the client" wait_for "threads back" 15 no_followers

# --- a failing build, followed ----------------------------------------------------------------------
mkdir -p "$T_DIR/bad"
printf 'import sys\nprint("cannot start: missing config", flush=True)\nsys.exit(4)\n' >"$T_DIR/bad/main.py"
zip_dir "$T_DIR/bad" "$T_DIR/bad.zip"
BAD=$T_PREFIX-bad
upload "$BAD" 0 "$T_DIR/bad.zip"
BADBUILD=$(json .buildId)
curl -sN "${AUTH[@]}" "$F_URL/function/logs/$BAD?source=build&follow=1" >"$T_DIR/bad.log" 2>&1 &
F4=$!
http GET "$F_URL/function/get/$BAD?wait=$BADBUILD&timeout=120" "${AUTH[@]}"
check_eq "waiting on a failing build: it answers with the failure" "$(json .build.status)" failed
check "its followed log ends too" wait_for "bad follow ends" 30 bash -c "! kill -0 $F4 2>/dev/null"
check_contains "with the failure as the last line" "$(tail -n 1 "$T_DIR/bad.log")" "faas: build $BADBUILD failed: "

# --- bad input -------------------------------------------------------------------------------------
http GET "$F_URL/function/logs/$T_PREFIX-none?follow=1" "${AUTH[@]}"
check_eq "following an unknown function: 404" "$H_STATUS" 404
check_eq "as JSON" "$(json .error)" "Function not found"
http GET "$F_URL/function/logs/$FN?follow=1"
check_eq "following without the key: 401" "$H_STATUS" 401
http GET "$F_URL/function/get/$FN?wait=no-such-build" "${AUTH[@]}"
check_eq "waiting on an unknown build: 404" "$H_STATUS" 404
http GET "$F_URL/function/get/$FN?wait=$BADBUILD" "${AUTH[@]}"
check_eq "waiting on another function's build: 404" "$H_STATUS" 404
for t in abc -1 601 1.5; do
    http GET "$F_URL/function/get/$FN?wait=$BUILD&timeout=$t" "${AUTH[@]}"
    check_eq "timeout=$t: 400" "$H_STATUS" 400
done
http GET "$F_URL/function/get/$FN?wait=" "${AUTH[@]}"
check_eq "an empty wait: 400" "$H_STATUS" 400

# --- a running build: the wait times out with the record as it is -----------------------------------
py_service "$T_DIR/v2" v2
printf 'import time\ntime.sleep(0)\n' >>"$T_DIR/v2/main.py"
zip_dir "$T_DIR/v2" "$T_DIR/v2.zip"
upload "$FN" 0 "$T_DIR/v2.zip"
B2=$(json .buildId)
http GET "$F_URL/function/get/$FN?wait=$B2&timeout=0" "${AUTH[@]}"
check_eq "timeout=0 answers at once" "$H_STATUS" 200
check "v2 deployed" deployed "$FN"

# --- stopping with followers attached ---------------------------------------------------------------
curl -sN "${AUTH[@]}" "$F_URL/function/logs/$FN?follow=1" >/dev/null 2>&1 &
F5=$!
one_follower() { [ "$(followers)" -ge 1 ]; }
wait_for "follower threads" 10 one_follower
kill -TERM "$F_PID"
check "faas stops with a follower attached (within its 5 s shutdown deadline)" wait_for "faas exits" 8 bash -c "! kill -0 $F_PID 2>/dev/null"
check "the follower's response ended" wait_for "curl ends" 5 bash -c "! kill -0 $F5 2>/dev/null"
faas_stop
check_eq "exit 0" "$F_RC" 0
t_done
