#!/usr/bin/env bash
# lifecycle.sh: what a new operator runs into, each fed for real: a service that crashes after
# start (status crashing, its last output, restarts with a growing back-off), one that never
# listens on $PORT, env kept across a redeploy without env, status while a new version builds,
# an upload without a port, Unix seconds in records, and job functions named by name.
. "$(dirname "$0")/lib.sh"

faas_start_docker life 'limits = { start_timeout = "8s" }' || exit 1
AUTH=(-H "Authorization: $F_KEY")
now() { date +%s; }
record() { curl -s "${AUTH[@]}" "$F_URL/function/get/$1"; }
field() { record "$1" | jq -r "$2"; }

# A service that answers /env with its environment and exits with code 3 on /crash.
app() {
    mkdir -p "$1"
    cat >"$1/main.py" <<'PY'
import os, sys, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/crash":
            print("crashing on purpose", flush=True)
            os._exit(3)
        body = (" ".join(k + "=" + v for k, v in sorted(os.environ.items()) if k.startswith("APP_")) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
print("listening on", os.environ["PORT"], flush=True)
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), H).serve_forever()
PY
}
app "$T_DIR/app"
zip_dir "$T_DIR/app" "$T_DIR/app.zip"

# --- an upload without a port: served by its subdomain only -------------------------------------
SVC=$T_PREFIX-svc
t0=$(now)
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$SVC" -F "tag=$SVC:1" -F runtime=default \
    -F "env=APP_A=1" -F "file=@$T_DIR/app.zip"
check_eq "upload without port: 200" "$H_STATUS" 200
check_eq "the record has port 0" "$(json .data.port)" 0
check "deployed" deployed "$SVC"
check_eq "served by its subdomain" "$(curl -s -H "Host: $SVC.localhost" "$F_URL/")" "APP_A=1"
created=$(field "$SVC" .createdAt)
check "createdAt is Unix seconds" test "$created" -ge "$t0" -a "$created" -le "$(now)"
check "build times are Unix seconds" test "$(field "$SVC" .build.finishedAt)" -ge "$t0" -a "$(field "$SVC" .build.finishedAt)" -le "$(now)"

# --- env: kept by a redeploy without env, replaced by one with env --------------------------------
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$SVC" -F "tag=$SVC:1" -F runtime=default -F "file=@$T_DIR/app.zip"
check_eq "redeploy without env: 200" "$H_STATUS" 200
check "redeployed" deployed "$SVC"
check_eq "the env is kept" "$(curl -s -H "Host: $SVC.localhost" "$F_URL/")" "APP_A=1"
check_eq "the record keeps it too" "$(field "$SVC" '.env | @json')" '{"APP_A":"1"}'
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$SVC" -F "tag=$SVC:1" -F runtime=default \
    -F "env=APP_B=2" -F "file=@$T_DIR/app.zip"
check "redeployed with env" deployed "$SVC"
check_eq "an env field replaces it" "$(curl -s -H "Host: $SVC.localhost" "$F_URL/")" "APP_B=2"

# --- while a new version builds, the old one serves and the status says so -----------------------
http POST "$F_URL/runtime/upload/$T_PREFIX-slow" "${AUTH[@]}" -F "file=@-;filename=Dockerfile" \
    <<<$'FROM python:3.11-slim\nRUN sleep 4\nWORKDIR /app\nCOPY . /app\nCMD ["python3", "main.py"]'
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$SVC" -F "tag=$SVC:1" -F "runtime=$T_PREFIX-slow" \
    -F "file=@$T_DIR/app.zip"
check_eq "a slow redeploy starts" "$H_STATUS" 200
check_eq "while it builds: status running" "$(field "$SVC" '[.status, .build.status] | @json')" '["running","building"]'
check "it ends" deployed "$SVC"
check_eq "after it: running, succeeded" "$(field "$SVC" '[.status, .build.status] | @json')" '["running","succeeded"]'

# --- a crash after start: crashing, its output, restarts with a growing back-off ------------------
restarts() { field "$SVC" .restarts; }
status_is() { [ "$(field "$SVC" .status)" = "$1" ]; }
curl -s --max-time 5 -H "Host: $SVC.localhost" "$F_URL/crash" >/dev/null
check "after a crash: status crashing" wait_for "crashing" 20 status_is crashing
check_eq "one restart counted" "$(restarts)" 1
check_contains "its last output is in the record" "$(field "$SVC" .lastOutput)" "crashing on purpose"
http GET "$F_URL/" -H "Host: $SVC.localhost"
if [ "$(field "$SVC" .status)" = crashing ]; then
    check_eq "its traffic meanwhile: 503" "$H_STATUS $(json .error)" "503 Function unavailable"
    check_contains "with Retry-After" "$H_HEADERS" "retry-after:"
fi
check "restarted after the first back-off" wait_for "running again" 20 status_is running
check_eq "serving again" "$(curl -s -H "Host: $SVC.localhost" "$F_URL/")" "APP_B=2"
t1=$(date +%s%N)
curl -s --max-time 5 -H "Host: $SVC.localhost" "$F_URL/crash" >/dev/null
check "a second crash" wait_for "crashing" 20 status_is crashing
check_eq "two restarts counted" "$(restarts)" 2
check "restarted again" wait_for "running again" 30 status_is running
waited=$((($(date +%s%N) - t1) / 1000000))
echo "second restart came $waited ms after the crash"
check "the second back-off is longer (2 s) than the first (1 s)" test "$waited" -ge 2000
check_contains "the log says when" "$(cat "$F_LOG")" "restart 2 in 2000 ms"

# --- a service that never listens on $PORT --------------------------------------------------------
DEAF=$T_PREFIX-deaf
mkdir -p "$T_DIR/deaf"
cat >"$T_DIR/deaf/main.py" <<'PY'
import http.server
print("serving on 9999 whatever PORT says", flush=True)
http.server.HTTPServer(("", 9999), http.server.BaseHTTPRequestHandler).serve_forever()
PY
zip_dir "$T_DIR/deaf" "$T_DIR/deaf.zip"
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$DEAF" -F "tag=$DEAF:1" -F runtime=default -F "file=@$T_DIR/deaf.zip"
check "its deploy ends" wait_for "deploy end" 120 build_done "$DEAF"
err=$(field "$DEAF" .build.error)
check_contains "the failure names the port it waited on" "$err" "nothing answered HTTP on port 8080"
check_contains "and asks about \$PORT" "$err" '$PORT'
check_contains "and carries its last output" "$err" "serving on 9999 whatever PORT says"

# --- job functions by name, wherever a functionId is taken ----------------------------------------
JOB=$T_PREFIX-job
mkdir -p "$T_DIR/job" && echo 'print("job by name")' >"$T_DIR/job/main.py"
zip_dir "$T_DIR/job" "$T_DIR/job.zip"
http POST "$F_URL/api/submit" "${AUTH[@]}" -F "code=@$T_DIR/job.zip" -F "name=$JOB"
check_eq "submitted" "$H_STATUS" 200
ID=$(json .functionId)
http GET "$F_URL/api/execute?functionId=$JOB" "${AUTH[@]}"
check_eq "execute by name (GET)" "$H_STATUS $(json .output)" "200 job by name"
http POST "$F_URL/api/execute" "${AUTH[@]}" -H 'Content-Type: application/json' -d "{\"functionId\":\"$JOB\"}"
check_eq "execute by name (POST)" "$H_STATUS $(json .output)" "200 job by name"
check "executedAt is Unix seconds" test "$(json .executedAt)" -le "$(now)" -a "$(json .executedAt)" -gt 1700000000
http GET "$F_URL/api/functions/$JOB" "${AUTH[@]}"
check_eq "get by name" "$H_STATUS $(json .functionId)" "200 $ID"
http GET "$F_URL/api/functions/$JOB/invocations" "${AUTH[@]}"
check_eq "invocations by name" "$H_STATUS $(json length)" "200 2"
check "invocation startedAt is Unix seconds" test "$(json '.[0].startedAt')" -le "$(now)" -a "$(json '.[0].startedAt')" -gt 1700000000
http DELETE "$F_URL/api/functions/$JOB" "${AUTH[@]}"
check_eq "delete by name" "$H_STATUS" 200
http GET "$F_URL/api/functions/$ID" "${AUTH[@]}"
check_eq "gone" "$H_STATUS" 404

http POST "$F_URL/api/submit" "${AUTH[@]}" -F "code=@$T_DIR/job.zip" -F "name=$JOB"
IMAGE=$(json .imageId)
http DELETE "$F_URL/function/delete/$JOB" "${AUTH[@]}"
check_eq "a job deleted through /function/delete" "$H_STATUS $H_BODY" '200 {"message":"Deleted"}'
check "goes as a job: its image too" bash -c "! docker image inspect $IMAGE"

for fn in "$SVC" "$DEAF"; do http DELETE "$F_URL/function/delete/$fn" "${AUTH[@]}"; done
faas_stop
check_eq "stops cleanly" "$F_RC" 0
t_done
