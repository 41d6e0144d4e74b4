#!/usr/bin/env bash
# scale.sh: serving with replicas. An idle function is paused, then stopped (docker inspect says
# so); a request wakes it on its subdomain, on its loopback port and over h2c, with Server-Timing
# saying from what; 20 requests during one wake all succeed with one wake; scale_min = 1 never
# pauses; an open WebSocket keeps its function awake; per-function memory reaches
# HostConfig.Memory; load makes replicas and they go after the window; a redeploy with 3
# replicas under load loses no request; kill -9 of faas while scaled up and while paused, then
# a restart: the state is reconciled and nothing leaks.
. "$(dirname "$0")/lib.sh"

faas_start_docker scale 'scale = { pause_after = "2s", stop_after = "4s", window = "4s", wake_timeout = "30s" }' || exit 1
FN=$T_PREFIX-sc
PORT=$(free_port)

# A Python server (threads) whose /slow sleeps 0.3 s: load for the autoscaler.
py_host_service "$T_DIR/app" 0.3
zip_dir "$T_DIR/app" "$T_DIR/app.zip"
call() { curl -s --max-time 40 -H "Host: $FN.localhost" "$@" "$F_URL/"; }
state() { docker inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
replica_states() { fn_status "$FN" '[.replicas[].state] | join(",")'; }
our_containers() { docker ps -aq --filter "label=faas.function=$FN" --filter "name=^$T_PREFIX-$FN-" | wc -l; }

upload "$FN" "$PORT" "$T_DIR/app.zip" -F memory=96m -F cpus=0.5
check_eq "upload" "$H_STATUS" 200
check "deployed" deployed "$FN"
cid=$(fn_status "$FN" '.replicas[0].id')
check_eq "one replica, ready" "$(replica_states)" ready
check_eq "memory reaches HostConfig.Memory" "$(docker inspect -f '{{.HostConfig.Memory}}' "$cid")" $((96 * 1024 * 1024))
check_eq "cpus reach HostConfig.NanoCpus" "$(docker inspect -f '{{.HostConfig.NanoCpus}}' "$cid")" 500000000

# Idle: paused after pause_after, stopped after stop_after more.
check "idle: paused" wait_for "paused" 15 sh -c "[ \"\$(docker inspect -f '{{.State.Paused}}' $cid)\" = true ]"
check_eq "record: paused" "$(replica_states)" paused
http GET "$F_URL/function/listrunning" -H "Authorization: $F_KEY"
check_contains "listrunning shows it paused" "$H_BODY" '"State":"paused"'

# Wake from paused on the subdomain: 200, Server-Timing desc="paused".
http GET "$F_URL/" -H "Host: $FN.localhost"
check_eq "wake (paused): 200" "$H_STATUS" 200
check_contains "wake (paused): Server-Timing" "$H_HEADERS" 'server-timing: wake;desc="paused";dur='
check_eq "record: ready again" "$(replica_states)" ready
http GET "$F_URL/" -H "Host: $FN.localhost"
check_not_contains "an awake function: no wake timing" "$H_HEADERS" "wake;"
check_contains "an awake function: the upstream's timing" "$H_HEADERS" "server-timing: upstream;dur="

check "idle: paused again" wait_for "paused" 15 sh -c "[ \"\$(docker inspect -f '{{.State.Paused}}' $cid)\" = true ]"
check "then stopped" wait_for "stopped" 15 sh -c "[ \"\$(docker inspect -f '{{.State.Running}}' $cid)\" = false ]"
check_eq "record: stopped" "$(replica_states)" stopped

# Wake from stopped on the loopback port.
H_STATUS=$(curl -s -o "$T_DIR/.body" -D "$T_DIR/.headers" -w '%{http_code}' --max-time 40 "http://127.0.0.1:$PORT/")
check_eq "wake (stopped) on the loopback port: 200" "$H_STATUS" 200
check_contains "wake (stopped): Server-Timing" "$(tr 'A-Z' 'a-z' <"$T_DIR/.headers")" 'wake;desc="stopped"'

# Paused again, then 20 requests at once over h2c: all 200, one wake.
check "paused for h2c" wait_for "paused" 15 sh -c "[ \"\$(docker inspect -f '{{.State.Paused}}' $(fn_status "$FN" '.replicas[0].id'))\" = true ]"
wakes_before=$(grep -c "$FN: woke" "$F_LOG")
pids=()
for i in $(seq 1 20); do
    curl -s -o /dev/null -D "$T_DIR/h2.$i" -w '%{http_code}\n' --max-time 40 --http2-prior-knowledge \
        -H "Host: $FN.localhost" "$F_URL/?$i" >>"$T_DIR/burst" &
    pids+=($!)
done
wait "${pids[@]}" # not a bare wait: faas is a child too
check_eq "20 requests during one wake: all 200" "$(grep -c '^200$' "$T_DIR/burst")" 20
# Those that arrived while it woke say so (a late one found it awake and did not wait).
check "h2c: Server-Timing says paused" grep -qi 'server-timing: wake;desc="paused";dur=' "$T_DIR"/h2.*
check_eq "one wake for all of them" "$(($(grep -c "$FN: woke" "$F_LOG") - wakes_before))" 1

# min = 1 never pauses.
FN1=$T_PREFIX-sc1
upload "$FN1" 0 "$T_DIR/app.zip" -F scale_min=1
check "min=1 deployed" deployed "$FN1"
cid1=$(fn_status "$FN1" '.replicas[0].id')
# never SECONDS CMD...: CMD never succeeds during that time (what must not happen; checked every 0.2 s).
never() {
    local end=$(($(date +%s%N) / 1000000 + $1 * 1000))
    shift
    while [ $(($(date +%s%N) / 1000000)) -lt $end ]; do "$@" && return 1; sleep 0.2; done
}
paused1() { [ "$(docker inspect -f '{{.State.Paused}}' "$cid1")" = true ]; }
check "min=1: never paused (5 s, past pause_after and two decisions)" never 5 paused1

# A WebSocket held open keeps its function awake; once it closes, the function pauses.
FNW=$T_PREFIX-scw
zip_dir "$(dirname "$0")/fixtures/proxyapp" "$T_DIR/ws.zip"
upload "$FNW" 0 "$T_DIR/ws.zip"
check "websocket app deployed" deployed "$FNW"
cidw=$(fn_status "$FNW" '.replicas[0].id')
WSCLIENT_HOLD=8 python3 "$(dirname "$0")/wsclient.py" 127.0.0.1 "${F_URL##*:}" /ws "$FNW.localhost" hi >"$T_DIR/ws.out" &
wspid=$!
check "websocket open" wait_for "echo" 10 grep -q '^echo:hi$' "$T_DIR/ws.out"
paused_w() { [ "$(docker inspect -f '{{.State.Paused}}' "$cidw")" = true ]; }
check "an open WebSocket keeps its function awake" never 6 paused_w
wait "$wspid"
check "closed: then it pauses" wait_for "paused" 15 paused_w

# Autoscale: target 1, max 3; 8 clients on /slow for a while: 3 ready replicas; after the window, 1.
http PUT "$F_URL/function/scale/$FN" -H "Authorization: $F_KEY" -H 'Content-Type: application/json' \
    -d '{"min":1,"max":3,"target":1}'
check_eq "PUT scale" "$H_STATUS" 200
LOAD_PIDS=()
load_for() { # load_for SECONDS NAME: 8 clients in a loop on /slow, answers in $T_DIR/load.NAME
    local end=$(($(date +%s) + $1))
    LOAD_PIDS=()
    for c in $(seq 1 8); do
        (while [ "$(date +%s)" -lt $end ]; do
            curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -H "Host: $FN.localhost" "$F_URL/slow"
        done) >>"$T_DIR/load.$2" &
        LOAD_PIDS+=($!)
    done
}
ready_count() { fn_status "$FN" '[.replicas[] | select(.state == "ready")] | length'; }
load_for 20 a
check "under load: 3 ready replicas" wait_for "3 replicas" 20 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq '[.replicas[] | select(.state == \"ready\")] | length')\" = 3 ]"
check_eq "desired shows in the record" "$(fn_status "$FN" .desired)" 3
wait "${LOAD_PIDS[@]}"
check_eq "no request failed under scale-up" "$(grep -vc '^200$' "$T_DIR/load.a")" 0
check "after the window: back to min" wait_for "1 replica" 40 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq '[.replicas[] | select(.state == \"ready\")] | length')\" = 1 ]"

# A redeploy with 3 replicas under load loses no request.
http PUT "$F_URL/function/scale/$FN" -H "Authorization: $F_KEY" -d '{"min":3}'
check "3 replicas" wait_for "3 replicas" 40 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq '[.replicas[] | select(.state == \"ready\")] | length')\" = 3 ]"
# A replica that dies beside others is replaced.
victim=$(fn_status "$FN" '.replicas[1].id')
docker kill "$victim" >/dev/null
replaced() {
    [ "$(curl -s -H "Authorization: $F_KEY" "$F_URL/function/get/$FN" |
        jq --arg v "$victim" '[.replicas[] | select(.state == "ready" and .id != $v)] | length')" = 3 ]
}
check "a killed replica is replaced (3 ready again)" wait_for "replaced" 40 replaced
check_eq "the dead one is removed" "$(docker inspect "$victim" >/dev/null 2>&1 && echo present || echo gone)" gone
check_eq "the function stays running" "$(fn_status "$FN" .status)" running
old_ids=$(fn_status "$FN" '[.replicas[].id] | join(" ")')
load_for 25 b
upload "$FN" "$PORT" "$T_DIR/app.zip"
check_eq "redeploy under load" "$H_STATUS" 200
check "redeployed" deployed "$FN"
wait "${LOAD_PIDS[@]}"
check_eq "redeploy with 3 replicas: no request lost" "$(grep -vc '^200$' "$T_DIR/load.b")" 0
check_eq "the new version has 3 replicas" "$(ready_count)" 3
old_gone() { # the switch retires the old replicas after the record says succeeded
    local id
    for id in $old_ids; do docker inspect "$id" >/dev/null 2>&1 && return 1; done
    return 0
}
check "the old replicas are removed" wait_for "old replicas gone" 60 old_gone

# kill -9 while scaled up, restart: the set is what Docker has, nothing leaks. A container an
# operator made by hand from the function's image (it inherits the image's faas labels) is not
# faas's and stays.
docker run -d --name "$T_PREFIX-byhand" --network none -e PORT=8080 "$(fn_status "$FN" .imageId)" >/dev/null
faas_stop KILL
faas_run scale || exit 1
check "restart: the first reconcile pass ran" wait_for "reconcile" 30 grep -q 'reconcile: pass 1 done' "$F_LOG"
check_eq "a container made by hand from the image stays" "$(docker inspect -f '{{.State.Status}}' "$T_PREFIX-byhand" 2>&1)" running
docker rm -f "$T_PREFIX-byhand" >/dev/null
check "restart: serves" wait_for "serves" 20 sh -c "curl -s -H 'Host: $FN.localhost' $F_URL/ | grep -q up"
check_eq "restart: 3 replicas kept" "$(ready_count)" 3
check_eq "restart: no container beyond the record" "$(our_containers)" 3

# kill -9 while paused, restart: still paused in record and engine; a request wakes it.
http PUT "$F_URL/function/scale/$FN" -H "Authorization: $F_KEY" -d '{"min":0,"max":1}'
check "scaled back to 1" wait_for "1 replica" 40 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq '.replicas | length')\" = 1 ]"
check "paused before the kill" wait_for "paused" 20 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq -r '.replicas[0].state')\" = paused ]"
faas_stop KILL
faas_run scale || exit 1
check_eq "restart while paused: record paused" "$(replica_states)" paused
check_eq "restart while paused: engine paused" "$(docker inspect -f '{{.State.Paused}}' "$(fn_status "$FN" '.replicas[0].id')")" true
check_contains "restart while paused: a request wakes it" "$(call)" up
check_eq "restart: no leaked container" "$(our_containers)" 1

for f in "$FN" "$FN1" "$FNW"; do
    http DELETE "$F_URL/function/delete/$f" -H "Authorization: $F_KEY"
    check_eq "delete $f" "$H_STATUS" 200
done
check_eq "no container left" "$(docker ps -aq --filter "name=^$T_PREFIX-" | wc -l)" 0
faas_stop TERM
check_eq "exit 0" "$F_RC" 0
t_done
