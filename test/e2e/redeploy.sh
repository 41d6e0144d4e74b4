#!/usr/bin/env bash
# redeploy.sh: zero-downtime upserts against the real engine. Redeploys under a steady stream
# of requests (subdomain and loopback port) with zero failures; a port move takes the
# subdomain and the port together; a failing build, a container that exits and one that never
# answers all leave the old version serving, with the record saying why.
. "$(dirname "$0")/lib.sh"

# revisions = 1: only the serving revision keeps its image, so the old one goes at the switch.
faas_start_docker rd 'limits = { start_timeout = "6s" }' 'revisions = 1' || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-svc
P1=$(free_port)

py_service "$T_DIR/v1" v1
zip_dir "$T_DIR/v1" "$T_DIR/v1.zip"
upload "$FN" "$P1" "$T_DIR/v1.zip"
check "v1 deployed" deployed "$FN"

# load URL OUT: requests URL in a loop until $T_DIR/stop exists (at most 3000 requests or 180 s),
# writing one line per request: "<http code> <first word of the body>".
load() {
    local url=$1 out=$2 host=$3 end=$((SECONDS + 180))
    : >"$out"
    for _ in $(seq 1 3000); do
        [ -e "$T_DIR/stop" ] || [ $SECONDS -ge $end ] && break
        local r
        r=$(curl -s --max-time 10 -H "Host: $host" -w ' %{http_code}' "$url" 2>/dev/null)
        echo "${r##* } ${r%% *}" >>"$out"
    done
}
# redeploy_under_load DESC ZIP PORT OLD WANT: uploads ZIP (version WANT, replacing OLD) while
# loops of requests run through the subdomain and the loopback port, and h2load beside them.
redeploy_under_load() {
    local desc=$1 zip=$2 port=$3 old=$4 want=$5
    rm -f "$T_DIR/stop"
    load "$F_URL/" "$T_DIR/sub.log" "$FN.localhost" &
    local l1=$!
    load "http://127.0.0.1:$P1/" "$T_DIR/port.log" x &
    local l2=$!
    wait_for "load running" 10 test -s "$T_DIR/sub.log"
    # Concurrent keep-alive load too: 8 h2c clients for 8 s, covering the switch.
    h2load -c 8 -m 4 -D 8 -H ":authority: $FN.localhost" "$F_URL/" >"$T_DIR/h2load.out" 2>&1 &
    local l3=$!
    upload "$FN" "$port" "$zip"
    check_eq "$desc: upload accepted" "$H_STATUS" 200
    check "$desc: deployed" deployed "$FN"
    served_new() { tail -n 1 "$T_DIR/sub.log" | grep -q " $want"; }
    wait_for "new version served" 30 served_new
    touch "$T_DIR/stop"
    wait "$l1" "$l2" "$l3"
    local h2
    h2=$(grep -E "^requests:|^status codes:" "$T_DIR/h2load.out" | tr '\n' ' ')
    echo "$desc: h2load during the redeploy: $h2"
    check_contains "$desc: h2load: no request failed or errored" "$h2" " 0 failed, 0 errored, 0 timeout"
    check_contains "$desc: h2load: only 2xx" "$h2" " 0 3xx, 0 4xx, 0 5xx"
    local total failed
    total=$(wc -l <"$T_DIR/sub.log")
    failed=$(grep -vc '^200 ' "$T_DIR/sub.log")
    echo "$desc: $total requests through the subdomain during the redeploy, $failed failed"
    check_eq "$desc: zero failures through the subdomain" "$failed" 0
    check "$desc: the requests spanned the switch: the old version answered" grep -q "^200 $old\$" "$T_DIR/sub.log"
    check "$desc: ... and then the new one" grep -q "^200 $want\$" "$T_DIR/sub.log"
    check_eq "$desc: the new version answers now" "$(curl -s -H "Host: $FN.localhost" "$F_URL/" | cut -d' ' -f1)" "$want"
}

py_service "$T_DIR/v2" v2
zip_dir "$T_DIR/v2" "$T_DIR/v2.zip"
redeploy_under_load "same port" "$T_DIR/v2.zip" "$P1" v1 v2
check_eq "zero failures on the loopback port" "$(grep -vc '^200 ' "$T_DIR/port.log")" 0
check_eq "one container left" "$(docker ps -aq --filter "label=faas.function=$FN" | wc -l)" 1
check_eq "the old image is gone, one left" "$(docker images -q --filter "label=faas.function=$FN" | sort -u | wc -l)" 1
check_eq "the tag names the new image" "$(docker image inspect -f '{{.Id}}' "$FN:latest")" "$(fn_status "$FN" .imageId)"
check_eq "previousImage cleared after the switch" "$(fn_status "$FN" .previousImage)" null

P2=$(free_port)
py_service "$T_DIR/v3" v3
zip_dir "$T_DIR/v3" "$T_DIR/v3.zip"
redeploy_under_load "port move" "$T_DIR/v3.zip" "$P2" v2 v3
check_contains "the new port serves v3" "$(curl -s "http://127.0.0.1:$P2/")" "v3 /"
check "the old port is released" wait_for "old port closed" 10 bash -c "! curl -s -o /dev/null http://127.0.0.1:$P1/"
check_eq "the record has the new port" "$(fn_status "$FN" .port)" "$P2"

# --- failures keep the old version --------------------------------------------------------
http POST "$F_URL/runtime/upload/$T_PREFIX-broken" "${AUTH[@]}" -F "file=@-;filename=Dockerfile" \
    <<<$'FROM python:3.11-slim\nRUN echo about to fail && exit 3'
check_eq "a runtime whose build fails" "$H_STATUS" 200
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$FN" -F "tag=$FN:latest" -F "runtime=$T_PREFIX-broken" \
    -F "port=$P2" -F "file=@$T_DIR/v3.zip"
check_eq "upload with it" "$H_STATUS" 200
check "the build ends" wait_for "build end" 120 build_done "$FN"
check_eq "build failed" "$(fn_status "$FN" .build.status)" failed
check_eq "record status stays running: the old version serves" "$(fn_status "$FN" .status)" running
check_contains "the reason" "$(fn_status "$FN" .build.error)" "returned a non-zero code: 3"
check_contains "the build log shows it" "$(curl -s "${AUTH[@]}" "$F_URL/function/logs/$FN?source=build")" "about to fail"
check_contains "v3 still serves" "$(curl -s -H "Host: $FN.localhost" "$F_URL/")" "v3 /"

mkdir -p "$T_DIR/exits" && printf 'import sys\nprint("cannot start: missing config", flush=True)\nsys.exit(4)\n' >"$T_DIR/exits/main.py"
zip_dir "$T_DIR/exits" "$T_DIR/exits.zip"
upload "$FN" "$P2" "$T_DIR/exits.zip"
check "a container that exits: the deploy ends" wait_for "deploy end" 120 build_done "$FN"
check_eq "build failed" "$(fn_status "$FN" .build.status)" failed
check_contains "the reason carries its output" "$(fn_status "$FN" .build.error)" "cannot start: missing config"
check_contains "v3 still serves" "$(curl -s -H "Host: $FN.localhost" "$F_URL/")" "v3 /"

mkdir -p "$T_DIR/silent" && printf 'import time\ntime.sleep(600)\n' >"$T_DIR/silent/main.py"
zip_dir "$T_DIR/silent" "$T_DIR/silent.zip"
upload "$FN" "$P2" "$T_DIR/silent.zip"
check "a container that never answers: the deploy ends" wait_for "deploy end" 120 build_done "$FN"
check_contains "failed on start_timeout" "$(fn_status "$FN" .build.error)" "nothing answered HTTP"
check_contains "v3 still serves" "$(curl -s -H "Host: $FN.localhost" "$F_URL/")" "v3 /"
check_eq "and only its container is left" "$(docker ps -aq --filter "label=faas.function=$FN" | wc -l)" 1

http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$FN" -F "tag=$FN:latest" -F runtime=default \
    -F "port=$P2" -F "file=@$T_DIR/v3.zip"
first=$H_STATUS
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$FN" -F "tag=$FN:latest" -F runtime=default \
    -F "port=$P2" -F "file=@$T_DIR/v3.zip"
check_eq "a second deploy while one runs: 409" "$first $H_STATUS" "200 409"
check "the first one finishes" deployed "$FN"

faas_stop TERM
check_eq "exit 0" "$F_RC" 0
t_done
