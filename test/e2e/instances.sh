#!/usr/bin/env bash
# instances.sh: two faas servers on one Docker engine (a staging and a production) with their
# own data dirs, the same image prefix and the same function names. Each labels what it makes
# with its own instance id and touches only that: both deploy a service and submit a job, both
# list only their own objects, both restart (start-up sweep, reconcile) and clean up (several
# passes), and neither loses a container, an image or a waiting execution container.
. "$(dirname "$0")/lib.sh"

SVC=$T_PREFIX-svc
JOB=$T_PREFIX-job
CONF=('cleanup_interval = "1s"' 'restart_interval = "1s"' 'limits = { warm = 1 }')

# save NAME / use NAME: keep and restore one faas's F_* variables (lib.sh tracks one at a time).
save() { eval "${1}_DIR=\$F_DIR ${1}_PID=\$F_PID ${1}_LOG=\$F_LOG ${1}_URL=\$F_URL ${1}_KEY=\$F_KEY"; }
use() { eval "F_DIR=\$${1}_DIR F_PID=\$${1}_PID F_LOG=\$${1}_LOG F_URL=\$${1}_URL F_KEY=\$${1}_KEY"; }
instance_of() { grep -o 'instance [0-9a-f]*' "$1" | tail -n 1 | cut -d' ' -f2; }
passes() { grep -cE "$2: pass [0-9]+ done" "$1"; }
# more_passes LOG: waits until the reconcile and the cleanup each ran twice more than now.
more_passes() {
    local log=$1 r c
    r=$(passes "$log" reconcile) c=$(passes "$log" cleanup)
    wait_for "two more reconcile and cleanup passes" 30 \
        bash -c "[ \$(grep -cE 'reconcile: pass [0-9]+ done' $log) -ge $((r + 2)) ] && [ \$(grep -cE 'cleanup: pass [0-9]+ done' $log) -ge $((c + 2)) ]"
}
serves() { [ "$(curl -s --max-time 5 "http://127.0.0.1:$1/")" = "$2 / host=127.0.0.1:$1 xff=127.0.0.1 auth=None" ]; }
container_of() { curl -s -H "Authorization: $F_KEY" "$F_URL/function/get/$SVC" | jq -r .id; }
image_of() { curl -s -H "Authorization: $F_KEY" "$F_URL/function/get/$SVC" | jq -r .imageId; }
alive() { docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null | grep -qx true; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
# waiting execution containers of one instance
warm_of() { docker ps -q --filter "label=faas.warm=1" --filter "label=faas.instance=$1" --filter "name=^${T_PREFIX}-"; }
has_warm() { [ -n "$(warm_of "$1")" ]; }

# --- two instances, the same prefix and names --------------------------------------------------
faas_start_docker a "${CONF[@]}" || exit 1
save A
PA=$(free_port)
faas_start_docker b "${CONF[@]}" || exit 1
save B
PB=$(free_port)
IA=$(instance_of "$A_LOG")
IB=$(instance_of "$B_LOG")
check "A has an instance id" grep -Eq '^[0-9a-f]{12}$' <<<"$IA"
check "B has an instance id" grep -Eq '^[0-9a-f]{12}$' <<<"$IB"
check "the two ids differ" test "$IA" != "$IB"

for x in A B; do
    use "$x"
    lc=$(tr 'A-Z' 'a-z' <<<"$x")
    py_service "$T_DIR/$lc" "v$lc"
    zip_dir "$T_DIR/$lc" "$T_DIR/$lc.zip"
    port=$([ "$x" = A ] && echo "$PA" || echo "$PB")
    http POST "$F_URL/function/upload" -H "Authorization: $F_KEY" -F "name=$SVC" -F "tag=$SVC-$lc:v1" \
        -F runtime=default -F "port=$port" -F "file=@$T_DIR/$lc.zip"
    check_eq "$x: upload accepted" "$H_STATUS" 200
done
for x in A B; do use "$x"; check "$x: deployed" deployed "$SVC"; done
check "A serves its own version" serves "$PA" va
check "B serves its own version" serves "$PB" vb

for x in A B; do
    use "$x"
    mkdir -p "$T_DIR/job$x"
    echo "print('job of $x')" >"$T_DIR/job$x/main.py"
    zip_dir "$T_DIR/job$x" "$T_DIR/job$x.zip"
    http POST "$F_URL/api/submit" -H "Authorization: $F_KEY" -F "code=@$T_DIR/job$x.zip" -F "name=$JOB"
    check_eq "$x: job submitted" "$H_STATUS" 200
    eval "${x}_JOBID=$(json .functionId)"
    eval "id=\$${x}_JOBID"
    http POST "$F_URL/api/execute" -H "Authorization: $F_KEY" -H 'Content-Type: application/json' -d "{\"functionId\":\"$id\"}"
    check_eq "$x: job runs" "$(json .output)" "job of $x"
done

use A; CA=$(container_of); GA=$(image_of)
use B; CB=$(container_of); GB=$(image_of)
check "each has its own container" test -n "$CA" -a -n "$CB" -a "$CA" != "$CB"
check_eq "A's container carries A's instance" "$(docker inspect -f '{{index .Config.Labels "faas.instance"}}' "$CA")" "$IA"
check_eq "B's image carries B's instance" "$(docker image inspect -f '{{index .Config.Labels "faas.instance"}}' "$GB")" "$IB"
check "B has a container started ahead for its job" wait_for "B's waiting container" 30 has_warm "$IB"

# --- each lists only its own ------------------------------------------------------------------
for x in A B; do
    use "$x"
    eval "me=\$I$x"
    http GET "$F_URL/function/listrunning" -H "Authorization: $F_KEY"
    check_eq "$x: listrunning shows only its own containers" \
        "$(json "[.[] | .Labels[\"faas.instance\"]] | unique | join(\",\")")" "$me"
    check_contains "$x: listrunning has its service" "$H_BODY" "$([ "$x" = A ] && echo "$CA" || echo "$CB")"
    http GET "$F_URL/function/listrunning?all=1" -H "Authorization: $F_KEY"
    check_contains "$x: ?all=1 shows the other's too" "$H_BODY" "$([ "$x" = A ] && echo "$CB" || echo "$CA")"
    http GET "$F_URL/function/listinstalled" -H "Authorization: $F_KEY"
    lc=$(tr 'A-Z' 'a-z' <<<"$x") other=$([ "$x" = A ] && echo b || echo a)
    check_contains "$x: listinstalled has its own tag" "$H_BODY" "\"$SVC-$lc:v1\""
    check_not_contains "$x: listinstalled has not the other's" "$H_BODY" "\"$SVC-$other:v1\""
done
use B
http POST "$F_URL/function/upload" -H "Authorization: $F_KEY" -F "name=$SVC" -F "tag=$SVC-a:v1" \
    -F runtime=default -F "port=$PB" -F "file=@$T_DIR/b.zip"
check_eq "B may not take a tag that names A's image" "$H_STATUS $(json .error)" "409 tag '$SVC-a:v1' names an image of another faas instance"

# --- restarts: the start-up sweep and reconcile of one leave the other alone --------------------
use A; faas_stop; check_eq "A stops cleanly" "$F_RC" 0
faas_run a || exit 1; save A
check_eq "A keeps its instance id across a restart" "$(instance_of "$A_LOG")" "$IA"
use B; faas_stop; check_eq "B stops cleanly" "$F_RC" 0
faas_run b || exit 1; save B
check_eq "B keeps its instance id across a restart" "$(instance_of "$B_LOG")" "$IB"
http POST "$F_URL/api/execute" -H "Authorization: $F_KEY" -H 'Content-Type: application/json' -d "{\"functionId\":\"$B_JOBID\"}"
check "B has a container started ahead again" wait_for "B's waiting container" 30 has_warm "$IB"
WB=$(warm_of "$IB" | head -n 1)
use A; faas_stop; faas_run a || exit 1; save A   # A's start-up sweep runs beside B's waiting container
check "A serves again" wait_for "A serves" 30 serves "$PA" va
check "B serves again" wait_for "B serves" 30 serves "$PB" vb
use A; check_eq "A kept its container" "$(container_of)" "$CA"
use B; check_eq "B kept its container" "$(container_of)" "$CB"

# --- cleanups and reconciles, several passes each ----------------------------------------------
more_passes "$A_LOG"
more_passes "$B_LOG"
check "A's container survived B's passes" alive "$CA"
check "B's container survived A's passes" alive "$CB"
check "A's image survived" image_exists "$GA"
check "B's image survived" image_exists "$GB"
check "B's waiting execution container survived A's restart and passes" alive "$WB"
for x in A B; do
    use "$x"
    eval "id=\$${x}_JOBID"
    http POST "$F_URL/api/execute" -H "Authorization: $F_KEY" -H 'Content-Type: application/json' -d "{\"functionId\":\"$id\"}"
    check_eq "$x: its job still runs" "$(json .output)" "job of $x"
done
check_not_contains "A removed nothing of B's" "$(cat "$A_DIR"/out.log*)" "no record names it"
check_not_contains "B removed nothing of A's" "$(cat "$B_DIR"/out.log*)" "no record names it"

# --- each deletes its own, and only its own ----------------------------------------------------
use A
http DELETE "$F_URL/function/delete/$SVC" -H "Authorization: $F_KEY"
check_eq "A deletes its service" "$H_STATUS" 200
check "A's container is gone" wait_for "A's container removed" 20 bash -c "! docker inspect $CA >/dev/null 2>&1"
check "B still serves" serves "$PB" vb
use B
http DELETE "$F_URL/function/delete/$SVC" -H "Authorization: $F_KEY"
check_eq "B deletes its service" "$H_STATUS" 200
for x in A B; do use "$x"; faas_stop; check_eq "$x: stops cleanly" "$F_RC" 0; done
t_done
