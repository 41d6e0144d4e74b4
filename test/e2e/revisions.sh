#!/usr/bin/env bash
# revisions.sh: every deploy that serves is a numbered revision; rollback switches back to a kept
# one without a build, under load with zero failed requests, restoring its settings (env, port,
# scale); the newest `revisions` keep their images (the cleanup leaves them), older ones lose
# theirs; revisions survive a restart; bad rollbacks get clear errors and change nothing.
. "$(dirname "$0")/lib.sh"

CONF=('revisions = 3' 'cleanup_interval = "1s"')
faas_start_docker rv "${CONF[@]}" || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-rev
HOST=$FN.localhost
P1=$(free_port)
P2=$(free_port)

# env_service DIR TEXT: answers "TEXT A=<$A>"; zipped to DIR.zip.
env_service() {
    py_expr_service "$1" "\"$2 A=\" + os.environ.get(\"A\", \"-\")"
    zip_dir "$1" "$1.zip"
}
answer() { curl -s --max-time 5 -H "Host: $HOST" "$F_URL/"; }
revisions() { curl -s "${AUTH[@]}" "$F_URL/function/revisions/$FN"; }
rev_count() { [ "$(revisions | jq '.data | length')" = "$1" ]; }
image_of() { revisions | jq -r ".data[] | select(.revision == $1) | .imageId"; }

for v in v1 v2 v3 v4; do env_service "$T_DIR/$v" "$v"; done
upload "$FN" "$P1" "$T_DIR/v1.zip" -F "env=A=one" -F scale_min=1
check "v1 deployed" deployed "$FN"
upload "$FN" "$P2" "$T_DIR/v2.zip" -F "env=A=two" -F scale_min=0
check "v2 deployed (new port, env and min 0)" deployed "$FN"
check "two revisions" wait_for "revision 2" 10 rev_count 2
check_eq "v2 serves" "$(answer)" "v2 A=two"
http GET "$F_URL/function/revisions/$FN" "${AUTH[@]}"
check_eq "GET revisions: 200" "$H_STATUS" 200
check_eq "newest first, the current marked" "$(json '[.data[] | "\(.revision):\(.current)"] | join(",")')" "2:true,1:false"
check "each with its image, build and time" test "$(json '[.data[] | select(.imageId != null and .buildId != null and .createdAt > 1700000000)] | length')" = 2
check_eq "the record names its revision" "$(fn_status "$FN" .revision)" 2
IMG1=$(image_of 1)
IMG2=$(image_of 2)
check "the old image is kept" docker image inspect "$IMG1"

# --- rollback under load: zero failures, no build --------------------------------------------
BUILD=$(fn_status "$FN" .build.id)
IMAGES=$(docker images -q --filter "label=faas.function=$FN" | sort -u | wc -l)
rm -f "$T_DIR/stop"
load() {
    local end=$((SECONDS + 120))
    for _ in $(seq 1 3000); do
        [ -e "$T_DIR/stop" ] || [ $SECONDS -ge $end ] && break
        r=$(curl -s --max-time 10 -H "Host: $HOST" -w ' %{http_code}' "$F_URL/" 2>/dev/null)
        echo "${r##* } ${r%% *}" >>"$T_DIR/load.log"
    done
}
load &
LOAD=$!
wait_for "load running" 10 test -s "$T_DIR/load.log"
h2load -c 4 -m 4 -D 4 -H ":authority: $HOST" "$F_URL/" >"$T_DIR/h2load.out" 2>&1 &
H2=$!
T0=$(date +%s%N)
http POST "$F_URL/function/rollback/$FN" "${AUTH[@]}"
T1=$(date +%s%N)
echo "rollback to revision 1: $(((T1 - T0) / 1000000)) ms"
check_eq "rollback: 200" "$H_STATUS" 200
check_eq "rollback: the message names the revision" "$(json .message)" "Rolled back to revision 1"
check_eq "v1 answers at once" "$(answer)" "v1 A=one"
wait_for "a few requests after" 10 bash -c "[ \$(grep -c ' v1' '$T_DIR/load.log') -ge 3 ]"
touch "$T_DIR/stop"
wait "$LOAD" "$H2"
check_eq "zero failed requests through the rollback" "$(grep -vc '^200 ' "$T_DIR/load.log")" 0
check "the requests spanned it: v2 answered, then v1" bash -c "grep -q '^200 v2' '$T_DIR/load.log' && tail -n 1 '$T_DIR/load.log' | grep -q '^200 v1'"
check_contains "h2load: none failed" "$(grep -E '^requests:' "$T_DIR/h2load.out")" " 0 failed, 0 errored, 0 timeout"
check_eq "no build: the record's build is the same" "$(fn_status "$FN" .build.id)" "$BUILD"
check_eq "no new image" "$(docker images -q --filter "label=faas.function=$FN" | sort -u | wc -l)" "$IMAGES"
check_eq "the record serves revision 1's image" "$(fn_status "$FN" .imageId)" "$IMG1"
check_eq "its port is back" "$(fn_status "$FN" .port)" "$P1"
check_contains "v1 answers on its port" "$(curl -s --max-time 5 "http://127.0.0.1:$P1/")" "v1 A=one"
check "revision 2's port is released" wait_for "port released" 10 bash -c "! curl -s -o /dev/null http://127.0.0.1:$P2/"
check_eq "its scale settings are back" "$(fn_status "$FN" .scale.min)" 1
check_eq "the tag names revision 1's image" "$(docker image inspect -f '{{.Id}}' "$FN:latest")" "$IMG1"
check_eq "revision 1 is current" "$(revisions | jq -c '[.data[] | select(.current) | .revision]')" "[1]"

# --- bad rollbacks change nothing --------------------------------------------------------------
http POST "$F_URL/function/rollback/$FN" "${AUTH[@]}"
check_eq "nothing before revision 1: 409" "$H_STATUS" 409
check_contains "saying so" "$(json .details)" "no revision before 1"
http POST "$F_URL/function/rollback/$FN" "${AUTH[@]}" -d '{"revision":1}'
check_eq "the current revision: 409" "$H_STATUS" 409
http POST "$F_URL/function/rollback/$FN" "${AUTH[@]}" -d '{"revision":9}'
check_eq "a revision not kept: 404" "$H_STATUS" 404
for body in '{"revision":"2"}' '{"revision":0}' '{"revision":1.5}' '[2]' '{"revision":' 'x'; do
    http POST "$F_URL/function/rollback/$FN" "${AUTH[@]}" -d "$body"
    check_eq "body $body: 400" "$H_STATUS" 400
done
http POST "$F_URL/function/rollback/$FN" "${AUTH[@]}" -d "{\"revision\":2,\"pad\":\"$(head -c 5000 /dev/zero | tr '\0' x)\"}"
check_eq "an oversized body: 413" "$H_STATUS" 413
http POST "$F_URL/function/rollback/$T_PREFIX-none" "${AUTH[@]}"
check_eq "an unknown function: 404" "$H_STATUS" 404
http GET "$F_URL/function/revisions/$T_PREFIX-none" "${AUTH[@]}"
check_eq "its revisions: 404" "$H_STATUS" 404
http POST "$F_URL/function/rollback/$FN"
check_eq "without the key: 401" "$H_STATUS" 401
check_eq "after all that, v1 still serves" "$(answer)" "v1 A=one"

# --- forward again by number; new deploys prune the oldest -------------------------------------
http POST "$F_URL/function/rollback/$FN" "${AUTH[@]}" -d '{"revision":2}'
check_eq "rollback to revision 2 by number: 200" "$H_STATUS" 200
check_eq "v2 with its env" "$(answer)" "v2 A=two"
upload "$FN" "$P2" "$T_DIR/v3.zip"
check "v3 deployed" deployed "$FN"
check "revision 3" wait_for "revision 3" 10 rev_count 3
check_eq "a redeploy keeps the current env" "$(answer)" "v3 A=two"
upload "$FN" "$P2" "$T_DIR/v4.zip"
check "v4 deployed" deployed "$FN"
pruned() { [ "$(revisions | jq -c '[.data[].revision]')" = "[4,3,2]" ]; }
check "revisions = 3: 4, 3 and 2 are kept" wait_for "pruned" 10 pruned
check "revision 1's image is gone" wait_for "image 1 gone" 20 bash -c "! docker image inspect $IMG1 >/dev/null 2>&1"
cleanup_passes() { grep -c 'cleanup: pass' "$F_LOG"; }
N=$(cleanup_passes)
check "a few cleanup passes later" wait_for "cleanup" 20 bash -c "[ \$(grep -c 'cleanup: pass' '$F_LOG') -ge $((N + 2)) ]"
check "the cleanup leaves kept revisions' images" docker image inspect "$IMG2"
check_eq "three images for three revisions" "$(docker images -q --filter "label=faas.function=$FN" | sort -u | wc -l)" 3

# --- a restart keeps them -----------------------------------------------------------------------
faas_stop
faas_run rv || exit 1
AUTH=(-H "Authorization: $F_KEY")
check "after a restart: v4 serves" wait_for "v4" 30 bash -c "curl -s -H 'Host: $HOST' '$F_URL/' | grep -q v4"
check_eq "the revisions are kept" "$(revisions | jq -c '[.data[] | "\(.revision):\(.current)"]')" '["4:true","3:false","2:false"]'
http POST "$F_URL/function/rollback/$FN" "${AUTH[@]}"
check_eq "rollback after a restart: 200" "$H_STATUS" 200
check_eq "v3 serves" "$(answer)" "v3 A=two"

# --- delete takes every revision's image --------------------------------------------------------
http DELETE "$F_URL/function/delete/$FN" "${AUTH[@]}"
check_eq "delete: 200" "$H_STATUS" 200
check_eq "no image of the function left" "$(docker images -q --filter "label=faas.function=$FN" | wc -l)" 0
faas_stop
check_eq "exit 0" "$F_RC" 0
t_done
