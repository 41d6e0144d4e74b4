#!/usr/bin/env bash
# access_log.sh: the JSON access log against the real binary and engine. access_log = "access.log"
# (relative to data_dir): one line per request, each a JSON object with exactly the documented
# fields; function traffic names its function, replica and upstream time with the status the
# client got (200 and 404 from the function), API calls have function null (a 401 included);
# a request that woke its function has wake_ms; after logrotate's rename and SIGUSR1 the next
# lines go to a new file and none to the old one; access_log = true writes the lines to stderr.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

faas_start_docker alog 'access_log = "access.log"' 'scale = { pause_after = "2s", stop_after = "1h" }' || exit 1
FN=$T_PREFIX-al
PORT=$(free_port)
LOG=$F_DIR/data/access.log
check "the access log file is made under data_dir" test -f "$LOG"

py_expr_service "$T_DIR/app" '"x" * 9' # 10 bytes with the newline
zip_dir "$T_DIR/app" "$T_DIR/app.zip"
upload "$FN" "$PORT" "$T_DIR/app.zip"
check_eq "upload" "$H_STATUS" 200
check "deployed" deployed "$FN"

call() { curl -s -o /dev/null --max-time 40 -H "Host: $FN.localhost" "$F_URL$1"; }
# lines FILE PREFIX: the lines of FILE whose path starts with PREFIX.
lines() { $PY -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except Exception:
        continue
    if o.get("path", "").startswith(sys.argv[2]):
        n += 1
print(n)' "$1" "$2" 2>/dev/null; }
is_paused() { [ "$(fn_status "$FN" '.replicas[0].state')" = paused ]; }
has_lines() { [ "$(lines "$1" "$2")" -ge "$3" ]; }

for i in 1 2 3 4 5; do call "/al-ok-$i"; done
for i in 1 2; do call "/al-missing-$i"; done
http GET "$F_URL/function/get/$FN?al-api=1" -H "Authorization: $F_KEY"
http GET "$F_URL/function/list?al-api=2"
check_eq "the unauthenticated call: 401" "$H_STATUS" 401
check "7 function lines" wait_for "7 function lines" 10 has_lines "$LOG" /al- 7
check "2 API lines" wait_for "2 API lines" 10 has_lines "$LOG" /function/ 2

# Every line: a JSON object with exactly the fields; the ones of this test checked one by one.
report=$($PY - "$LOG" "$FN" <<'PY'
import json, sys
fields = {"time", "client", "host", "method", "path", "proto", "status", "bytes", "duration_ms", "function",
          "replica", "upstream_ms", "wake_ms"}
fn = sys.argv[2]
out = []
for i, line in enumerate(open(sys.argv[1])):
    try:
        o = json.loads(line)
    except Exception as e:
        out.append("line %d is not JSON: %r" % (i + 1, line[:200])); continue
    if not isinstance(o, dict) or set(o) != fields:
        out.append("line %d fields: %s" % (i + 1, sorted(o) if isinstance(o, dict) else o)); continue
    p = o["path"]
    if not (isinstance(o["duration_ms"], (int, float)) and o["duration_ms"] >= 0 and o["method"] in ("GET", "POST")
            and o["client"] == "127.0.0.1" and o["proto"] == "HTTP/1.1" and o["time"].endswith("Z")):
        out.append("line %d: %s" % (i + 1, line.strip()))
    if p.startswith("/al-"):
        want = 404 if p.startswith("/al-missing") else 200
        ok = (o["function"] == fn and o["status"] == want and o["host"] == fn + ".localhost" and o["bytes"] == 10
              and isinstance(o["replica"], str) and ":" in o["replica"] and isinstance(o["upstream_ms"], (int, float)))
        out.append(("fn-ok " if ok else "fn-bad ") + line.strip())
    elif "al-api=" in p:
        want = 200 if "al-api=1" in p else 401
        ok = (o["function"] is None and o["status"] == want and o["replica"] is None and o["upstream_ms"] is None
              and o["wake_ms"] is None and o["bytes"] > 0)
        out.append(("api-ok " if ok else "api-bad ") + line.strip())
print("\n".join(out))
PY
)
check_eq "7 function lines, each right" "$(grep -c '^fn-ok ' <<<"$report")" 7
check_eq "2 API lines (200 and 401), function null" "$(grep -c '^api-ok ' <<<"$report")" 2
check_eq "no other complaint about any line" "$(grep -v -e '^fn-ok ' -e '^api-ok ' <<<"$report")" ""

# --- a woken request has wake_ms ------------------------------------------------------------------
check "$FN pauses when idle" wait_for "$FN paused" 30 is_paused
call /al-wake
check "the woken request's line" wait_for "the woken request's line" 10 has_lines "$LOG" /al-wake 1
wake=$($PY -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["path"] == "/al-wake":
        print(o["status"], type(o["wake_ms"]).__name__, o["function"])' "$LOG")
check_eq "the woken request: 200, wake_ms a number" "$wake" "200 int $FN"

# --- logrotate: rename, SIGUSR1, the next lines in a new file --------------------------------------
mv "$LOG" "$LOG.1"
kill -USR1 "$F_PID"
check "the file reopened" wait_for "the file reopened" 10 test -f "$LOG"
for i in 1 2 3; do call "/al-after-$i"; done
check "3 lines in the new file" wait_for "3 lines in the new file" 10 has_lines "$LOG" /al-after- 3
check_eq "the new file has exactly the 3 new lines" "$(lines "$LOG" /al-after-)" 3
check_eq "the old file got none of them" "$(lines "$LOG.1" /al-after-)" 0
check_eq "the old file kept the earlier ones" "$(lines "$LOG.1" /al-ok-)" 5
faas_stop
check_eq "clean exit" "$F_RC" 0
check "faas logged the reopen" grep -q "access_log: reopened" "$F_LOG"

# --- access_log = true: stderr ------------------------------------------------------------------------
faas_start stderr 'access_log = true' || exit 1
http GET "$F_URL/health"
check "a /health line on stderr" wait_for "a /health line on stderr" 10 grep -q '"path":"/health"' "$F_LOG"
check_eq "the /health line: 200, function null" \
    "$(grep '"path":"/health"' "$F_LOG" | head -1 | jq -r '[.status, (.function | tostring)] | @tsv')" "200	null"
faas_stop
check_eq "clean exit" "$F_RC" 0

t_done
