#!/usr/bin/env bash
# cli_ops.sh: the faas client's day-two commands against the real server and engine. deploy
# streams the build log as Docker writes it (seen on stderr while the build still runs), ends
# with "faas: build <id> succeeded", waits until the new revision serves, prints the URL and the
# times (upload, build, start), --json parses; revisions (table and --json, the current marked);
# rollback under load with zero failed requests and no build, forward again by number, an
# unknown revision (exit 1, one line); logs -f shows a line written after it started, logs
# --build, logs --build -f ends by itself with the outcome; keys: a read key lists but cannot
# deploy (one line naming deploy), key ls never shows a key, a revoked key fails at once. No
# control characters in any output when it is not a terminal.
. "$(dirname "$0")/lib.sh"

FAAS_BIN=$(realpath "$FAAS_BIN")
faas_start_docker ops || exit 1
export HOME=$T_DIR/home # the client's login file lives here
mkdir -p "$HOME"
unset FAAS_URL FAAS_KEY
FN=$T_PREFIX-ops
HOST=$FN.localhost
RT=$T_PREFIX-slow
BUILD_SLEEP=4 # seconds the runtime's build step takes after its marker line
OUTS=()       # every output file, for the control-character check at the end

CLI() { "$FAAS_BIN" "$@"; }
# sanitizer_free FILE: in a sanitizer build a report fails the test, whatever the exit code.
sanitizer_free() {
    if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1"; then
        fail "sanitizer report in $1" "$(grep -m3 -E "Sanitizer|runtime error:" "$1")"
    fi
}
# run NAME CMD...: runs the client, stdout to $T_DIR/NAME.out, stderr to NAME.err; RC its exit code.
run() {
    local name=$1; shift
    CLI "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err"; RC=$?
    OUTS+=("$T_DIR/$name.out" "$T_DIR/$name.err")
    sanitizer_free "$T_DIR/$name.err"
}
out() { cat "$T_DIR/$1.out"; }
err() { cat "$T_DIR/$1.err"; }
lines() { wc -l <"$1" | tr -d ' '; }
no_controls() { ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$1"; }
ms() { echo $(($(date +%s%N) / 1000000)); }
answer() { curl -s --max-time 5 -H "Host: $HOST" "$F_URL/"; }
images() { docker images -q --filter "label=faas.function=$FN" | sort -u | wc -l; }

echo "$F_KEY" | CLI login "$F_URL" >/dev/null 2>&1
check "login" test -s "$HOME/.config/faas/config"

# A runtime whose build prints a marker, then takes BUILD_SLEEP seconds: the marker on the
# client's stderr while the build goes on shows the log streams (the version in the marker
# keeps Docker's cache from skipping the step).
cat >"$T_DIR/Dockerfile.slow" <<EOF
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN echo "stream-marker \$(cat /app/version)" && sleep $BUILD_SLEEP
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
CMD ["python3", "main.py"]
EOF
run rt runtime add "$RT" "$T_DIR/Dockerfile.slow"
check_eq "runtime add: exit 0" "$RC" 0

# app VERSION: answers "VERSION" on GET, prints a coloured start line with a bell (for the
# control-character checks) and "request PATH" per request.
app() {
    local d=$T_DIR/$1
    mkdir -p "$d"
    echo "$1-$T_PREFIX-$RANDOM" >"$d/version"
    cat >"$d/main.py" <<PY
import os, http.server
print("\x1b[32mstarted-$1\x1b[0m \x07ready", flush=True)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"$1\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        print("request", self.path, flush=True)
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), H).serve_forever()
PY
}
app v1
app v2

# --- 1. deploy: the build log as it comes, the URL, the times ------------------------------------
CLI deploy "$T_DIR/v1" --name "$FN" --runtime "$RT" -t 300 >"$T_DIR/d1.out" 2>"$T_DIR/d1.err" &
DPID=$!
T_PIDS+=("$DPID")
OUTS+=("$T_DIR/d1.out" "$T_DIR/d1.err")
if wait_for "the build's marker on deploy's stderr" 120 grep -q "^stream-marker v1-" "$T_DIR/d1.err"; then
    pass "deploy: the build step's output on stderr"
    if kill -0 "$DPID" 2>/dev/null && ! grep -q "faas: built " "$T_DIR/d1.err"; then
        pass "deploy: ... while the build still runs (streamed, not at the end)"
    else
        fail "deploy: ... while the build still runs (streamed, not at the end)" "deploy ended or the build was done"
    fi
else
    fail "deploy: the build step's output on stderr" "$(tail -n 5 "$T_DIR/d1.err")"
fi
wait "$DPID"; RC=$?
sanitizer_free "$T_DIR/d1.err"
echo "---- deploy stdout"; cat "$T_DIR/d1.out"; echo "---- deploy stderr (last lines)"; tail -n 4 "$T_DIR/d1.err"
check_eq "deploy: exit 0" "$RC" 0
BUILD1=$(fn_status "$FN" .build.id)
check_eq "deploy: stderr ends with the build's outcome" "$(tail -n 1 "$T_DIR/d1.err")" "faas: build $BUILD1 succeeded"
check_contains "deploy: stderr holds Docker's build output" "$(err d1)" "Step 1/"
check "deploy: stderr says the image was built" \
    grep -q 'faas: built sha256:' "$T_DIR/d1.err"
check_eq "deploy: the record serves the build" "$(fn_status "$FN" .build.status)" succeeded
check_eq "deploy: the new version answers once deploy returned" "$(answer)" v1
URL=$(fn_status "$FN" .url)
check "the record has a url" test -n "$URL" -a "$URL" != null
check_eq "deploy: prints the record's url" "$(grep '^url ' "$T_DIR/d1.out" | awk '{print $2}')" "$URL"
TIMES=$(grep -E "^$FN deployed in [0-9.]+s: upload [0-9.]+s, build [0-9.]+s, start [0-9.]+s$" "$T_DIR/d1.out")
check "deploy: prints the times (upload, build, start)" test -n "$TIMES"
read -r T_ALL T_UP T_BUILD T_START < <(echo "$TIMES" | sed -E 's/.* in ([0-9.]+)s: upload ([0-9.]+)s, build ([0-9.]+)s, start ([0-9.]+)s/\1 \2 \3 \4/')
echo "deploy v1: total ${T_ALL:-?}s, upload ${T_UP:-?}s, build ${T_BUILD:-?}s, start ${T_START:-?}s"
check "deploy: the build time holds the ${BUILD_SLEEP}s build step" \
    awk -v b="${T_BUILD:-0}" -v s="$BUILD_SLEEP" 'BEGIN { exit !(b >= s - 0.1) }'
check "deploy: the parts add up to the total" \
    awk -v a="${T_ALL:-0}" -v u="${T_UP:-9}" -v b="${T_BUILD:-9}" -v s="${T_START:-9}" 'BEGIN { d = a - u - b - s; exit !(d < 0.35 && d > -0.35) }'

run d2 deploy "$T_DIR/v2" --name "$FN" -t 300 --json
check_eq "deploy --json: exit 0" "$RC" 0
check "deploy --json: stdout parses" jq -e . "$T_DIR/d2.out"
BUILD2=$(jq -r .build.id "$T_DIR/d2.out")
check_eq "deploy --json: the record, its build succeeded" "$(jq -r '"\(.name) \(.build.status)"' "$T_DIR/d2.out")" "$FN succeeded"
check_eq "deploy --json: its url" "$(jq -r .url "$T_DIR/d2.out")" "$URL"
check_eq "deploy --json: its revision" "$(jq -r .revision "$T_DIR/d2.out")" 2
check "deploy --json: a new build" test "$BUILD2" != "$BUILD1" -a "$BUILD2" != null
check_eq "deploy --json: the build log still on stderr, the outcome last" "$(tail -n 1 "$T_DIR/d2.err")" "faas: build $BUILD2 succeeded"
check_contains "deploy --json: the runtime was kept (its build step ran)" "$(err d2)" "stream-marker v2-"
check_eq "v2 answers" "$(answer)" v2

# --- 2. revisions and rollback ---------------------------------------------------------------------
run rv revisions "$FN"
check_eq "revisions: exit 0" "$RC" 0
check_contains "revisions: a header" "$(head -n 1 "$T_DIR/rv.out")" REVISION
check_eq "revisions: two rows" "$(tail -n +2 "$T_DIR/rv.out" | grep -cE '^ *[0-9]+ ')" 2
check "revisions: 2 is marked current" bash -c "grep -E '^ *2 ' '$T_DIR/rv.out' | grep -q '\\*'"
check "revisions: 1 is not" bash -c "! grep -E '^ *1 ' '$T_DIR/rv.out' | grep -q '\\*'"
run rvj revisions "$FN" --json
check "revisions --json parses" jq -e . "$T_DIR/rvj.out"
check_eq "revisions: the image as its short id" "$(awk '$1 == 2 { print $2 }' "$T_DIR/rv.out")" \
    "$(jq -r '.[] | select(.revision == 2) | .imageId' "$T_DIR/rvj.out" | sed 's/^sha256://' | cut -c 1-12)"
check_eq "revisions --json: 2 then 1, 2 current" "$(jq -r '[.[] | "\(.revision):\(.current)"] | join(",")' "$T_DIR/rvj.out")" "2:true,1:false"

IMAGES=$(images)
rm -f "$T_DIR/stop"
: >"$T_DIR/load.log"
load() {
    local end=$((SECONDS + 120)) r b
    for _ in $(seq 1 3000); do
        { [ -e "$T_DIR/stop" ] || [ $SECONDS -ge $end ]; } && break
        r=$(curl -s --max-time 10 -H "Host: $HOST" -w ' %{http_code}' "$F_URL/" 2>/dev/null)
        b=${r% *}
        echo "${r##* } ${b//$'\n'/}" >>"$T_DIR/load.log" # "200 v1"
    done
}
load &
LOAD=$!
T_PIDS+=("$LOAD")
wait_for "load running" 10 bash -c "[ \$(wc -l <'$T_DIR/load.log') -ge 3 ]"
T0=$(ms)
run rb1 rollback "$FN"
T1=$(ms)
echo "faas rollback (to revision 1): $((T1 - T0)) ms"
check_eq "rollback: exit 0" "$RC" 0
check_contains "rollback: says so" "$(out rb1)" "$FN rolled back"
check_eq "rollback: v1 answers at once" "$(answer)" v1
wait_for "a few requests after" 10 bash -c "[ \$(grep -c ' v1$' '$T_DIR/load.log') -ge 3 ]"
touch "$T_DIR/stop"
wait "$LOAD"
echo "load: $(wc -l <"$T_DIR/load.log") requests through the rollback"
check_eq "rollback: zero failed requests under load" "$(grep -vc '^200 ' "$T_DIR/load.log")" 0
check "rollback: the requests spanned it (v2 answered, then v1)" \
    bash -c "grep -q '^200 v2$' '$T_DIR/load.log' && tail -n 1 '$T_DIR/load.log' | grep -q '^200 v1$'"
check_eq "rollback: no build (the record's build is the same)" "$(fn_status "$FN" .build.id)" "$BUILD2"
check_eq "rollback: no new image" "$(images)" "$IMAGES"
check_eq "rollback: revision 1 is current" "$(fn_status "$FN" .revision)" 1

T0=$(ms)
run rb2 rollback "$FN" 2
T1=$(ms)
echo "faas rollback $FN 2: $((T1 - T0)) ms"
check_eq "rollback NAME 2: exit 0" "$RC" 0
check_eq "rollback NAME 2: v2 answers again" "$(answer)" v2
check_eq "rollback NAME 2: no build" "$(fn_status "$FN" .build.id)" "$BUILD2"
check_eq "rollback NAME 2: no new image" "$(images)" "$IMAGES"
run rv2 revisions "$FN" --json
check_eq "rollback NAME 2: 2 is current" "$(jq -c '[.[] | select(.current) | .revision]' "$T_DIR/rv2.out")" "[2]"

run rb9 rollback "$FN" 9
check_eq "rollback to a revision not kept: exit 1" "$RC" 1
check_eq "... one line on stderr" "$(lines "$T_DIR/rb9.err")" 1
check_contains "... naming the cause" "$(err rb9)" "revision 9"
check_eq "... nothing on stdout" "$(out rb9)" ""
check_eq "... v2 still serves" "$(answer)" v2

# --- 3. logs: follow, the build log ----------------------------------------------------------------
CLI logs "$FN" -f >"$T_DIR/lf.out" 2>"$T_DIR/lf.err" &
LPID=$!
T_PIDS+=("$LPID")
OUTS+=("$T_DIR/lf.out" "$T_DIR/lf.err")
# The start line is in the log already: once it is printed, the follow is under way.
check "logs -f: prints what the function wrote" wait_for "start line in logs -f" 20 grep -q "started-v2" "$T_DIR/lf.out"
MARK=/after-follow-$RANDOM$RANDOM
check_eq "a request after the follow started" "$(curl -s --max-time 5 -H "Host: $HOST" "$F_URL$MARK")" v2
check "logs -f: shows the line the function printed after it started" \
    wait_for "the request's line in logs -f" 20 grep -q "request $MARK" "$T_DIR/lf.out"
check "logs -f: still following" kill -0 "$LPID"
kill -TERM "$LPID" 2>/dev/null
wait "$LPID"
sanitizer_free "$T_DIR/lf.err"
check_contains "logs -f: the text around the escapes kept" "$(cat "$T_DIR/lf.out")" "started-v2 ready"

run lb logs "$FN" --build
check_eq "logs --build: exit 0" "$RC" 0
check_contains "logs --build: the build log" "$(out lb)" "stream-marker v2-"
check_contains "logs --build: Docker's output" "$(out lb)" "Step 1/"
T0=$(ms)
timeout 60 "$FAAS_BIN" logs "$FN" --build -f >"$T_DIR/lbf.out" 2>"$T_DIR/lbf.err"; RC=$?
T1=$(ms)
OUTS+=("$T_DIR/lbf.out" "$T_DIR/lbf.err")
sanitizer_free "$T_DIR/lbf.err"
echo "logs --build -f on a finished build: $((T1 - T0)) ms"
check_eq "logs --build -f on a finished build: ends by itself, exit 0" "$RC" 0
check_eq "logs --build -f: the outcome is the last line" "$(tail -n 1 "$T_DIR/lbf.out")" "faas: build $BUILD2 succeeded"
check_contains "logs --build -f: the log before it" "$(cat "$T_DIR/lbf.out")" "stream-marker v2-"

# --- 4. keys ---------------------------------------------------------------------------------------
run kc key create reader read --json
check_eq "key create --json: exit 0" "$RC" 0
check "key create --json parses" jq -e . "$T_DIR/kc.out"
RKEY=$(jq -r .key "$T_DIR/kc.out")
check_eq "key create --json: name and scope" "$(jq -r '"\(.name) \(.scope)"' "$T_DIR/kc.out")" "reader read"
check "key create --json: the key" bash -c "[[ '$RKEY' == faas_* ]]"
as_reader() { FAAS_URL=$F_URL FAAS_KEY=$RKEY "$@"; }
as_reader run rls ls
check_eq "read key: ls exit 0" "$RC" 0
check_contains "read key: ls lists the function" "$(out rls)" "$FN"
as_reader run rdep deploy "$T_DIR/v2" --name "$FN" -t 60
check_eq "read key: deploy exits 1" "$RC" 1
check_eq "read key: deploy says why on one line" "$(lines "$T_DIR/rdep.err")" 1
check_contains "read key: ... the 403, naming the scope needed" "$(err rdep)" "faas: forbidden: this key has scope read; deploy needed"
check_eq "read key: no new build" "$(fn_status "$FN" .build.id)" "$BUILD2"
run kls key ls
check_eq "key ls: exit 0" "$RC" 0
check "key ls: reader with its scope" bash -c "grep -qE '^reader +read ' '$T_DIR/kls.out'"
check_not_contains "key ls: never the key" "$(out kls)$(err kls)" "$RKEY"
run klsj key ls --json
check "key ls --json parses" jq -e . "$T_DIR/klsj.out"
check_eq "key ls --json: reader read" "$(jq -r '.[] | select(.name == "reader") | .scope' "$T_DIR/klsj.out")" read
check_not_contains "key ls --json: never the key" "$(out klsj)" "$RKEY"
run krm key rm reader
check_eq "key rm: exit 0" "$RC" 0
T0=$(ms)
as_reader run rls2 ls
T1=$(ms)
check_eq "revoked key: ls exits 1" "$RC" 1
check_eq "revoked key: the bad-key line" "$(err rls2)" "faas: bad key (faas login URL)"
check "revoked key: at once ($((T1 - T0)) ms)" test $((T1 - T0)) -lt 5000

# --- 5. no control characters in what was printed ---------------------------------------------------
bad=""
for f in "${OUTS[@]}"; do no_controls "$f" || bad="$bad $(basename "$f")"; done
check_eq "no control characters in any output (${#OUTS[@]} files)" "$bad" ""

run rm rm "$FN"
check_eq "rm: exit 0" "$RC" 0
run rtrm runtime rm "$RT"
faas_stop
check_eq "faas exits 0" "$F_RC" 0
t_done
