#!/usr/bin/env bash
# jobs.sh: job functions (seed 002) against the real engine: the seed's own client calls
# (notes/seed-systems.md B.8) with the passkey, Python and Go submits, execute with input,
# stdout and stderr in order, exit codes, the timeout (container killed and removed), the
# concurrency limit (429), bad input answered 4xx with nothing made, the sandbox seen from
# inside, invocation records and their caps, a restart, leftovers after kill -9, and delete.
. "$(dirname "$0")/lib.sh"
MKZIP="python3 $(dirname "$0")/mkzip.py"

faas_start_docker jobs 'limits = { max_file_size = "1m", max_unpacked_size = "16m", run_timeout = "4s",' \
    '  containers = 2, memory = "96m", pids = 64, cpus = "0.5" }' || exit 1
AUTH=(-H "Authorization: $F_KEY")
HELLO=$T_PREFIX-hello
now() { date +%s; }
uuid_like() { grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$1"; }
job_containers() { docker ps -aq --filter "label=faas.kind=job" --filter "name=^${T_PREFIX}-"; }
# Execution containers still there after their call: one made for a call (faas.invocation), or one
# started ahead that no longer waits in faas-start. Waiting ones belong to the pool (limits.warm).
leftover_runs() {
    local id
    docker ps -aq --filter "label=faas.invocation" --filter "name=^${T_PREFIX}-"
    for id in $(docker ps -q --filter "label=faas.warm=1" --filter "name=^${T_PREFIX}-"); do
        docker top "$id" -o pid,args 2>/dev/null | grep -Eq '^ *[0-9]+ +/\.faas-start ' || echo "$id"
    done
}
no_job_containers() { [ -z "$(leftover_runs)" ]; }

# job DIR FILE CONTENT...: writes FILE in DIR (one line per argument), then DIR.zip of DIR.
job() {
    local dir=$T_DIR/$1 file=$2; shift 2
    mkdir -p "$dir"
    printf '%s\n' "$@" >"$dir/$file"
    zip_dir "$dir" "$dir.zip"
}
submit() { local zip=$1; shift; http POST "$F_URL/api/submit" "${AUTH[@]}" -F "code=@$zip" "$@"; }
execute() { http POST "$F_URL/api/execute" "${AUTH[@]}" -H 'Content-Type: application/json' -d "$1"; }

# --- the seed's calls, B.8 --------------------------------------------------------------------
job hello main.py 'import os' 'print("Hello, " + os.environ.get("NAME","World") + "!")'
submit "$T_DIR/hello.zip" -F "name=$HELLO"
check_eq "submit: 200 after the build" "$H_STATUS" 200
check_eq "submit: message" "$(json .message)" "Function '$HELLO' deployed successfully"
ID=$(json .functionId)
check "submit: functionId is a UUID" uuid_like "$ID"
IMAGE=$(json .imageId)
check "submit: imageId is sha256:..." grep -Eq '^sha256:[0-9a-f]{64}$' <<<"$IMAGE"
check_eq "submit: the detection says why" "$(json .detection)" "python: found main.py"
check_eq "the image is labelled a job of this function" \
    "$(docker image inspect -f '{{index .Config.Labels "faas.kind"}} {{index .Config.Labels "faas.function"}} {{index .Config.Labels "faas.managed"}}' "$IMAGE")" \
    "job $HELLO 1"

t0=$(now)
http GET "$F_URL/api/execute?functionId=$ID" "${AUTH[@]}"
check_eq "execute GET: 200" "$H_STATUS" 200
check_eq "execute GET: output" "$(json .output)" "Hello, World!"
check_eq "execute GET: statusCode and exitCode" "$(json '[.statusCode,.exitCode] | @json')" "[200,0]"
check "execute GET: executedAt is now (Unix seconds)" test "$(json .executedAt)" -ge "$t0" -a "$(json .executedAt)" -le "$(now)"
check "execute GET: durationMs is a number" test "$(json '.durationMs | type')" = number
check "execute GET: invocationId is a UUID" uuid_like "$(json .invocationId)"
FIRST_INV=$(json .invocationId)
execute "{\"functionId\":\"$ID\",\"input\":{\"name\":\"John\"}}"
check_eq "execute POST with input" "$H_STATUS $(json .output)" "200 Hello, John!"
execute "{\"functionId\":\"$ID\",\"input\":{\"name\":42}}"
check_eq "a number is accepted as input (the seed refused it)" "$H_STATUS $(json .output)" "200 Hello, 42!"
check "no execution container is left" no_job_containers

http GET "$F_URL/api/functions" "${AUTH[@]}"
check_eq "list: the function, its fields in the seed's shape" \
    "$(json "[.[] | select(.functionId == \"$ID\") | [.name, .imageId, .language, (.createdAt|type), (.lastExecuted >= $t0)]] | @json")" \
    "[[\"$HELLO\",\"$IMAGE\",\"python\",\"number\",true]]"
http GET "$F_URL/api/functions/$ID" "${AUTH[@]}"
check_eq "get: 200 with its name" "$H_STATUS $(json .name)" "200 $HELLO"
check "get: lastExecuted updated" test "$(json .lastExecuted)" -ge "$t0"
http GET "$F_URL/health"
check_eq "health: public, docker ok" "$H_STATUS $(json .docker)" "200 ok"

http GET "$F_URL/api/submit" "${AUTH[@]}"
check_eq "GET /api/submit: 405" "$H_STATUS $(json .code)" "405 405"
check_contains "405 says what is allowed" "$(json .error)" "Method not allowed"
http GET "$F_URL/api/execute" "${AUTH[@]}"
check_eq "execute without an id: 400" "$H_STATUS $(json .error)" "400 Missing function ID"
http GET "$F_URL/api/execute?functionId=nope" "${AUTH[@]}"
check_eq "execute unknown id: 404" "$H_STATUS $(json .error) $(json .details)" "404 Function not found function not found: nope"
http GET "$F_URL/api/functions/" "${AUTH[@]}"
check_eq "/api/functions/: 400" "$H_STATUS $(json .error)" "400 Invalid function path"
http PUT "$F_URL/api/functions/$ID" "${AUTH[@]}"
check_eq "PUT /api/functions/id: 405" "$H_STATUS" 405
http PATCH "$F_URL/api/execute" "${AUTH[@]}"
check_eq "PATCH /api/execute: 405" "$H_STATUS" 405
http DELETE "$F_URL/api/functions/$ID/invocations" "${AUTH[@]}"
check_eq "DELETE on invocations: 405" "$H_STATUS" 405
http GET "$F_URL/api/functions/nope" "${AUTH[@]}"
check_eq "get unknown: 404" "$H_STATUS $(json .details)" "404 function not found: nope"
http GET "$F_URL/api/functions" 
check_eq "the job routes need the passkey" "$H_STATUS $(json .error)" "401 unauthorized"
http GET "$F_URL/api/execute?functionId=$ID" -H "Authorization: Bearer wrong"
check_eq "a wrong passkey runs nothing" "$H_STATUS" 401

# --- bad input: a clear 4xx and nothing made ----------------------------------------------------
images_before=$(docker images -q --filter "label=faas.kind=job" | sort -u | wc -l)
bad_exec() { execute "$2"; check_eq "$1: 400" "$H_STATUS" 400; [ -n "${3:-}" ] && check_contains "$1: says why" "$(json .details)" "$3"; }
bad_exec "input nested" "{\"functionId\":\"$ID\",\"input\":{\"a\":{\"b\":1}}}" "must be a string, a number or a boolean"
bad_exec "input an array" "{\"functionId\":\"$ID\",\"input\":[1]}" "input must be a JSON object"
bad_exec "input overriding PATH" "{\"functionId\":\"$ID\",\"input\":{\"path\":\"/x\"}}" "would set PATH"
bad_exec "input overriding LD_PRELOAD" "{\"functionId\":\"$ID\",\"input\":{\"LD_PRELOAD\":\"/x.so\"}}" "would set LD_PRELOAD"
bad_exec "input overriding the handler" "{\"functionId\":\"$ID\",\"input\":{\"faas_handler\":\"x\"}}" "would set FAAS_HANDLER"
bad_exec "two keys for one name" "{\"functionId\":\"$ID\",\"input\":{\"a-b\":1,\"A_B\":2}}" "both become A_B"
bad_exec "an empty key" "{\"functionId\":\"$ID\",\"input\":{\"\":1}}"
bad_exec "a body that is not JSON" "{\"functionId\":" "not a JSON object"
bad_exec "a JSON array body" "[1,2]"
bad_exec "no functionId" "{\"input\":{}}" "'functionId' field is required"
bad_exec "a functionId that is not a string" "{\"functionId\":7}"
http POST "$F_URL/api/execute" "${AUTH[@]}"
check_eq "an empty body: 400" "$H_STATUS $(json .details)" "400 the body is empty"
check "no container was made for bad input" no_job_containers

printf 'just notes\n' >"$T_DIR/notes.txt"
submit "$T_DIR/notes.txt"
check_eq "submit a non-zip: 400" "$H_STATUS $(json .error)" "400 Invalid zip file"
http POST "$F_URL/api/submit" "${AUTH[@]}" -F "name=x"
check_eq "submit without code: 400" "$H_STATUS $(json .error)" "400 Failed to retrieve zip file"
http POST "$F_URL/api/submit" "${AUTH[@]}" -H 'Content-Type: application/json' -d '{}'
check_eq "submit not multipart: 400" "$H_STATUS" 400
submit "$T_DIR/hello.zip" -F "name=Not_A_Label"
check_eq "submit a bad name: 400" "$H_STATUS $(json .error)" "400 Invalid function name"
head -c 1500000 /dev/urandom >"$T_DIR/big.bin"
(cd "$T_DIR" && zip -q -0 big.zip big.bin)
submit "$T_DIR/big.zip"
check_eq "a zip over limits.max_file_size: 413" "$H_STATUS $(json .error)" "413 File too large"
job nohandler README.md 'nothing to run'
submit "$T_DIR/nohandler.zip"
check_eq "no handler: 400" "$H_STATUS $(json .error)" "400 Failed to detect handler file"
check_contains "no handler: says what it looked for" "$(json .details)" "expected main.py, handler.py, go.mod or main.go"
for kind in slip absolute symlink; do
    $MKZIP $kind "$T_DIR/$kind.zip"
    submit "$T_DIR/$kind.zip" -F "name=$T_PREFIX-$kind"
    check_eq "a $kind zip: 400, the same answer as a service upload" "$H_STATUS $(json .error)" "400 Invalid zip file"
done
printf 'not a zip' >"$T_DIR/text.zip"
submit "$T_DIR/text.zip"
check_eq "not a zip: the same answer as a service upload" "$H_STATUS $(json '[.error, .details] | @json')" \
    '400 ["Invalid zip file","not a zip file"]'
$MKZIP bomb "$T_DIR/bomb.zip"
submit "$T_DIR/bomb.zip" -F "name=$T_PREFIX-bomb"
check_eq "a zip bomb: 413, not unpacked" "$H_STATUS $(json .details)" "413 zip unpacks to more than 16777216 bytes"
check_contains "the slip names its entry" "$(submit "$T_DIR/slip.zip"; json .details)" "../../evil.txt"
check_eq "no image was built for bad input" "$(docker images -q --filter "label=faas.kind=job" | sort -u | wc -l)" "$images_before"
check_eq "and no record made" "$(curl -s "${AUTH[@]}" "$F_URL/api/functions" | jq length)" 1

# --- output order, exit codes, big output ----------------------------------------------------------
job order main.py 'import sys' 'for i in range(40):' '    print("out", i)' '    print("err", i, file=sys.stderr)' 'sys.exit(3)'
submit "$T_DIR/order.zip" -F "name=$T_PREFIX-order"
ORDER=$(json .functionId)
http GET "$F_URL/api/execute?functionId=$ORDER" "${AUTH[@]}"
check_eq "a non-zero exit: 500" "$H_STATUS $(json .error) $(json .exitCode) $(json .statusCode)" "500 Function execution failed 3 500"
want=$(for i in $(seq 0 39); do echo "out $i"; echo "err $i"; done)
check_eq "stdout and stderr come back in the order written" "$(json .output)" "$want"
check "the failed run has an invocation id" uuid_like "$(json .invocationId)"
FAILED_INV=$(json .invocationId)

job big main.py 'import sys' 'sys.stdout.write("x" * 100000 + "\n")'
submit "$T_DIR/big.zip" -F "name=$T_PREFIX-big"
BIG=$(json .functionId)
http GET "$F_URL/api/execute?functionId=$BIG" "${AUTH[@]}"
check_eq "100 kB of output comes back whole" "$H_STATUS $(json '.output | length')" "200 100001"
http GET "$F_URL/api/invocations/$(json .invocationId)" "${AUTH[@]}"
check_eq "the record keeps the first 64 KiB" "$(json '.output | length')" 65536

# --- the sandbox, seen from inside ------------------------------------------------------------------
job sandbox main.py \
    'import os, socket' \
    'st = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())' \
    'print("uid", os.getuid())' \
    'print("caps", st["CapEff"].strip(), st["CapBnd"].strip())' \
    'print("nonewprivs", st["NoNewPrivs"].strip())' \
    'print("nets", sorted(os.listdir("/sys/class/net")))' \
    'try:' \
    '    socket.create_connection(("10.0.0.1", 80), timeout=1); print("net open")' \
    'except OSError as e: print("net closed")' \
    'try:' \
    '    open("/app/x", "w"); print("root writable")' \
    'except OSError: print("root read-only")' \
    'open("/tmp/x", "w").write("ok"); print("tmp", open("/tmp/x").read())' \
    'def cg(v2, v1):' \
    '    for p in ("/sys/fs/cgroup/" + v2, "/sys/fs/cgroup/" + v1):' \
    '        if os.path.exists(p): return open(p).read().strip()' \
    'print("pids", cg("pids.max", "pids/pids.max"))' \
    'print("memory", cg("memory.max", "memory/memory.limit_in_bytes"))' \
    'print("cpu", cg("cpu.max", "cpu/cpu.cfs_quota_us"))' \
    'print("pid1", open("/proc/1/cmdline").read().split("\0")[0])' \
    'print("input mounted", os.path.isdir("/.faas-input"))'
submit "$T_DIR/sandbox.zip" -F "name=$T_PREFIX-sandbox"
SANDBOX=$(json .functionId)
# The first call makes its container; later ones find one started ahead (limits.warm): same sandbox.
waiting() { docker ps -q --filter "label=faas.warm=1" --filter "label=faas.function=$1"; }
has_waiting() { [ -n "$(waiting "$1")" ]; }
for how in "made for the call" "started ahead"; do
    [ "$how" = "started ahead" ] && mounted=True || mounted=False
    [ "$how" = "started ahead" ] && check "a container waits for the next call" \
        wait_for "warm sandbox" 20 has_waiting "$T_PREFIX-sandbox"
    http GET "$F_URL/api/execute?functionId=$SANDBOX" "${AUTH[@]}"
    out=$(json .output)
    check_eq "sandbox ($how): ran" "$H_STATUS" 200
    check_contains "sandbox ($how): runs as nobody" "$out" "uid 65534"
    check_contains "sandbox ($how): no capabilities" "$out" "caps 0000000000000000 0000000000000000"
    check_contains "sandbox ($how): no new privileges" "$out" "nonewprivs 1"
    check_contains "sandbox ($how): only loopback" "$out" "nets ['lo']"
    check_contains "sandbox ($how): no network" "$out" "net closed"
    check_contains "sandbox ($how): read-only root" "$out" "root read-only"
    check_contains "sandbox ($how): /tmp writable" "$out" "tmp ok"
    check_contains "sandbox ($how): pids limit from the policy" "$out" "pids 64"
    check_contains "sandbox ($how): memory limit from the policy" "$out" "memory 100663296"
    check "sandbox ($how): cpu limit from the policy" grep -Eq '^cpu (50000 100000|50000)$' <<<"$out"
    check_contains "sandbox ($how): an init is PID 1" "$out" "pid1 /sbin/docker-init"
    check_contains "sandbox ($how): the input folder is there only when started ahead" "$out" "input mounted $mounted"
done

# No call sees another's state: each finds a fresh /tmp, whichever way its container came.
job fresh main.py 'import os' 'seen = os.path.exists("/tmp/mark")' 'open("/tmp/mark", "w").write("x")' \
    'print("seen" if seen else "fresh", os.environ.get("N", "-"))'
submit "$T_DIR/fresh.zip" -F "name=$T_PREFIX-fresh"
FRESH=$(json .functionId)
outs=""
for i in 1 2 3 4 5 6; do
    execute "{\"functionId\":\"$FRESH\",\"input\":{\"n\":$i}}"
    outs="$outs$(json .output);"
done
check_eq "every call starts from a clean container, with its own input only" "$outs" \
    "fresh 1;fresh 2;fresh 3;fresh 4;fresh 5;fresh 6;"
check "at most limits.warm containers wait per function" test "$(waiting "$T_PREFIX-fresh" | wc -l)" -le 2

# --- Go ---------------------------------------------------------------------------------------------
GOFN=$T_PREFIX-go
job go main.go 'package main' 'import ("fmt"; "os")' \
    'func main() { fmt.Println("go says", os.Getenv("WHO")); fmt.Fprintln(os.Stderr, "to stderr"); os.Exit(len(os.Getenv("FAIL"))) }'
submit "$T_DIR/go.zip" -F "name=$GOFN"
check_eq "go: submit 200" "$H_STATUS $(json .language) $(json .detection)" "200 go go: found main.go"
GOID=$(json .functionId)
check_eq "go: the image holds two files, no shell" \
    "$(docker image inspect -f '{{.Config.Cmd}}' "$(json .imageId)")" "[/run]"
execute "{\"functionId\":\"$GOID\",\"input\":{\"who\":\"gopher\"}}"
check_eq "go: runs with input" "$H_STATUS $(json .output)" "200 go says gopher
to stderr"
execute "{\"functionId\":\"$GOID\",\"input\":{\"fail\":\"xx\"}}"
check_eq "go: exit code" "$H_STATUS $(json .exitCode)" "500 2"
job gomod go.mod 'module example.com/hello' '' 'go 1.19'
printf 'package main\nimport "example.com/hello/greet"\nfunc main() { greet.Hi() }\n' >"$T_DIR/gomod/main.go"
mkdir -p "$T_DIR/gomod/greet"
printf 'package greet\nimport "fmt"\nfunc Hi() { fmt.Println("hi from a package") }\n' >"$T_DIR/gomod/greet/greet.go"
zip_dir "$T_DIR/gomod" "$T_DIR/gomod.zip"
submit "$T_DIR/gomod.zip" -F "name=$T_PREFIX-gomod"
check_eq "go module with a package: 200" "$H_STATUS $(json .detection)" "200 go: found go.mod"
http GET "$F_URL/api/execute?functionId=$(json .functionId)" "${AUTH[@]}"
check_eq "go module runs" "$(json .output)" "hi from a package"
job gobad main.go 'package main' 'func main() { undefined_call() }'
submit "$T_DIR/gobad.zip" -F "name=$T_PREFIX-gobad"
check_eq "a failed build: 500" "$H_STATUS $(json .error)" "500 Failed to build Docker image"
check_contains "with the log's end in details" "$(json .details)" "undefined: undefined_call"
leftovers() { docker images -q --filter dangling=true --filter "label=faas.function=$1"; }
check_eq "the build stage of a Go build is not left behind" "$(leftovers "$GOFN")" ""
check_eq "nor the steps of a failed build" "$(leftovers "$T_PREFIX-gobad")" ""
http GET "$F_URL/api/functions" "${AUTH[@]}"
check_eq "a failed first build makes no record" "$(json "[.[] | select(.name == \"$T_PREFIX-gobad\")] | length")" 0

# --- resubmit keeps the id, replaces the image; no name makes one ------------------------------------
job hello main.py 'print("hello v2")'
submit "$T_DIR/hello.zip" -F "name=$HELLO"
check_eq "resubmit: same functionId" "$H_STATUS $(json .functionId)" "200 $ID"
check "resubmit: a new image" test "$(json .imageId)" != "$IMAGE"
check_eq "resubmit: no container of the old image waits" "$(docker ps -aq --filter "ancestor=$IMAGE")" ""
check "resubmit: the old image is removed" wait_for "old image gone" 10 bash -c "! docker image inspect $IMAGE"
IMAGE=$(json .imageId)
http GET "$F_URL/api/execute?functionId=$ID" "${AUTH[@]}"
check_eq "resubmit: runs the new code" "$(json .output)" "hello v2"
submit "$T_DIR/order.zip"
check "no name: one is made" grep -Eq '^fn-[0-9a-f]{8}$' <<<"$(json .name)"
ANON=$(json .functionId)
ANON_IMAGE=$(json .imageId)
check_eq "and it is named in the message" "$(json .message)" "Function '$(json .name)' deployed successfully"

# --- the concurrency limit and the timeout -----------------------------------------------------------
job slow main.py 'import time' 'print("started", flush=True)' 'time.sleep(30)'
submit "$T_DIR/slow.zip" -F "name=$T_PREFIX-slow"
SLOW=$(json .functionId)
SLOW_PIDS=()
for i in 1 2; do
    curl -s -o "$T_DIR/slow.$i" -w '%{http_code}' "${AUTH[@]}" "$F_URL/api/execute?functionId=$SLOW" >"$T_DIR/slow.$i.code" &
    SLOW_PIDS+=($!)
done
# Running executions are the containers where python runs (a waiting one runs only faas-start).
executing() {
    local id n=0
    for id in $(docker ps -q --filter "label=faas.function=$T_PREFIX-slow"); do
        docker top "$id" 2>/dev/null | grep -q python3 && n=$((n + 1))
    done
    [ "$n" -ge "$1" ]
}
check "two slow executions run" wait_for "two executions" 20 executing 2
http GET "$F_URL/api/execute?functionId=$ID" "${AUTH[@]}"
check_eq "a third one: 429" "$H_STATUS $(json .error)" "429 Too many executions"
check_contains "429 with Retry-After" "$H_HEADERS" "retry-after: 1"
wait "${SLOW_PIDS[@]}"
check_eq "past limits.run_timeout: 504" "$(cat "$T_DIR/slow.1.code") $(cat "$T_DIR/slow.2.code")" "504 504"
H_BODY=$(cat "$T_DIR/slow.1")
check_eq "504: the error and the output so far" "$(json .error) | $(json .output)" "Function execution timed out | started"
check "504: killed near the limit" test "$(json .durationMs)" -ge 4000 -a "$(json .durationMs)" -lt 15000
TIMEOUT_INV=$(json .invocationId)
check "the killed containers are removed" no_job_containers
http GET "$F_URL/api/invocations/$TIMEOUT_INV" "${AUTH[@]}"
check_eq "the timeout is recorded" "$(json .status) $(json .exitCode)" "timeout 137"
http GET "$F_URL/api/execute?functionId=$ID" "${AUTH[@]}"
check_eq "after them, executions run again" "$H_STATUS" 200

# --- invocation records --------------------------------------------------------------------------
http GET "$F_URL/api/functions/$ORDER/invocations" "${AUTH[@]}"
check_eq "invocations of a function" "$H_STATUS $(json length)" "200 1"
check_eq "a record's fields" "$(json '.[0] | [.invocationId, .functionId, .exitCode, .status, (.startedAt|type), (.durationMs|type)] | @json')" \
    "[\"$FAILED_INV\",\"$ORDER\",3,\"failed\",\"number\",\"number\"]"
http GET "$F_URL/api/invocations/$FIRST_INV" "${AUTH[@]}"
check_eq "one invocation by id" "$H_STATUS $(json .output)" "200 Hello, World!"
http GET "$F_URL/api/invocations/nope" "${AUTH[@]}"
check_eq "an unknown invocation: 404" "$H_STATUS $(json .error)" "404 Invocation not found"
http GET "$F_URL/api/functions/nope/invocations" "${AUTH[@]}"
check_eq "invocations of an unknown function: 404" "$H_STATUS" 404
# 101 more runs of hello: the oldest fall off at 100 kept, newest first.
seq 1 101 | xargs -P 2 -I{} curl -s -o /dev/null "${AUTH[@]}" -H 'Content-Type: application/json' \
    -d "{\"functionId\":\"$ID\"}" "$F_URL/api/execute"
http GET "$F_URL/api/functions/$ID/invocations?limit=1000" "${AUTH[@]}"
check_eq "at most 100 invocations are kept" "$(json length)" 100
check_eq "newest first" "$(json '[.[].startedAt] | . == (sort | reverse)')" true
http GET "$F_URL/api/invocations/$FIRST_INV" "${AUTH[@]}"
check_eq "the oldest was dropped" "$H_STATUS" 404
http GET "$F_URL/api/functions/$ID/invocations?limit=3" "${AUTH[@]}"
check_eq "?limit=3" "$(json length)" 3

# --- restart: metadata survives; kill -9 mid-run leaves no container -----------------------------
check "containers wait for the next calls" has_waiting "$HELLO"
faas_stop TERM
check_eq "faas stops cleanly" "$F_RC" 0
check_eq "a clean stop removes the containers started ahead" "$(job_containers)" ""
faas_run jobs || exit 1
http GET "$F_URL/api/functions/$ID" "${AUTH[@]}"
check_eq "after a restart the function is there" "$H_STATUS $(json .name) $(json .imageId)" "200 $HELLO $IMAGE"
http GET "$F_URL/api/execute?functionId=$GOID" "${AUTH[@]}"
check_eq "and runs" "$H_STATUS $(json .output)" "200 go says 
to stderr"
http GET "$F_URL/api/functions/$ORDER/invocations" "${AUTH[@]}"
check_eq "and its invocations are kept" "$(json '.[0].invocationId')" "$FAILED_INV"
curl -s -o /dev/null "${AUTH[@]}" "$F_URL/api/execute?functionId=$SLOW" &
CURL=$!
check "a slow run is under way" wait_for "slow execution" 20 executing 1
faas_stop KILL
wait "$CURL"
check "kill -9 leaves the running container behind" executing 1
faas_run jobs || exit 1
check_eq "the next start removes every execution container" "$(job_containers)" ""

# --- delete ------------------------------------------------------------------------------------
http DELETE "$F_URL/api/functions/$ID" "${AUTH[@]}"
check_eq "delete: 200 and the seed's message" "$H_STATUS $(json .message)" "200 Function $ID deleted successfully"
check "delete: the image is removed" bash -c "! docker image inspect $IMAGE"
check_eq "delete: no container of it waits" "$(waiting "$HELLO")" ""
http GET "$F_URL/api/functions/$ID" "${AUTH[@]}"
check_eq "delete: gone" "$H_STATUS" 404
http GET "$F_URL/api/functions/$ID/invocations" "${AUTH[@]}"
check_eq "delete: its invocations are gone" "$H_STATUS" 404
http GET "$F_URL/api/invocations/$TIMEOUT_INV" "${AUTH[@]}"
check_eq "another function's invocations stay" "$H_STATUS" 200
http DELETE "$F_URL/api/functions/$ID" "${AUTH[@]}"
check_eq "delete again: 404" "$H_STATUS" 404
http DELETE "$F_URL/api/functions/$ANON" "${AUTH[@]}"
check "delete the generated one" test "$H_STATUS" = 200
check "its image too" bash -c "! docker image inspect $ANON_IMAGE"

# --- the pool follows the policy: idle containers expire, warm = 0 starts none (SIGHUP reload) --
for i in 1 2; do http GET "$F_URL/api/execute?functionId=$FRESH" "${AUTH[@]}"; done
check "the fresh function has containers waiting" wait_for "waiting" 20 has_waiting "$T_PREFIX-fresh"
echo 'limits.warm_idle = "1s"' >>"$F_DIR/faas.conf.lua"
kill -HUP "$F_PID"
no_waiting() { [ -z "$(docker ps -q --filter "label=faas.warm=1" --filter "name=^${T_PREFIX}-")" ]; }
check "unused past limits.warm_idle, they are removed" wait_for "expiry" 30 no_waiting
echo 'limits.warm = 0' >>"$F_DIR/faas.conf.lua"
kill -HUP "$F_PID"
reloads() { [ "$(grep -c 'info  reloaded' "$F_LOG")" -ge "$1" ]; }
check "the reload is applied" wait_for "reload" 10 reloads 2
for i in 1 2 3; do execute "{\"functionId\":\"$FRESH\",\"input\":{\"n\":$i}}"; done
check_eq "with limits.warm = 0 calls still run" "$H_STATUS $(json .output)" "200 fresh 3"
check_eq "and no container is started ahead" "$(docker ps -aq --filter "label=faas.warm=1" --filter "name=^${T_PREFIX}-")" ""

# --- a build past limits.build_timeout is stopped and reported -----------------------------------
echo 'limits.build_timeout = "1s"' >>"$F_DIR/faas.conf.lua"
kill -HUP "$F_PID"
check "the reload is applied" wait_for "reload" 10 reloads 3
job slowbuild main.go 'package main' 'import ("fmt"; "net/http"; "net/http/httptest")' \
    'func main() { s := httptest.NewServer(http.NotFoundHandler()); fmt.Println(s.URL) }'
submit "$T_DIR/slowbuild.zip" -F "name=$T_PREFIX-slowbuild"
check_eq "a build past limits.build_timeout: 504" "$H_STATUS $(json .error)" "504 Build timed out"
check_eq "and no record" "$(curl -s "${AUTH[@]}" "$F_URL/api/functions" | jq "[.[] | select(.name == \"$T_PREFIX-slowbuild\")] | length")" 0
no_build_left() { [ -z "$(docker ps -aq --filter "label=faas.function=$T_PREFIX-slowbuild")" ]; }
check "the build is stopped: none of its containers stays" wait_for "build stopped" 30 no_build_left

faas_stop TERM
check_eq "faas exits 0" "$F_RC" 0
t_done
