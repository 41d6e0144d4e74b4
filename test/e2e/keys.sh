#!/usr/bin/env bash
# keys.sh: named API keys (issue 12) against the real binary and engine: keys of each scope made
# with the passkey; a read key reads but cannot deploy or make keys (403 naming the scope needed),
# an invoke key runs a job and reads nothing, a deploy key uploads, stops, starts and runs, an
# admin key makes and revokes keys; GET /keys shows names, scopes and last use, never a key; a
# revoked key is refused at once; no key is forwarded to a function; bad requests get 400/409/413
# and change nothing; the key text is in neither the LMDB files nor the log (its SHA-256 is); keys
# and their scopes survive a restart.
. "$(dirname "$0")/lib.sh"

faas_start_docker keys 'limits = { warm = 0 }' || exit 1
PASS=(-H "Authorization: $F_KEY")
JOB=$T_PREFIX-job
WEB=$T_PREFIX-web
T0=$(date +%s)

# as KEY METHOD PATH [CURL ARGS...]: a request with that key (sets H_STATUS, H_BODY).
as() { local key=$1 method=$2 path=$3; shift 3; http "$method" "$F_URL$path" -H "Authorization: Bearer $key" "$@"; }
mkkey() { http POST "$F_URL/keys" "${PASS[@]}" -H 'Content-Type: application/json' -d "$1"; }
forbidden() { check_eq "$1" "$H_STATUS $(json .error) $(json .details)" "403 forbidden this key has scope $2; $3 needed"; }
keys_list() { curl -s "${PASS[@]}" "$F_URL/keys"; }

# --- making keys with the passkey ----------------------------------------------------------------
declare -A KEY
for scope in read invoke deploy admin unused; do
    want=$scope
    [ "$scope" = unused ] && want=read
    mkkey "{\"name\":\"k-$scope\",\"scope\":\"$want\"}"
    check_eq "POST /keys $scope: 201" "$H_STATUS" 201
    check_eq "POST /keys $scope: name and scope" "$(json '[.data.name, .data.scope] | @tsv')" "k-$scope	$want"
    check_eq "POST /keys $scope: shown once" "$(json .message)" "Key created; it is shown only once"
    check "POST /keys $scope: createdAt is now (Unix seconds)" test "$(json .data.createdAt)" -ge "$T0"
    KEY[$scope]=$(json .data.key)
    check "key $scope: faas_ and 43 base64url characters" grep -Eqx 'faas_[A-Za-z0-9_-]{43}' <<<"${KEY[$scope]}"
done
check_eq "each key is its own" "$(printf '%s\n' "${KEY[@]}" | sort -u | wc -l)" 5

# --- who am I ------------------------------------------------------------------------------------
for scope in read invoke deploy admin; do
    as "${KEY[$scope]}" GET /keys/self
    check_eq "GET /keys/self with the $scope key" "$H_STATUS $(json '[.data.name, .data.scope] | @tsv')" \
        "200 k-$scope	$scope"
done
http GET "$F_URL/keys/self" "${PASS[@]}"
check_eq "GET /keys/self with the passkey" "$H_STATUS $(json '[.data.name, .data.scope] | @tsv')" "200 passkey	admin"
as "faas_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" GET /function/list
check_eq "an unknown key: 401" "$H_STATUS $(json .error)" "401 unauthorized"
http GET "$F_URL/keys/self"
check_eq "no key: 401" "$H_STATUS $(json .error)" "401 unauthorized"

# --- a read key reads, and nothing more -----------------------------------------------------------
py_service "$T_DIR/web" v1
zip_dir "$T_DIR/web" "$T_DIR/web.zip"
as "${KEY[read]}" GET /function/list
check_eq "read key: GET /function/list 200" "$H_STATUS" 200
as "${KEY[read]}" POST /function/upload -F "name=$WEB" -F "tag=$WEB:1" -F runtime=default -F "file=@$T_DIR/web.zip"
forbidden "read key: POST /function/upload 403 naming deploy" read deploy
as "${KEY[read]}" POST /keys -H 'Content-Type: application/json' -d '{"name":"sneaky","scope":"admin"}'
forbidden "read key: POST /keys 403 naming admin" read admin
as "${KEY[read]}" GET /keys
forbidden "read key: GET /keys 403" read admin
as "${KEY[read]}" GET "/function/start/$WEB"
forbidden "read key: GET /function/start (it starts things) 403" read deploy
as "${KEY[read]}" GET "/api/execute?functionId=$JOB"
forbidden "read key: execute 403 naming invoke" read invoke
http GET "$F_URL/api/functions/$JOB" "${PASS[@]}"
check_eq "nothing was made by the refused requests" "$H_STATUS $(curl -s "${PASS[@]}" "$F_URL/function/list" | jq -c .keys)" \
    "404 []"

# --- a deploy key deploys, and runs what it deploys ------------------------------------------------
job() { mkdir -p "$T_DIR/job" && printf '%s\n' 'import os' 'print("Hello, " + os.environ.get("NAME","World") + "!")' \
    >"$T_DIR/job/main.py" && zip_dir "$T_DIR/job" "$T_DIR/job.zip"; }
job
as "${KEY[deploy]}" POST /api/submit -F "code=@$T_DIR/job.zip" -F "name=$JOB"
check_eq "deploy key: POST /api/submit 200" "$H_STATUS $(json .name)" "200 $JOB"
as "${KEY[deploy]}" POST /function/upload -F "name=$WEB" -F "tag=$WEB:1" -F runtime=default -F "file=@$T_DIR/web.zip"
check_eq "deploy key: POST /function/upload 200" "$H_STATUS" 200
check "the service serves" deployed "$WEB"
as "${KEY[deploy]}" POST "/function/stop/$WEB"
check_eq "deploy key: stop 200" "$H_STATUS $(json .message)" "200 Stopped"
as "${KEY[deploy]}" GET "/function/start/$WEB"
check_eq "deploy key: start 200" "$H_STATUS $(json .message)" "200 Started"
as "${KEY[deploy]}" POST /api/execute -H 'Content-Type: application/json' -d "{\"functionId\":\"$JOB\"}"
check_eq "deploy key: execute 200" "$H_STATUS $(json .output)" "200 Hello, World!"
head -c 300000 /dev/urandom >"$T_DIR/big.bin"
as "${KEY[deploy]}" POST /function/upload -F "name=$WEB" -F "tag=$WEB:1" -F runtime=default -F "file=@$T_DIR/big.bin"
check_eq "deploy key: a body past limits.max_unauth_body is read, not cut (a named key counts)" \
    "$H_STATUS $(json .error)" "400 Invalid zip file"
as "${KEY[deploy]}" POST /keys -H 'Content-Type: application/json' -d '{"name":"sneaky","scope":"read"}'
forbidden "deploy key: POST /keys 403 naming admin" deploy admin

# the read key again, now that there is something to read
as "${KEY[read]}" GET "/api/functions/$JOB"
check_eq "read key: GET /api/functions/<id> 200 (GET of a route whose DELETE needs deploy)" "$H_STATUS $(json .name)" "200 $JOB"
as "${KEY[read]}" DELETE "/api/functions/$JOB"
forbidden "read key: DELETE /api/functions/<id> 403 naming deploy" read deploy
as "${KEY[read]}" GET "/function/logs/$WEB?source=build"
check_eq "read key: logs 200" "$H_STATUS" 200

# --- an invoke key runs jobs only -------------------------------------------------------------------
as "${KEY[invoke]}" GET /function/list
forbidden "invoke key: GET /function/list 403 naming read" invoke read
as "${KEY[invoke]}" POST /api/execute -H 'Content-Type: application/json' -d "{\"functionId\":\"$JOB\",\"input\":{\"name\":\"Ada\"}}"
check_eq "invoke key: POST /api/execute 200" "$H_STATUS $(json .output)" "200 Hello, Ada!"
as "${KEY[invoke]}" GET "/api/execute?functionId=$JOB"
check_eq "invoke key: GET /api/execute 200" "$H_STATUS $(json .output)" "200 Hello, World!"
as "${KEY[invoke]}" POST /api/submit -F "code=@$T_DIR/job.zip" -F "name=$JOB"
forbidden "invoke key: POST /api/submit 403 naming deploy" invoke deploy

# --- function traffic never sees a key --------------------------------------------------------------
out=$(curl -s --max-time 10 -H "Host: $WEB.localhost" -H "Authorization: Bearer ${KEY[admin]}" "$F_URL/")
check_contains "a named key is not forwarded to the function" "$out" "auth=None"
out=$(curl -s --max-time 10 -H "Host: $WEB.localhost" -H "Authorization: Bearer app-token" "$F_URL/")
check_contains "another Authorization still is" "$out" "auth=Bearer app-token"

# --- an admin key makes and revokes keys; revocation is at once --------------------------------------
as "${KEY[admin]}" POST /keys -H 'Content-Type: application/json' -d '{"name":"temp","scope":"deploy"}'
check_eq "admin key: POST /keys 201" "$H_STATUS $(json .data.scope)" "201 deploy"
TEMP=$(json .data.key)
as "$TEMP" GET /function/list
check_eq "the new key works at once" "$H_STATUS" 200
as "${KEY[admin]}" GET /keys
check_contains "admin key: GET /keys lists it" "$(json '[.data[].name] | join(",")')" "temp"
as "${KEY[admin]}" DELETE /keys/temp
check_eq "admin key: DELETE /keys/temp" "$H_STATUS $(json .message)" "200 Key revoked"
as "$TEMP" GET /function/list
check_eq "the revoked key is refused by the next request" "$H_STATUS $(json .error)" "401 unauthorized"
as "$TEMP" GET /keys/self
check_eq "the revoked key is refused by /keys/self" "$H_STATUS" 401
as "${KEY[admin]}" DELETE /keys/temp
check_eq "DELETE again: 404" "$H_STATUS $(json .error)" "404 Key not found"

# --- GET /keys ---------------------------------------------------------------------------------------
http GET "$F_URL/keys" "${PASS[@]}"
check_eq "GET /keys: names and scopes, sorted" "$(json '[.data[] | .name + ":" + .scope] | join(",")')" \
    "k-admin:admin,k-deploy:deploy,k-invoke:invoke,k-read:read,k-unused:read"
check "GET /keys: the read key's lastUsedAt is now (Unix seconds)" \
    test "$(json '.data[] | select(.name == "k-read") | .lastUsedAt')" -ge "$T0" -a \
    "$(json '.data[] | select(.name == "k-read") | .lastUsedAt')" -le "$(date +%s)"
check_eq "GET /keys: an unused key's lastUsedAt is 0" "$(json '.data[] | select(.name == "k-unused") | .lastUsedAt')" 0
check_eq "GET /keys: only name, scope, createdAt, lastUsedAt" "$(json '[.data[] | keys | join(",")] | unique | join(";")')" \
    "createdAt,lastUsedAt,name,scope"
for scope in "${!KEY[@]}"; do
    check_not_contains "GET /keys does not show the $scope key" "$H_BODY" "${KEY[$scope]}"
done

# --- bad requests: 400 / 409 / 413 / 404, and nothing changes ------------------------------------------
before=$(keys_list)
bad() {
    local desc=$1 status=$2 field=$3; shift 3
    http POST "$F_URL/keys" "${PASS[@]}" -H 'Content-Type: application/json' "$@"
    check_eq "$desc: $status" "$H_STATUS" "$status"
    [ -n "$field" ] && check_contains "$desc: details name '$field'" "$(json .details)" "$field"
}
bad "bad JSON" 400 "JSON" -d '{"name":'
bad "a JSON array" 400 "JSON object" -d '[]'
bad "an empty body" 400 "empty" -d ''
bad "no name" 400 "'name'" -d '{"scope":"read"}'
bad "a name that is a number" 400 "'name'" -d '{"name":5,"scope":"read"}'
bad "a bad name" 400 "'name'" -d '{"name":"Bad Name","scope":"read"}'
bad "the name self" 400 "'name'" -d '{"name":"self","scope":"read"}'
bad "a 64-character name" 400 "'name'" -d "{\"name\":\"$(printf 'a%.0s' $(seq 64))\",\"scope\":\"read\"}"
bad "no scope" 400 "'scope'" -d '{"name":"fresh"}'
bad "an unknown scope" 400 "'scope'" -d '{"name":"fresh","scope":"root"}'
bad "a duplicate name" 409 "exists" -d '{"name":"k-read","scope":"admin"}'
check_eq "a duplicate: its error" "$(json .error)" "Key exists"
bad "a body over 4 KiB" 413 "" -d "{\"name\":\"big\",\"scope\":\"read\",\"pad\":\"$(head -c 5000 /dev/zero | tr '\0' a)\"}"
http DELETE "$F_URL/keys/nope" "${PASS[@]}"
check_eq "DELETE an unknown key: 404" "$H_STATUS $(json .error)" "404 Key not found"
http DELETE "$F_URL/keys/Bad_Name" "${PASS[@]}"
check_eq "DELETE a name no key can have: 404" "$H_STATUS" 404
http PUT "$F_URL/keys" "${PASS[@]}"
check_eq "PUT /keys: 405" "$H_STATUS" 405
check_eq "bad requests changed nothing" "$(keys_list)" "$before"
as "${KEY[read]}" GET /keys/self
check_eq "the duplicate did not touch k-read" "$(json .data.scope)" read

# --- no key text on disk or in the log; keys survive a restart -----------------------------------------
faas_stop
check_eq "faas stops cleanly" "$F_RC" 0
for scope in "${!KEY[@]}" temp; do
    key=${KEY[$scope]:-$TEMP}
    check "the $scope key is not in the data dir" test -z "$(grep -rlaF "$key" "$F_DIR/data")"
    check "the $scope key is not in the log" test -z "$(grep -laF "$key" "$F_DIR"/out.log*)"
done
hash=$(printf '%s' "${KEY[read]}" | sha256sum | cut -d' ' -f1)
check "the store holds the read key's SHA-256" grep -rqaF "$hash" "$F_DIR/data"

faas_run keys || exit 1
for scope in read invoke deploy admin; do
    as "${KEY[$scope]}" GET /keys/self
    check_eq "after a restart the $scope key keeps its scope" "$H_STATUS $(json .data.scope)" "200 $scope"
done
as "$TEMP" GET /keys/self
check_eq "after a restart the revoked key stays refused" "$H_STATUS" 401
as "${KEY[read]}" POST /function/upload -F "name=$WEB" -F "tag=$WEB:2" -F runtime=default -F "file=@$T_DIR/web.zip"
forbidden "after a restart the read key still cannot deploy" read deploy
check "after a restart the read key's last use is kept" \
    test "$(keys_list | jq '.data[] | select(.name == "k-read") | .lastUsedAt')" -ge "$T0"
check_eq "after a restart the unused key is still unused" \
    "$(keys_list | jq '.data[] | select(.name == "k-unused") | .lastUsedAt')" 0

http DELETE "$F_URL/function/delete/$WEB" "${PASS[@]}"
check_eq "clean up: the service" "$H_STATUS" 200
http DELETE "$F_URL/api/functions/$JOB" "${PASS[@]}"
check_eq "clean up: the job" "$H_STATUS" 200
faas_stop
t_done
