#!/usr/bin/env bash
# secrets.sh: secrets reach /run/secrets and never appear in any API answer or log (issue 12).
# PUT /secret/:name, GET /secret/list, DELETE /secret/:name against the real engine: a service
# function uploaded with secrets=a,b reads each at /run/secrets/<name> (mode 0400, owned by the
# container's user, read-only even for root, not in its environment), for an image that runs as
# root and one that runs as nobody; the values are in no API answer, not in faas's log, not in
# `docker inspect`, not in plaintext in the LMDB files; a redeploy without the field keeps the
# list, "secrets=" clears it; a used secret cannot be deleted (409); an unknown one in an upload
# is a 400 that changes nothing; bad names 400, oversize 413; a changed value moves both functions
# to new replicas that read it, with zero failed requests and no build; after a restart of faas the key file (0600) is reused and the secrets still open;
# a secrets key open to others stops start-up; a container's secret files go with it.
. "$(dirname "$0")/lib.sh"

faas_start_docker sec || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-sec
V_A="alpha-value-$T_PREFIX-Zq9x"
V_B="beta-value-$T_PREFIX-Jw4k"
V_A2="alpha-changed-$T_PREFIX-Pp3m"

# ---- the key file
check "secrets.key exists beside the passfile" test -f "$F_DIR/secrets.key"
check_eq "secrets.key is 0600" "$(stat -c %a "$F_DIR/secrets.key")" 600
check_eq "secrets.key holds 32 bytes" "$(stat -c %s "$F_DIR/secrets.key")" 32
KEY_SUM=$(sha256sum "$F_DIR/secrets.key" | cut -d' ' -f1)

# ---- PUT, its checks, GET /secret/list
put_secret() { http PUT "$F_URL/secret/$1" "${AUTH[@]}" --data-binary "$2"; }
put_secret alpha "$V_A"
check_eq "PUT /secret/alpha: 200" "$H_STATUS" 200
check_eq "PUT answers Secret set" "$(json .message)" "Secret set"
check_eq "PUT answers the name" "$(json .data.name)" alpha
check "PUT answers createdAt" test "$(json .data.createdAt)" -gt 0
check_not_contains "PUT answers no value" "$H_BODY" "$V_A"
put_secret beta "$V_B"
check_eq "PUT /secret/beta: 200" "$H_STATUS" 200
http PUT "$F_URL/secret/alpha" --data-binary x
check_eq "PUT without the passkey: 401" "$H_STATUS" 401
for bad in .hidden -dash 'a%20b' 'a%3Bb' "$(printf 'x%.0s' $(seq 65))"; do
    put_secret "$bad" value
    check_eq "PUT /secret/$bad: 400" "$H_STATUS" 400
done
check_eq "bad name: the error" "$(json .error)" "Invalid secret name"
put_secret 'a%2Fb' value
check_eq "PUT /secret/a%2Fb: no such route (404)" "$H_STATUS" 404
http PUT "$F_URL/secret/empty" "${AUTH[@]}" --data-binary ''
check_eq "empty value: 400" "$H_STATUS" 400
head -c 65537 /dev/zero | tr '\0' 'v' >"$T_DIR/big"
http PUT "$F_URL/secret/big" "${AUTH[@]}" --data-binary "@$T_DIR/big"
check_eq "65537 bytes: 413" "$H_STATUS" 413
head -c 65536 /dev/zero | tr '\0' 'v' >"$T_DIR/max"
http PUT "$F_URL/secret/max" "${AUTH[@]}" --data-binary "@$T_DIR/max"
check_eq "65536 bytes: 200" "$H_STATUS" 200
http PUT "$F_URL/secret/list" "${AUTH[@]}" --data-binary x
check_eq "PUT /secret/list (the listing's route): 405" "$H_STATUS" 405
http GET "$F_URL/secret/list" "${AUTH[@]}"
check_eq "GET /secret/list: 200" "$H_STATUS" 200
check_eq "the list names them, sorted" "$(json '[.data[].name] | join(",")')" "alpha,beta,max"
check_eq "nothing uses alpha yet" "$(json '.data[0].usedBy | length')" 0
check_eq "the list has no other key" "$(json '.data[0] | keys | join(",")')" "createdAt,name,updatedAt,usedBy"
check_not_contains "the list carries no value" "$H_BODY" "$V_A"
check_eq "the big one was not stored" "$(printf '%s' "$H_BODY" | grep -c '"big"')" 0

# ---- a function that shows what it finds in /run/secrets
svc() {
    mkdir -p "$1"
    cat >"$1/main.py" <<'PY'
import json, os, http.server
def probe():
    out = {"me": [os.getuid(), os.getgid()], "files": {}}
    d = "/run/secrets"
    for n in (sorted(os.listdir(d)) if os.path.isdir(d) else []):
        p = os.path.join(d, n)
        st = os.stat(p)
        f = {"mode": "%o" % (st.st_mode & 0o7777), "uid": st.st_uid, "gid": st.st_gid}
        try:
            f["value"] = open(p).read()
        except OSError as e:
            f["value"] = "unreadable: " + os.strerror(e.errno)
        try:
            with open(p, "a") as w:
                w.write("x")
            f["write"] = "ok"
        except OSError as e:
            f["write"] = "failed: " + os.strerror(e.errno)
        try:
            os.chmod(p, 0o666)
            f["chmod"] = "ok"
        except OSError as e:
            f["chmod"] = "failed: " + os.strerror(e.errno)
        out["files"][n] = f
    out["environ"] = open("/proc/self/environ", "rb").read().decode(errors="replace")
    return json.dumps(out).encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = probe()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        print("request", self.path, flush=True)
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), H).serve_forever()
PY
}
svc "$T_DIR/app"
zip_dir "$T_DIR/app" "$T_DIR/app.zip"
probe() { curl -s --max-time 10 -H "Host: $1.localhost" "$F_URL/" >"$T_DIR/probe.json"; P=$(cat "$T_DIR/probe.json"); }
pj() { printf '%s' "$P" | jq -r "$1" 2>/dev/null; }

upload "$FN" 0 "$T_DIR/app.zip" -F secrets=alpha,beta
check_eq "upload with secrets=alpha,beta: 200" "$H_STATUS" 200
check_eq "the upload's record lists them" "$(json '.data.secrets | join(",")')" "alpha,beta"
check "deployed" deployed "$FN"
probe "$FN"
check_eq "the function reads /run/secrets/alpha" "$(pj '.files.alpha.value')" "$V_A"
check_eq "... and /run/secrets/beta" "$(pj '.files.beta.value')" "$V_B"
check_eq "only the secrets it names are there" "$(pj '.files | keys | join(",")')" "alpha,beta"
check_eq "mode 0400" "$(pj '.files.alpha.mode')" 400
check_eq "it runs as root (the default runtime)" "$(pj '.me | map(tostring) | join(":")')" "0:0"
check_eq "owned by the container's user (root)" "$(pj '.files.alpha | "\(.uid):\(.gid)"')" "0:0"
check_eq "read-only even for root: a write fails" "$(pj '.files.alpha.write')" "failed: Read-only file system"
check_eq "... and so does a chmod" "$(pj '.files.alpha.chmod')" "failed: Read-only file system"
probe "$FN"
check_eq "the value is unchanged after the write attempts" "$(pj '.files.alpha.value')" "$V_A"
ENVIRON=$(pj '.environ | gsub("\u0000"; "\n")')
check_not_contains "not in the container's environment" "$ENVIRON" "$V_A"
check_contains "(the environment was read)" "$ENVIRON" "PORT="
CID=$(fn_status "$FN" '.replicas[0].id')
check_not_contains "not in docker inspect" "$(docker inspect "$CID")" "$V_A"

# ---- an image that runs as nobody
http POST "$F_URL/runtime/upload/asnobody" "${AUTH[@]}" -F "file=@-;filename=Dockerfile" <<<$'FROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\nUSER nobody\nCMD ["python3", "main.py"]'
check_eq "runtime with USER nobody: 200" "$H_STATUS" 200
FN2=$T_PREFIX-nobody
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$FN2" -F "tag=$FN2:latest" -F runtime=asnobody \
    -F "file=@$T_DIR/app.zip" -F secrets=alpha
check_eq "upload as nobody: 200" "$H_STATUS" 200
check "deployed as nobody" deployed "$FN2"
probe "$FN2"
check_eq "it runs as nobody" "$(pj '.me | map(tostring) | join(":")')" "65534:65534"
check_eq "nobody reads its secret" "$(pj '.files.alpha.value')" "$V_A"
check_eq "owned by nobody (a user name, resolved in the image)" "$(pj '.files.alpha | "\(.uid):\(.gid)"')" "65534:65534"
check_eq "mode 0400 for nobody too" "$(pj '.files.alpha.mode')" 400
check_contains "nobody cannot write it" "$(pj '.files.alpha.write')" "failed:"
check_eq "its value is unchanged" "$(pj '.files.alpha.value')" "$V_A"

# ---- the values are in no API answer
http GET "$F_URL/secret/list" "${AUTH[@]}"
check_eq "usedBy of alpha" "$(json '.data[] | select(.name=="alpha") | .usedBy | join(",")')" "$FN2,$FN"
answers=""
for path in "function/get/$FN" function/list secret/list "function/logs/$FN" "function/logs/$FN?source=build" \
    "function/logs/$FN2" function/listrunning api/functions; do
    http GET "$F_URL/$path" "${AUTH[@]}"
    answers+="$H_BODY"
    check_not_contains "GET /$path carries no value" "$H_BODY$H_HEADERS" "$V_A"
    check_not_contains "GET /$path carries no value (beta)" "$H_BODY" "$V_B"
done
check_contains "(the answers were read: the record names its secrets)" "$answers" '"secrets":["alpha","beta"]'

# ---- redeploy without the field keeps them; an unknown one changes nothing
BUILD1=$(fn_status "$FN" .build.id)
upload "$FN" 0 "$T_DIR/app.zip" -F secrets=alpha,nope
check_eq "an unknown secret in the upload: 400" "$H_STATUS" 400
check_contains "the error names it" "$H_BODY" "nope"
check_eq "nothing changed: same build" "$(fn_status "$FN" .build.id)" "$BUILD1"
check_eq "nothing changed: same secrets" "$(fn_status "$FN" '.secrets | join(",")')" "alpha,beta"
upload "$FN" 0 "$T_DIR/app.zip" -F 'secrets=al/pha'
check_eq "a bad name in the upload: 400" "$H_STATUS" 400
upload "$FN" 0 "$T_DIR/app.zip"
check_eq "redeploy without secrets: 200" "$H_STATUS" 200
check "redeployed" deployed "$FN"
check_eq "the record keeps the secrets" "$(fn_status "$FN" '.secrets | join(",")')" "alpha,beta"
probe "$FN"
check_eq "the new container has them" "$(pj '.files | keys | join(",")')" "alpha,beta"
check_eq "... with the values" "$(pj '.files.beta.value')" "$V_B"

# ---- DELETE
http DELETE "$F_URL/secret/alpha" "${AUTH[@]}"
check_eq "DELETE a used secret: 409" "$H_STATUS" 409
check_contains "409 names the functions" "$(json .details)" "$FN"
http DELETE "$F_URL/secret/max" "${AUTH[@]}"
check_eq "DELETE an unused secret: 200" "$H_STATUS" 200
http DELETE "$F_URL/secret/max" "${AUTH[@]}"
check_eq "DELETE it again: 404" "$H_STATUS" 404

# ---- a changed value: its functions move to new replicas with it, with zero downtime
OLD1=$(fn_status "$FN" '.replicas[0].id')
OLD2=$(fn_status "$FN2" '.replicas[0].id')
BUILD_NOW=$(fn_status "$FN" .build.id)
rm -f "$T_DIR/stop"
load() { # bounded: 2000 requests or 120 s; one line per request: "<code> <alpha's value>"
    local end=$((SECONDS + 120))
    for _ in $(seq 1 2000); do
        [ -e "$T_DIR/stop" ] || [ $SECONDS -ge $end ] && break
        curl -s --max-time 10 -o "$T_DIR/load.body" -w '%{http_code}' -H "Host: $FN.localhost" "$F_URL/" >"$T_DIR/load.code"
        echo "$(cat "$T_DIR/load.code") $(jq -r '.files.alpha.value' "$T_DIR/load.body" 2>/dev/null)" >>"$T_DIR/load.log"
    done
}
load &
LOAD=$!
wait_for "load running" 10 test -s "$T_DIR/load.log"
put_secret alpha "$V_A2"
check_eq "PUT a new value of alpha: 200" "$H_STATUS" 200
check "the change is logged with its functions" wait_for "changed line" 10 grep -q "secret alpha changed; 2 function(s) use it" "$F_LOG"
new_value() { probe "$1"; [ "$(pj '.files.alpha.value')" = "$V_A2" ]; }
check "$FN reads the new value" wait_for "new value in $FN" 60 new_value "$FN"
check "$FN2 (as nobody) reads it too" wait_for "new value in $FN2" 60 new_value "$FN2"
wait_for "a few requests after" 10 bash -c "[ \$(grep -c ' $V_A2\$' '$T_DIR/load.log') -ge 3 ]"
touch "$T_DIR/stop"
wait "$LOAD"
check_eq "zero failed requests while the replicas moved" "$(grep -vc '^200 ' "$T_DIR/load.log")" 0
check "the requests spanned it: the old value, then the new" bash -c "grep -q ' $V_A\$' '$T_DIR/load.log' && tail -n 1 '$T_DIR/load.log' | grep -q ' $V_A2\$'"
check "on new replicas" test "$(fn_status "$FN" '.replicas[0].id')" != "$OLD1" -a "$(fn_status "$FN2" '.replicas[0].id')" != "$OLD2"
check_eq "no build for it" "$(fn_status "$FN" .build.id)" "$BUILD_NOW"
check "the restarts are logged" wait_for "restart lines" 10 bash -c "[ \$(grep -c 'restarted with zero downtime (secret alpha changed)' '$F_LOG') = 2 ]"
check_not_contains "the log carries no value" "$(cat "$F_LOG")" "$V_A2"

# ---- secrets= clears the list
upload "$FN" 0 "$T_DIR/app.zip" -F secrets=
check_eq "upload with secrets=: 200" "$H_STATUS" 200
check "redeployed without secrets" deployed "$FN"
check_eq "the record has none" "$(fn_status "$FN" '.secrets | length')" 0
probe "$FN"
check_eq "the new container has no /run/secrets file" "$(pj '.files | length')" 0
http DELETE "$F_URL/secret/beta" "${AUTH[@]}"
check_eq "beta, no longer used: DELETE 200" "$H_STATUS" 200

# ---- the secret files go with their container
INSTANCE=$(docker inspect -f '{{index .Config.Labels "faas.instance"}}' "$(fn_status "$FN2" '.replicas[0].id')")
BASE=$(ls -d /run/faas-secrets-"$INSTANCE" /dev/shm/faas-secrets-"$INSTANCE" "$F_DIR/data/secrets-run" 2>/dev/null | head -n 1)
check "the secret files live in a folder of faas ($BASE)" test -d "$BASE"
check_eq "that folder is 0700" "$(stat -c %a "$BASE")" 700
folders() { find "$BASE" -mindepth 1 -maxdepth 1 -type d | wc -l; }
one_folder() { [ "$(folders)" = 1 ]; }
check "one container with secrets is left: one folder (old ones went with their containers)" wait_for "folders" 20 one_folder
NAME2=$(docker inspect -f '{{.Name}}' "$(fn_status "$FN2" '.replicas[0].id')")
check "it is the nobody function's" test -d "$BASE/${NAME2#/}"
http DELETE "$F_URL/function/delete/$FN2" "${AUTH[@]}"
check_eq "delete the nobody function: 200" "$H_STATUS" 200
no_folder() { [ "$(folders)" = 0 ]; }
check "its secret files went with its container" wait_for "no folders" 20 no_folder

# ---- faas's log and the store hold no value
check_eq "faas's log has no value" "$(grep -c -e "$V_A" -e "$V_B" -e "$V_A2" "$F_LOG")" 0
check_contains "(the log was read)" "$(cat "$F_LOG")" "secret alpha created"
check_eq "no plaintext in the LMDB files" "$(cat "$F_DIR"/data/store/* | grep -a -c -e "$V_A" -e "$V_A2" -e "$V_B")" 0
check "(the LMDB files hold the secrets table)" grep -a -q '"ciphertext"' "$F_DIR/data/store/data.mdb"

# ---- a restart: the same key, the secrets still open
faas_stop
check_eq "faas stopped cleanly" "$F_RC" 0
faas_run sec || exit 1
check_eq "the key file is reused" "$(sha256sum "$F_DIR/secrets.key" | cut -d' ' -f1)" "$KEY_SUM"
check_eq "still 0600" "$(stat -c %a "$F_DIR/secrets.key")" 600
upload "$FN" 0 "$T_DIR/app.zip" -F secrets=alpha
check_eq "upload after the restart: 200" "$H_STATUS" 200
check "deployed after the restart" deployed "$FN"
probe "$FN"
check_eq "the secret opens after the restart (its new value)" "$(pj '.files.alpha.value')" "$V_A2"
check_eq "faas's log has no value after the restart either" "$(grep -c -e "$V_A" -e "$V_A2" "$F_LOG")" 0
faas_stop
docker_cleanup # faas is stopped: the secret folders of what is left go with this test
case $BASE in */faas-secrets-*|*/secrets-run) rm -rf "$BASE" ;; esac

# ---- a secrets key faas cannot trust stops start-up
faas_write_conf badkey
head -c 32 /dev/urandom >"$T_DIR/badkey/secrets.key"
chmod 644 "$T_DIR/badkey/secrets.key"
HOME=$T_DIR/badkey timeout 20 "$FAAS_BIN" serve -c "$T_DIR/badkey/faas.conf.lua" >"$T_DIR/badkey/out.log" 2>&1
check_eq "a key open to others: exit 2" "$?" 2
check_contains "... saying why" "$(cat "$T_DIR/badkey/out.log")" "secrets key"
chmod 600 "$T_DIR/badkey/secrets.key"
head -c 16 /dev/urandom >"$T_DIR/badkey/secrets.key"
HOME=$T_DIR/badkey timeout 20 "$FAAS_BIN" serve -c "$T_DIR/badkey/faas.conf.lua" >"$T_DIR/badkey/out.log" 2>&1
check_eq "a key of 16 bytes: exit 2" "$?" 2
check_contains "... saying why" "$(cat "$T_DIR/badkey/out.log")" "exactly 32 bytes"

t_done
