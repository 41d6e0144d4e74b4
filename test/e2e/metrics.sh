#!/usr/bin/env bash
# metrics.sh: GET /metrics against the real binary and engine. The text parses with Prometheus's
# own parser (python3-prometheus-client); the gateway counters move by exactly the requests sent,
# per function and per status (7 answered 200, 3 answered 404 by a function that has no /missing),
# started and the duration histogram too; a job execution counts as an invocation and as a job
# execution, and its build as a build; a wake from paused shows in faas_wakes_total{from="paused"},
# faas_wake_seconds and faas_queued_requests_total; function answers carry Server-Timing
# upstream;dur=; gateway_service_* follow the function's replicas and scale; the engine, LMDB and
# process_* series are there and sane; a read key scrapes, an invoke key gets 403, no key 401;
# with metrics = false, /metrics is 404 and function traffic still flows.
. "$(dirname "$0")/lib.sh"
MKZIP="python3 $(dirname "$0")/mkzip.py"
PY=/usr/bin/python3 # Debian's, with python3-prometheus-client (the PATH one may be a pyenv shim)

if ! $PY -c 'import prometheus_client' 2>/dev/null; then
    fail "python3-prometheus-client is installed (deps/packages.sh)"
    t_done
    exit 1
fi

faas_start_docker metrics 'scale = { pause_after = "2s", stop_after = "1h", wake_timeout = "30s", target = 7 }' || exit 1
FN=$T_PREFIX-mx
JOB=$T_PREFIX-mxjob
PORT=$(free_port)
AUTH=(-H "Authorization: $F_KEY")

# A service that answers 404 on /missing and 200 elsewhere.
py_expr_service "$T_DIR/app" self.path
zip_dir "$T_DIR/app" "$T_DIR/app.zip"

# scrape FILE [KEY]: GET /metrics into FILE (sets H_STATUS, H_HEADERS).
scrape() {
    http GET "$F_URL/metrics" -H "Authorization: ${2:-$F_KEY}"
    cp "$T_DIR/.body" "$1"
}
# value FILE NAME [LABELS_JSON]: the sample NAME whose labels include LABELS_JSON, by Prometheus's
# parser; 0 when absent; "PARSE ERROR ..." when the text does not parse.
value() {
    local labels=${3:-}
    [ -n "$labels" ] || labels='{}'
    $PY - "$1" "$2" "$labels" <<'PY'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
name, want = sys.argv[2], json.loads(sys.argv[3])
try:
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
except Exception as e:
    print("PARSE ERROR", e); sys.exit(0)
found = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in want.items())]
v = found[0] if found else 0
print(int(v) if v == int(v) else v)
PY
}
# delta NAME LABELS: value in $T_DIR/after minus value in $T_DIR/before.
delta() { echo $(($(value "$T_DIR/after" "$1" "$2") - $(value "$T_DIR/before" "$1" "$2"))); }
fnl() { echo "{\"function_name\":\"$FN\"${1:-}}"; }
call() { curl -s -o /dev/null -w '%{http_code}' --max-time 40 -H "Host: $FN.localhost" "$F_URL$1"; }
is_paused() { [ "$(fn_status "$FN" '.replicas[0].state')" = paused ]; }

upload "$FN" "$PORT" "$T_DIR/app.zip"
check_eq "upload" "$H_STATUS" 200
check "deployed" deployed "$FN"

# --- the format, the content type, every family parses ------------------------------------------------
scrape "$T_DIR/before"
check_eq "GET /metrics with the passkey: 200" "$H_STATUS" 200
check_contains "content type: text format 0.0.4" "$H_HEADERS" "content-type: text/plain; version=0.0.4; charset=utf-8"
families=$($PY - "$T_DIR/before" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
try:
    print(" ".join(sorted(f.name for f in text_string_to_metric_families(open(sys.argv[1]).read()))))
except Exception as e:
    print("PARSE ERROR", e)
PY
)
check_not_contains "the text parses with prometheus_client" "$families" "PARSE ERROR"
for f in gateway_function_invocation gateway_functions_seconds gateway_function_invocation_started \
    gateway_service_count gateway_service_target gateway_service_min faas_wakes faas_wake_seconds \
    faas_queued_requests faas_queue_refused faas_upstream_errors faas_builds faas_build_seconds \
    faas_job_executions faas_job_execution_seconds faas_warm_containers_started faas_acme_orders \
    faas_certificate_not_after_seconds faas_engine_up faas_lmdb_map_used_bytes faas_lmdb_map_size_bytes \
    process_cpu_seconds process_resident_memory_bytes process_open_fds process_max_fds process_start_time_seconds; do
    check_contains "family $f" " $families " " $f "
done
check_eq "the service's build counted" "$(value "$T_DIR/before" faas_builds_total "$(fnl ',"result":"success"')")" 1
check_eq "gateway_service_count: its one ready replica" "$(value "$T_DIR/before" gateway_service_count "$(fnl)")" 1
check_eq "gateway_service_target: the scale target" "$(value "$T_DIR/before" gateway_service_target "$(fnl)")" 7
check_eq "gateway_service_min: scale to zero" "$(value "$T_DIR/before" gateway_service_min "$(fnl)")" 0
check_eq "faas_engine_up" "$(value "$T_DIR/before" faas_engine_up)" 1
used=$(value "$T_DIR/before" faas_lmdb_map_used_bytes)
size=$(value "$T_DIR/before" faas_lmdb_map_size_bytes)
check "LMDB: some of the map used, within its size" test "$used" -gt 0 -a "$used" -le "$size"
check "process_resident_memory_bytes > 1 MB" test "$(value "$T_DIR/before" process_resident_memory_bytes)" -gt 1000000
check "process_open_fds > 3" test "$(value "$T_DIR/before" process_open_fds)" -gt 3
start=$(value "$T_DIR/before" process_start_time_seconds | cut -d. -f1)
check "process_start_time_seconds: within the last 10 minutes" test "$start" -gt $(($(date +%s) - 600)) -a "$start" -le "$(date +%s)"

# --- exact deltas, per function and code -------------------------------------------------------------
codes=""
for i in 1 2 3 4 5 6 7; do codes="$codes$(call "/ok$i")"; done
for i in 1 2 3; do codes="$codes$(call "/missing$i")"; done
check_eq "7 answered 200, then 3 answered 404" "$codes" "200200200200200200200404404404"
http GET "$F_URL/ok" -H "Host: $FN.localhost"
check_contains "a function answer carries Server-Timing upstream;dur=" "$H_HEADERS" "server-timing: upstream;dur="
scrape "$T_DIR/after"
check_eq "gateway_function_invocation_total code 200: +8" "$(delta gateway_function_invocation_total "$(fnl ',"code":"200"')")" 8
check_eq "gateway_function_invocation_total code 404: +3" "$(delta gateway_function_invocation_total "$(fnl ',"code":"404"')")" 3
check_eq "gateway_function_invocation_total code 503: none" "$(delta gateway_function_invocation_total "$(fnl ',"code":"503"')")" 0
# prometheus_client names a counter's sample NAME_total; the text has OpenFaaS's exact name.
check_eq "gateway_function_invocation_started: +11" "$(delta gateway_function_invocation_started_total "$(fnl)")" 11
check "the text says gateway_function_invocation_started, OpenFaaS's name" \
    grep -q "^gateway_function_invocation_started{function_name=\"$FN\"} " "$T_DIR/after"
check_eq "gateway_functions_seconds_count: +11" "$(delta gateway_functions_seconds_count "$(fnl)")" 11
check_eq "gateway_functions_seconds_bucket le=+Inf: +11" \
    "$(delta gateway_functions_seconds_bucket "$(fnl ',"le":"+Inf"')")" 11

# --- a wake from paused ---------------------------------------------------------------------------
check "$FN pauses when idle" wait_for "$FN paused" 30 is_paused
scrape "$T_DIR/before"
http GET "$F_URL/woken" -H "Host: $FN.localhost"
check_eq "a request wakes the paused function" "$H_STATUS" 200
check_contains "its Server-Timing names the wake" "$H_HEADERS" 'wake;desc="paused"'
check_contains "and the upstream time" "$H_HEADERS" "upstream;dur="
scrape "$T_DIR/after"
check_eq "faas_wakes_total{from=paused}: +1" "$(delta faas_wakes_total "$(fnl ',"from":"paused"')")" 1
check_eq "faas_wake_seconds_count: +1" "$(delta faas_wake_seconds_count "$(fnl)")" 1
check_eq "faas_queued_requests_total: +1" "$(delta faas_queued_requests_total "$(fnl)")" 1
check_eq "faas_queue_refused_total: none" "$(delta faas_queue_refused_total "$(fnl)")" 0
check_eq "the woken request: one more 200" "$(delta gateway_function_invocation_total "$(fnl ',"code":"200"')")" 1

# --- a job execution -------------------------------------------------------------------------------
mkdir -p "$T_DIR/job"
printf 'print("hi")\n' >"$T_DIR/job/main.py"
zip_dir "$T_DIR/job" "$T_DIR/job.zip"
http POST "$F_URL/api/submit" "${AUTH[@]}" -F "code=@$T_DIR/job.zip" -F "name=$JOB"
check_eq "job submit" "$H_STATUS" 200
ID=$(json .functionId)
scrape "$T_DIR/before"
http GET "$F_URL/api/execute?functionId=$ID" "${AUTH[@]}"
check_eq "job execute" "$H_STATUS $(json .output)" "200 hi"
scrape "$T_DIR/after"
jl() { echo "{\"function_name\":\"$JOB\"${1:-}}"; }
check_eq "the job's build counted" "$(value "$T_DIR/after" faas_builds_total "$(jl ',"result":"success"')")" 1
check_eq "a job execution is an invocation (code 200)" "$(delta gateway_function_invocation_total "$(jl ',"code":"200"')")" 1
check_eq "... with its seconds" "$(delta gateway_functions_seconds_count "$(jl)")" 1
check_eq "faas_job_executions_total{result=success}: +1" "$(delta faas_job_executions_total "$(jl ',"result":"success"')")" 1
check_eq "faas_job_execution_seconds_count: +1" "$(delta faas_job_execution_seconds_count "$(jl)")" 1
check_eq "the service's counts did not move" "$(delta gateway_function_invocation_total "$(fnl ',"code":"200"')")" 0

# --- who may scrape -----------------------------------------------------------------------------------
for scope in read invoke; do
    http POST "$F_URL/keys" "${AUTH[@]}" -H 'Content-Type: application/json' -d "{\"name\":\"m-$scope\",\"scope\":\"$scope\"}"
    check_eq "key $scope made" "$H_STATUS" 201
    declare "KEY_$scope=$(json .data.key)"
done
scrape "$T_DIR/read" "$KEY_read"
check_eq "a read key scrapes" "$H_STATUS" 200
check_eq "... and gets the same series (11 + the woken one started)" \
    "$(value "$T_DIR/read" gateway_function_invocation_started_total "$(fnl)")" 12
http GET "$F_URL/metrics" -H "Authorization: Bearer $KEY_invoke"
check_eq "an invoke key: 403" "$H_STATUS $(json .error)" "403 forbidden"
http GET "$F_URL/metrics"
check_eq "no key: 401" "$H_STATUS $(json .error)" "401 unauthorized"
http POST "$F_URL/metrics" "${AUTH[@]}"
check_eq "POST /metrics: 405" "$H_STATUS" 405

faas_stop
check_eq "clean exit" "$F_RC" 0

# --- metrics = false --------------------------------------------------------------------------------
faas_start off 'metrics = false' || exit 1
http GET "$F_URL/metrics" -H "Authorization: $F_KEY"
check_eq "metrics = false: /metrics is 404" "$H_STATUS $(json .details)" "404 metrics are off (config: metrics = false)"
http GET "$F_URL/health"
check_eq "metrics = false: the rest serves" "$H_STATUS" 200
faas_stop
check_eq "metrics = false: clean exit" "$F_RC" 0

t_done
