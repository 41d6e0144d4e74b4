#!/usr/bin/env bash
# runtimes.sh: the runtime routes of seed 000 on the real faas: the built-in runtimes on first
# start; upload, list, show, replace, delete; the seed's client calls (notes/seed-systems.md
# A.10) with their shapes, 401 and 403; the built-ins refused to upload over and to delete
# (403, nothing changed); 404 where the seed crashed; 400 for every bad upload and 413 over
# MAX_FILE_SIZE, with nothing left behind; data kept across a restart; a Dockerfile removed by
# hand (a built-in's restored at the next start); the server alive after all of it.
. "$(dirname "$0")/lib.sh"

MAX_FILE_SIZE=4096 faas_start main || exit 1
RT_DIR=$F_DIR/data/runtimes
AUTH=(-H "Authorization: $F_KEY")
UUID_FILE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.dockerfile$'

# The files of the runtimes folder, one a line (what a failed upload must not change).
rt_files() { ls -A "$RT_DIR" | sort; }
# upload NAME FILE [CURL ARGS...]: POST /runtime/upload/NAME with FILE as the "file" part.
rt_upload() { local name=$1 file=$2; shift 2; http POST "$F_URL/runtime/upload/$name" "${AUTH[@]}" -F "file=@$file" "$@"; }
rt_list() { http GET "$F_URL/runtime/list" "${AUTH[@]}"; }
rt_show() { http GET "$F_URL/runtime/show/$1" "${AUTH[@]}"; }
rt_delete() { http DELETE "$F_URL/runtime/delete/$1" "${AUTH[@]}"; }

# --- the built-ins exist on first start ------------------------------------------------------
rt_list
check_eq "first start: list" "$H_STATUS $H_BODY" '200 ["default","go","python"]'
check_contains "list is JSON" "$H_HEADERS" "content-type: application/json"
check_eq "three Dockerfiles on disk" "$(ls "$RT_DIR" | grep -Ec "$UUID_FILE")" 3
check_eq "runtimes folder is 0700" "$(stat -c %a "$RT_DIR")" 700
rt_show default
check_eq "show default: 200" "$H_STATUS" 200
check_eq "show default: name" "$(json .name)" default
check_contains "default is the Python HTTP service" "$(json .content)" \
    "$(printf 'FROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\nENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1\nCMD ["python3", "main.py"]')"
rt_show python
check_contains "python takes the HANDLER build arg" "$(json .content)" "ARG HANDLER=main.py"
check_contains "python runs the handler" "$(json .content)" 'CMD ["sh", "-c", "exec python3 \"$FAAS_HANDLER\" 2>&1"]'
rt_show go
check_contains "go builds a static binary" "$(json .content)" "CGO_ENABLED=0 go build -mod=\$mod -o /out/handler ."
check_contains "go runs from scratch" "$(json .content)" "$(printf 'FROM scratch\nCOPY --from=build /out/run /out/handler /\nCMD ["/run"]')"
check_contains "start-up log names the built-ins it created" "$(cat "$F_LOG")" "created the built-in runtime 'go'"

# --- the seed's client calls (A.10) ------------------------------------------------------------
printf 'FROM python:3-alpine\nCOPY . /app\nWORKDIR /app\nCMD ["python", "server.py"]\n' >"$T_DIR/Dockerfile"
http GET "$F_URL/runtime/list"
check_eq "list without the key: 401" "$H_STATUS $H_BODY" '401 {"error":"unauthorized","code":401}'
http GET "$F_URL/runtime/show/default"
check_eq "show without the key: 401" "$H_STATUS" 401
http DELETE "$F_URL/runtime/delete/go"
check_eq "delete without the key: 401" "$H_STATUS" 401
http POST "$F_URL/runtime/upload/sneaky" -F "file=@$T_DIR/Dockerfile"
check_eq "upload without the key: 401" "$H_STATUS" 401
http POST "$F_URL/runtime/upload/sneaky" -H "Authorization: nope" -F "file=@$T_DIR/Dockerfile"
check_eq "upload with a wrong key: 401" "$H_STATUS" 401
check_not_contains "nothing stored without the key" "$(rt_files)" "sneaky"
http OPTIONS "$F_URL/runtime/upload/x" -H 'Origin: http://x' -H 'Access-Control-Request-Method: POST'
check_eq "CORS preflight: 204" "$H_STATUS" 204

rt_upload e2e-runtime "$T_DIR/Dockerfile"
check_eq "upload: 200" "$H_STATUS" 200
check_eq "upload answers fileName and runtimeName only" "$(json 'keys | join(",")')" "fileName,runtimeName"
check_eq "runtimeName" "$(json .runtimeName)" e2e-runtime
file1=$(json .fileName)
check "fileName is <uuid>.dockerfile" grep -Eq "$UUID_FILE" <<<"$file1"
check "the file is in the runtimes folder" test -f "$RT_DIR/$file1"
check "the file holds the upload byte for byte" cmp -s "$RT_DIR/$file1" "$T_DIR/Dockerfile"
check_eq "no temp file left" "$(ls -A "$RT_DIR" | grep -c '\.tmp$')" 0
rt_list
check_eq "list, sorted" "$H_BODY" '["default","e2e-runtime","go","python"]'
rt_show e2e-runtime
check_eq "show: 200" "$H_STATUS" 200
check_eq "show answers name and content" "$(json 'keys | join(",")')" "content,name"
check "show: the content is the Dockerfile" cmp -s <(jq -j .content <<<"$H_BODY") "$T_DIR/Dockerfile"

# --- the built-ins: no upload over them, no delete (403, the reason in details) -----------------
rt_delete default
check_eq "delete default: 403" "$H_STATUS $(json .error) $(json .code)" "403 Cannot delete default runtime 403"
check_eq "delete default: details" "$(json .details)" "'default' is a built-in runtime and cannot be deleted"
before=$(rt_files)
for name in default python go; do
    rt_show $name
    show_before=$H_BODY
    rt_upload $name "$T_DIR/Dockerfile"
    check_eq "upload over $name: 403" "$H_STATUS $(json .error)" "403 Cannot overwrite built-in runtime"
    check_eq "upload over $name: details" "$(json .details)" \
        "'$name' is a built-in runtime and cannot be overwritten: upload the Dockerfile under another name"
    http POST "$F_URL/runtime/upload/$name" "${AUTH[@]}" -F "file=@/dev/null"
    check_eq "upload of an empty file over $name: still 403" "$H_STATUS" 403
    [ $name = default ] || { rt_delete $name; check_eq "delete $name: 403" "$H_STATUS $(json .error)" \
        "403 Cannot delete built-in runtime"; check_eq "delete $name: details" "$(json .details)" \
        "'$name' is a built-in runtime and cannot be deleted"; }
    rt_show $name
    check_eq "$name unchanged" "$H_STATUS $H_BODY" "200 $show_before"
done
check_eq "no file written or removed for the built-ins" "$(rt_files)" "$before"

# --- replace --------------------------------------------------------------------------------------
printf '# v2\nARG BASE=python:3-alpine\nFROM $BASE\nCMD ["python", "v2.py"]\n' >"$T_DIR/Dockerfile.v2"
rt_upload e2e-runtime "$T_DIR/Dockerfile.v2"
check_eq "replace: 200" "$H_STATUS" 200
file2=$(json .fileName)
check "replace writes a new file" test "$file1" != "$file2" -a -f "$RT_DIR/$file2"
rt_show e2e-runtime
check "show gives the new content" cmp -s <(jq -j .content <<<"$H_BODY") "$T_DIR/Dockerfile.v2"
rt_list
check_eq "replace keeps one entry" "$H_BODY" '["default","e2e-runtime","go","python"]'

# --- unknown names: 404 where the seed exited ---------------------------------------------------
rt_show no-such-runtime
check_eq "show unknown: 404" "$H_STATUS" 404
check_eq "show unknown: error" "$(json .error)" "Runtime not found"
check_eq "show unknown: details" "$(json .details)" "no runtime named 'no-such-runtime'"
rt_delete no-such-runtime
check_eq "delete unknown: 404" "$H_STATUS" 404
check_eq "delete unknown: error" "$(json .error)" "Runtime not found"
rt_show Bad_Name
check_eq "show of an impossible name: 404" "$H_STATUS" 404

# --- bad uploads: 400 / 413, and nothing left behind ---------------------------------------------
before=$(rt_files)
rt_list
list_before=$H_BODY
: >"$T_DIR/empty"
printf 'RUN echo hi\nFROM busybox\n' >"$T_DIR/notdocker"
printf 'FROM busybox\n\0\1\2binary' >"$T_DIR/binary"
{ echo 'FROM busybox'; for i in $(seq 1 100); do echo "# padding line $i, to pass the 4 KiB limit"; done; } >"$T_DIR/big"
{ echo 'FROM busybox'; head -c $((4096 - 13 - 1)) /dev/zero | tr '\0' '#'; echo; } >"$T_DIR/exact"
long_name=$(printf 'a%.0s' $(seq 1 64))

# bad_upload DESC STATUS DETAILS-SUBSTRING CURL ARGS...: the upload fails as told, and changes nothing.
bad_upload() {
    local desc=$1 status=$2 details=$3; shift 3
    http POST "$@"
    check_eq "$desc: $status" "$H_STATUS" "$status"
    check "$desc: details given" test -n "$(json .details)"
    [ -z "$details" ] || check_contains "$desc: details say why" "$(json .details)" "$details"
    check_eq "$desc: no file left behind" "$(rt_files)" "$before"
}
U=$F_URL/runtime/upload
bad_upload "no file part" 400 "no 'file' part" "$U/r1" "${AUTH[@]}" -F "other=@$T_DIR/Dockerfile"
check_eq "400 error message" "$(json .error)" "Invalid runtime upload"
bad_upload "empty file" 400 "the Dockerfile is empty" "$U/r1" "${AUTH[@]}" -F "file=@$T_DIR/empty"
bad_upload "not multipart (raw body)" 400 "multipart" "$U/r1" "${AUTH[@]}" -H 'Content-Type: text/plain' \
    --data-binary "@$T_DIR/Dockerfile"
bad_upload "not multipart (url-encoded form)" 400 "multipart" "$U/r1" "${AUTH[@]}" --data-urlencode "file@$T_DIR/Dockerfile"
bad_upload "no body at all" 400 "multipart" "$U/r1" "${AUTH[@]}"
bad_upload "multipart header, empty body" 400 "" "$U/r1" "${AUTH[@]}" -H 'Content-Type: multipart/form-data; boundary=xyz'
bad_upload "multipart body cut short" 400 "" "$U/r1" "${AUTH[@]}" -H 'Content-Type: multipart/form-data; boundary=xyz' \
    --data-binary $'--xyz\r\nContent-Disposition: form-data; name="file"; filename="D"\r\n\r\nFROM busybox\n'
bad_upload "name with upper case and _" 400 "invalid runtime name" "$U/Bad_Name" "${AUTH[@]}" -F "file=@$T_DIR/Dockerfile"
bad_upload "64-character name" 400 "invalid runtime name" "$U/$long_name" "${AUTH[@]}" -F "file=@$T_DIR/Dockerfile"
bad_upload "not a Dockerfile" 400 "not a Dockerfile: the first instruction must be FROM, but line 1 starts with RUN" \
    "$U/r1" "${AUTH[@]}" -F "file=@$T_DIR/notdocker"
bad_upload "binary file" 400 "NUL bytes" "$U/r1" "${AUTH[@]}" -F "file=@$T_DIR/binary"
bad_upload "over MAX_FILE_SIZE" 413 "more than the limit of 4096 bytes" "$U/r1" "${AUTH[@]}" -F "file=@$T_DIR/big"
check_eq "413 error message" "$(json .error)" "File too large"
rt_list
check_eq "no record after the failed uploads" "$H_BODY" "$list_before"
http GET "$U/r1" "${AUTH[@]}"
check_eq "GET on the upload route: 405" "$H_STATUS" 405
check_eq "a Dockerfile of exactly MAX_FILE_SIZE: 200" "$(stat -c %s "$T_DIR/exact") $(rt_upload exact "$T_DIR/exact"; echo "$H_STATUS")" "4096 200"

# --- HTTP/2 and a burst of concurrent uploads -------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code} %{http_version}' --http2-prior-knowledge "${AUTH[@]}" \
    -F "file=@$T_DIR/Dockerfile" "$F_URL/runtime/upload/over-h2")
check_eq "upload over h2c" "$code" "200 2"
pids=()
for i in $(seq 1 12); do
    curl -s -o "$T_DIR/burst.$i" -w '%{http_code}' "${AUTH[@]}" -F "file=@$T_DIR/Dockerfile" \
        "$F_URL/runtime/upload/burst-$((i % 3))" >"$T_DIR/burst.$i.code" &
    pids+=($!)
done
wait "${pids[@]}"
check_eq "12 concurrent uploads to 3 names: all 200" "$(cat "$T_DIR"/burst.*.code | tr -d '\n')" "$(printf '200%.0s' $(seq 1 12))"
rt_list
check_eq "each name once" "$H_BODY" '["burst-0","burst-1","burst-2","default","e2e-runtime","exact","go","over-h2","python"]'
rt_show burst-1
check "a burst runtime reads back whole" cmp -s <(jq -j .content <<<"$H_BODY") "$T_DIR/Dockerfile"

# --- delete ----------------------------------------------------------------------------------------
rt_delete e2e-runtime
check_eq "delete: 200" "$H_STATUS $H_BODY" '200 {"message":"Deleted"}'
check "its file is gone" test ! -e "$RT_DIR/$file2"
rt_show e2e-runtime
check_eq "show after delete: 404" "$H_STATUS" 404
rt_delete e2e-runtime
check_eq "delete again: 404" "$H_STATUS $(json .error)" "404 Runtime not found"

# --- restart: data survives; intact built-ins are left alone -----------------------------------------
rt_list
list_before=$H_BODY
rt_show burst-1
show_before=$H_BODY
rt_show python
python_before=$H_BODY
files_before=$(rt_files)
faas_stop TERM
check_eq "SIGTERM: exit 0" "$F_RC" 0
MAX_FILE_SIZE=4096 faas_run main || exit 1
rt_list
check_eq "after restart: list unchanged" "$H_BODY" "$list_before"
rt_show burst-1
check_eq "after restart: an uploaded runtime is kept" "$H_BODY" "$show_before"
check_eq "after restart: same files" "$(rt_files)" "$files_before"
check_not_contains "no built-in re-created on restart" "$(cat "$F_LOG")" "the built-in runtime"

# --- a built-in's Dockerfile removed by hand: restored at the next start ------------------------------
python_file=$(ls "$RT_DIR" | grep -E "$UUID_FILE" | while read -r f; do
    cmp -s <(jq -j .content <<<"$python_before") "$RT_DIR/$f" && echo "$f"; done)
check "python's file found" test -n "$python_file" -a -f "$RT_DIR/$python_file"
rm -f "$RT_DIR/$python_file"
rt_show python
check_eq "show python with its file removed: 404" "$H_STATUS $(json .details)" "404 runtime 'python' has no Dockerfile"
faas_stop TERM
check_eq "SIGTERM: exit 0" "$F_RC" 0
MAX_FILE_SIZE=4096 faas_run main || exit 1
rt_show python
check_eq "after restart: python is back" "$H_STATUS $H_BODY" "200 $python_before"
check "in a new file" test ! -e "$RT_DIR/$python_file"
check_contains "the start-up log says so" "$(cat "$F_LOG")" \
    "warn  runtimes: restored the built-in runtime 'python': its Dockerfile was missing or empty"
check_not_contains "the intact built-ins are left alone" "$(cat "$F_LOG")" "the built-in runtime 'go'"
rt_list
check_eq "after restart: list unchanged" "$H_BODY" "$list_before"

# --- a Dockerfile removed by hand ---------------------------------------------------------------------
rt_upload handmade "$T_DIR/Dockerfile"
rm -f "$RT_DIR/$(json .fileName)"
rt_show handmade
check_eq "show with its file removed by hand: 404" "$H_STATUS" 404
check_eq "details say so" "$(json .details)" "runtime 'handmade' has no Dockerfile"
rt_delete handmade
check_eq "it can still be deleted" "$H_STATUS" 200

# --- still alive ------------------------------------------------------------------------------------
check "faas still running" kill -0 "$F_PID"
rt_list
check_eq "still answering" "$H_STATUS" 200
check_not_contains "no sanitizer report in the log" "$(cat "$F_DIR"/out.log*)" "Sanitizer"
check_not_contains "no runtime error in the log" "$(cat "$F_DIR"/out.log*)" "runtime error:"
faas_stop TERM
check_eq "exit 0" "$F_RC" 0

t_done
