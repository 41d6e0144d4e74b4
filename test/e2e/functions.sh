#!/usr/bin/env bash
# functions.sh: service functions against the real engine: deploy a Python service from a
# zip, reach it on its subdomain and on its loopback port, the seed program's own client
# calls (notes/seed-systems.md A.10), every bad upload answered 4xx with nothing left
# behind, and delete removing container, image, record and port.
. "$(dirname "$0")/lib.sh"
MKZIP="python3 $(dirname "$0")/mkzip.py"

faas_start_docker fn 'limits = { max_file_size = "1m", max_unpacked_size = "16m" }' || exit 1
AUTH=(-H "Authorization: $F_KEY")
WEB=$T_PREFIX-web
PORT=$(free_port)

# --- deploy, then the first request -----------------------------------------------------
py_service "$T_DIR/v1" v1
zip_dir "$T_DIR/v1" "$T_DIR/v1.zip"
t0=$(date +%s%N)
upload "$WEB" "$PORT" "$T_DIR/v1.zip" -F 'env=GREETING=hi' -F 'volume=./data:/data'
check_eq "upload answers 200 at once" "$H_STATUS" 200
check_eq "upload message" "$(json .message)" "Code uploaded, build process started"
check_eq "the record comes back building" "$(json .data.status)" building
check_eq "with its name" "$(json .data.name)" "$WEB"
check "and a build id" test -n "$(json .buildId)"
served() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $WEB.localhost" "$F_URL/")" = 200 ]; }
check "served on its subdomain" wait_for "first request" 120 served
t1=$(date +%s%N)
echo "upload to first served request: $(((t1 - t0) / 1000000)) ms"
check "the build succeeded" deployed "$WEB"
check_eq "status running" "$(fn_status "$WEB" .status)" running

out=$(curl -s -H "Host: $WEB.localhost" "$F_URL/hello/world?x=1&y=%20z")
check_contains "path and query reach the function unchanged" "$out" "v1 /hello/world?x=1&y=%20z "
check_contains "Host is preserved" "$out" "host=$WEB.localhost"
out=$(curl -s -H "Host: $WEB.localhost" -H "X-Forwarded-For: 6.6.6.6" "${AUTH[@]}" "$F_URL/")
check_contains "the client's X-Forwarded-For is replaced" "$out" "xff=127.0.0.1 "
check_contains "the passkey is not forwarded" "$out" "auth=None"
out=$(curl -s -H "Host: $WEB.localhost" -H "Authorization: Bearer app-token" "$F_URL/")
check_contains "another Authorization is forwarded" "$out" "auth=Bearer app-token"
check_contains "h2c through the proxy" "$(curl -s --http2-prior-knowledge -H "Host: $WEB.localhost" "$F_URL/h2")" "v1 /h2"
check_contains "Host with a port and upper case" "$(curl -s -H "Host: ${WEB^^}.localhost:8080" "$F_URL/p")" "v1 /p"
out=$(curl -s "http://127.0.0.1:$PORT/direct?q=1")
check_contains "served on its loopback port" "$out" "v1 /direct?q=1"
check_contains "whatever the Host on its port" "$(curl -s -H 'Host: other.example' "http://127.0.0.1:$PORT/")" "v1 /"
check_eq "a HEAD works" "$(curl -s -I -o /dev/null -w '%{http_code}' -H "Host: $WEB.localhost" "$F_URL/")" 200

# --- reading it back ------------------------------------------------------------------------
http GET "$F_URL/function/get/$WEB" "${AUTH[@]}"
check_eq "get: 200" "$H_STATUS" 200
check_eq "get: seed fields" "$(json '[.name,.tag,.runtime,.port,.volume] | @json')" "[\"$WEB\",\"$WEB:latest\",\"default\",$PORT,\"./data:/data\"]"
check "the volume's folder exists under data_dir" test -d "$F_DIR/data/volumes/$WEB/data"
check_eq "and is mounted at /data" "$(docker inspect -f '{{range .Mounts}}{{.Source}}:{{.Destination}}{{end}}' "$(fn_status "$WEB" .id)")" \
    "$(realpath "$F_DIR/data")/volumes/$WEB/data:/data"
check "get: id is the container id" test "$(json .id)" = "$(docker ps -q --no-trunc --filter "label=faas.function=$WEB")"
check_eq "get: env kept" "$(json .env.GREETING)" hi
check_eq "get: container_port default" "$(json .container_port)" 8080
check "get: functionId is a UUID" grep -Eq '^[0-9a-f-]{36}$' <<<"$(json .functionId)"
http GET "$F_URL/function/list" "${AUTH[@]}"
check_eq "list: keys" "$(json '.keys | @json')" "[\"$WEB\"]"
check_eq "list: functions" "$(json '.functions[0].name')" "$WEB"
http GET "$F_URL/function/listrunning" "${AUTH[@]}"
check_eq "listrunning: our container" "$(json "[.[] | select(.Labels[\"faas.function\"] == \"$WEB\")] | length")" 1
http GET "$F_URL/function/listinstalled" "${AUTH[@]}"
check_contains "listinstalled: our tag" "$H_BODY" "\"$WEB:latest\""
check_not_contains "listinstalled: not foreign images" "$H_BODY" "python:3.11-slim"
http GET "$F_URL/function/listinstalled?all=1" "${AUTH[@]}"
check_contains "listinstalled?all=1: every image" "$H_BODY" "python:3.11-slim"
http GET "$F_URL/function/logs/$WEB?source=build" "${AUTH[@]}"
check_eq "build log: 200" "$H_STATUS" 200
check_contains "build log: docker's steps" "$H_BODY" "Step 1/"
check_contains "build log: faas's own lines" "$H_BODY" "switching traffic"
check_contains "build log is text" "$H_HEADERS" "content-type: text/plain"
http GET "$F_URL/function/logs/$WEB" "${AUTH[@]}"
check_contains "container log: the requests" "$H_BODY" "request /hello/world"
http GET "$F_URL/function/get/nope-$T_PREFIX" "${AUTH[@]}"
check_eq "unknown name: 404 JSON" "$H_STATUS $(json .error)" "404 Function not found"
for route in "logs/NOPE" "start/-x" "get/a..b"; do
    http GET "$F_URL/function/$route" "${AUTH[@]}"
    check_eq "bad name in /function/$route: 404" "$H_STATUS" 404
done

# --- bad uploads: 4xx, and nothing left behind ---------------------------------------------
BAD=$T_PREFIX-bad
BADPORT=$(free_port)
py_service "$T_DIR/ok" ok
zip_dir "$T_DIR/ok" "$T_DIR/ok.zip"
for k in slip absolute symlink bomb windows; do $MKZIP $k "$T_DIR/$k.zip"; done
printf 'not a zip' >"$T_DIR/text.zip"
head -c 2000000 /dev/urandom >"$T_DIR/big.bin" && (cd "$T_DIR" && zip -q0 big.zip big.bin)
expect_refused() {
    local desc=$1 status=$2; shift 2
    http POST "$F_URL/function/upload" "${AUTH[@]}" "$@"
    if [ "$H_STATUS" = "$status" ] && [ "$(json .code)" = "$status" ]; then pass "$desc: $status"; else fail "$desc: $status" "got $H_STATUS $H_BODY"; fi
}
base=(-F "name=$BAD" -F "tag=$BAD:1" -F runtime=default -F "port=$BADPORT")
expect_refused "zip slip" 400 "${base[@]}" -F "file=@$T_DIR/slip.zip"
check_eq "zip slip: the one bad-zip answer" "$(json .error)" "Invalid zip file"
check_contains "names the entry" "$(json .details)" "../../evil.txt"
expect_refused "absolute path in the zip" 400 "${base[@]}" -F "file=@$T_DIR/absolute.zip"
expect_refused "windows path escaping" 400 "${base[@]}" -F "file=@$T_DIR/windows.zip"
expect_refused "symlink in the zip" 400 "${base[@]}" -F "file=@$T_DIR/symlink.zip"
expect_refused "zip bomb" 413 "${base[@]}" -F "file=@$T_DIR/bomb.zip"
expect_refused "not a zip" 400 "${base[@]}" -F "file=@$T_DIR/text.zip"
check_eq "not a zip: the one bad-zip answer" "$(json '[.error, .details] | @json')" '["Invalid zip file","not a zip file"]'
expect_refused "over MAX_FILE_SIZE" 413 "${base[@]}" -F "file=@$T_DIR/big.zip"
expect_refused "bad name" 400 -F "name=Bad_Name" -F "tag=x:1" -F runtime=default -F "port=$BADPORT" -F "file=@$T_DIR/ok.zip"
expect_refused "name of 64 characters" 400 -F "name=$(printf 'a%.0s' $(seq 64))" -F "tag=x:1" -F runtime=default \
    -F "port=$BADPORT" -F "file=@$T_DIR/ok.zip"
expect_refused "reserved port" 403 -F "name=$BAD" -F "tag=$BAD:1" -F runtime=default -F port=9001 -F "file=@$T_DIR/ok.zip"
check_contains "names the policy" "$(json .details)" "reserved_ports"
expect_refused "faas's own port" 403 -F "name=$BAD" -F "tag=$BAD:1" -F runtime=default -F "port=${F_URL##*:}" -F "file=@$T_DIR/ok.zip"
expect_refused "port out of range" 400 -F "name=$BAD" -F "tag=$BAD:1" -F runtime=default -F port=70000 -F "file=@$T_DIR/ok.zip"
expect_refused "port of another function" 409 -F "name=$BAD" -F "tag=$BAD:1" -F runtime=default -F "port=$PORT" -F "file=@$T_DIR/ok.zip"
check_contains "names the function" "$(json .error)" "$WEB"
held=$(free_port)
python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$held)); s.listen(); time.sleep(60)" &
holder=$!
listening() { ss -ltnH "( sport = :$1 )" | grep -q .; }
wait_for "port held" 5 listening "$held"
expect_refused "port held by another process" 409 -F "name=$BAD" -F "tag=$BAD:1" -F runtime=default -F "port=$held" -F "file=@$T_DIR/ok.zip"
kill "$holder"
expect_refused "escaping volume" 403 "${base[@]}" -F "volume=../../etc:/data" -F "file=@$T_DIR/ok.zip"
expect_refused "absolute volume" 403 "${base[@]}" -F "volume=/etc:/data:ro" -F "file=@$T_DIR/ok.zip"
expect_refused "volume without a container side" 400 "${base[@]}" -F "volume=./data" -F "file=@$T_DIR/ok.zip"
expect_refused "missing fields" 400 -F "name=$BAD" -F "file=@$T_DIR/ok.zip"
check_eq "names the missing fields (port is optional)" "$(json .details)" "missing: tag, runtime"
expect_refused "unknown runtime" 404 -F "name=$BAD" -F "tag=$BAD:1" -F runtime=nope -F "port=$BADPORT" -F "file=@$T_DIR/ok.zip"
check_eq "the seed's message" "$(json .error)" "Runtime not found: nope"
expect_refused "foreign tag" 409 -F "name=$BAD" -F "tag=python:3.11-slim" -F runtime=default -F "port=$BADPORT" -F "file=@$T_DIR/ok.zip"
expect_refused "tag of another function" 409 -F "name=$BAD" -F "tag=$WEB:latest" -F runtime=default -F "port=$BADPORT" -F "file=@$T_DIR/ok.zip"
expect_refused "bad tag" 400 -F "name=$BAD" -F "tag=Bad:Tag:x" -F runtime=default -F "port=$BADPORT" -F "file=@$T_DIR/ok.zip"
expect_refused "env setting PORT" 400 "${base[@]}" -F 'env=PORT=1' -F "file=@$T_DIR/ok.zip"
expect_refused "not multipart" 400 -H 'Content-Type: application/json' -d '{"name":"x"}'
http GET "$F_URL/function/get/$BAD" "${AUTH[@]}"
check_eq "no record left behind" "$H_STATUS" 404
check_eq "no container left behind" "$(docker ps -aq --filter "label=faas.function=$BAD" | wc -l)" 0
check_eq "no image left behind" "$(docker images -q --filter "label=faas.function=$BAD" | wc -l)" 0
check "no port held" test -z "$(ss -ltnH "( sport = :$BADPORT )")"
check "nothing written outside faas's folders" test ! -e "$F_DIR/data/evil.txt" -a ! -e "/etc/evil.txt" -a ! -e "$T_DIR/evil.txt"
check_eq "still serving after all that" "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $WEB.localhost" "$F_URL/")" 200

# --- the seed program's own client calls (notes/seed-systems.md A.10) -----------------------
SEED=$T_PREFIX-e2e-testfn
SEEDPORT=$(free_port)
py_service "$T_DIR/seed" "hello from e2e test v1"
zip_dir "$T_DIR/seed" "$T_DIR/code.zip"
http POST "$F_URL/function/upload" -H "Authorization: $F_KEY" -F "name=$SEED" -F "tag=$SEED:latest" \
    -F runtime=default -F "port=$SEEDPORT" -F volume= -F "file=@$T_DIR/code.zip"
check_eq "seed: upload with an empty volume" "$H_STATUS" 200
http POST "$F_URL/function/upload" -H "Authorization: $F_KEY" -F name=x -F tag=x -F runtime=nope -F port=9005 -F "file=@$T_DIR/code.zip"
check_eq "seed: unknown runtime" "$H_STATUS $(json .error)" "404 Runtime not found: nope"
check "seed: built" deployed "$SEED"
check_contains "seed: proxied with the key the seed's client sends" \
    "$(curl -s -H "Authorization: $F_KEY" -H "Host: $SEED.example.com" "$F_URL/")" "hello from e2e test v1 / "
check_contains "seed: direct container access" "$(curl -s "http://127.0.0.1:$SEEDPORT/")" "hello from e2e test v1"
http DELETE "$F_URL/function/delete/$SEED" -H "Authorization: $F_KEY"
check_eq "seed: delete" "$H_STATUS $H_BODY" '200 {"message":"Deleted"}'
http DELETE "$F_URL/function/delete/$SEED" -H "Authorization: $F_KEY"
check_eq "seed: delete again" "$H_STATUS $(json .error)" "404 Function not found"

# --- a zip of a folder, and the build log while the build runs ------------------------------
NEST=$T_PREFIX-nested
$MKZIP nested "$T_DIR/nested.zip"
http POST "$F_URL/runtime/upload/$T_PREFIX-slow" "${AUTH[@]}" -F "file=@-;filename=Dockerfile" <<<$'FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN echo slow-step-started && sleep 4
CMD ["python3", "main.py"]'
check_eq "a slow runtime" "$H_STATUS" 200
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$NEST" -F "tag=$NEST:1" -F "runtime=$T_PREFIX-slow" \
    -F "port=$(free_port)" -F "file=@$T_DIR/nested.zip"
check_eq "upload of a zip made with zip -r fn.zip fn/" "$H_STATUS" 200
log_while_building() {
    [ "$(fn_status "$NEST" .build.status)" = building ] &&
        curl -s "${AUTH[@]}" "$F_URL/function/logs/$NEST?source=build" | grep -q slow-step-started
}
check "the build log is readable while the build runs" wait_for "log during the build" 60 log_while_building
check "the folder's build succeeds" deployed "$NEST"
check_eq "its files are at the top of the context (main.py found, static/ served)" \
    "$(curl -s -w ' %{http_code}' -H "Host: $NEST.localhost" "$F_URL/static/a.txt")" "a 200"
http DELETE "$F_URL/function/delete/$NEST" "${AUTH[@]}"
check_eq "delete it" "$H_STATUS" 200

# --- stop, start, delete ---------------------------------------------------------------------
http POST "$F_URL/function/stop/$WEB" "${AUTH[@]}"
check_eq "stop" "$H_STATUS $H_BODY" '200 {"message":"Stopped"}'
http GET "$F_URL/" -H "Host: $WEB.localhost"
check_eq "stopped: 503" "$H_STATUS" 503
check_not_contains "without Retry-After: it stays stopped until an operator starts it" "$H_HEADERS" "retry-after:"
http GET "$F_URL/function/stop/$WEB" "${AUTH[@]}"
check_eq "stop again, with the seed's GET: 200" "$H_STATUS $H_BODY" '200 {"message":"Stopped"}'
check_eq "stopped on its port too" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" 503
http GET "$F_URL/function/start/$WEB" "${AUTH[@]}"
check_eq "start" "$H_STATUS $H_BODY" '200 {"message":"Started"}'
check_contains "serving again" "$(curl -s -H "Host: $WEB.localhost" "$F_URL/again")" "v1 /again"
http GET "$F_URL/function/start/$WEB" "${AUTH[@]}"
check_eq "start when running: 200, nothing changes" "$H_STATUS $H_BODY" '200 {"message":"Started"}'
http POST "$F_URL/function/stop/$WEB" "${AUTH[@]}"
docker rm -f "$(fn_status "$WEB" .id)" >/dev/null
http POST "$F_URL/function/start/$WEB" "${AUTH[@]}"
check_eq "start when its container is gone: recreated" "$H_STATUS $H_BODY" '200 {"message":"Started"}'
check_contains "serving from the new container" "$(curl -s -H "Host: $WEB.localhost" "$F_URL/re")" "v1 /re"
check_eq "one container" "$(docker ps -aq --filter "label=faas.function=$WEB" | wc -l)" 1
http GET "$F_URL/function/listrunning?all=1" "${AUTH[@]}"
check "listrunning?all=1: every running container" test "$(json length)" -ge 1
cid=$(fn_status "$WEB" .id)
img=$(fn_status "$WEB" .imageId)
http DELETE "$F_URL/function/delete/$WEB" "${AUTH[@]}"
check_eq "delete" "$H_STATUS" 200
check "container removed" test -z "$(docker ps -aq --no-trunc --filter "id=$cid")"
check "image removed" bash -c "! docker image inspect '$img' >/dev/null 2>&1"
check_eq "tag removed" "$(docker images -q "$WEB:latest" | wc -l)" 0
check_eq "record removed" "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$F_URL/function/get/$WEB")" 404
check "port released" wait_for "port closed" 10 bash -c "! curl -s -o /dev/null http://127.0.0.1:$PORT/"
http GET "$F_URL/" -H "Host: $WEB.localhost"
check_eq "its subdomain: 404 Function not found" "$H_STATUS $(json .error)" "404 Function not found"
http GET "$F_URL/function/list" -H "Host: $WEB.localhost"
check_eq "an API path on it falls through to the API (passkey needed)" "$H_STATUS" 401
check "its volume's folder is kept" test -d "$F_DIR/data/volumes/$WEB/data"

faas_stop TERM
check_eq "exit 0" "$F_RC" 0
check_eq "no container of this test left" "$(docker ps -aq --filter "name=^$T_PREFIX-" | wc -l)" 0
t_done
