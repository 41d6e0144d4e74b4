#!/usr/bin/env bash
# swarm.sh: backend = "swarm" on a single-node swarm. The test initialises the swarm (advertise
# 127.0.0.1) only when the engine is in none, and leaves it at the end only if it did. It touches
# only the services, containers and images named with its own prefix.
# Checks: scale_min = 2 gives a service with 2/2 tasks, routed at 127.0.0.1:<published port>,
# and answers come from both (the function prints its host name); a redeploy under load (a rolling
# start-first update) loses no request; a task's container killed: Swarm replaces it and faas routes
# to the new task; scale to zero (Replicas 0) and a wake (Server-Timing); listrunning shows tasks with
# their node; delete removes the service; with docker.registry (a docker-registry on loopback) the
# image is pushed and the service names it by digest, and it serves.
#
# Two nodes on one machine (a second engine in a network namespace, joined as a worker, and a
# function pinned to it): test/e2e/swarm_nodes.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_swarm.sh"
REG_PID=""
on_exit() {
    [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
    swarm_cleanup
}
trap on_exit EXIT
swarm_up 127.0.0.1 || exit 1
check_eq "the engine is a swarm manager" "$(docker info --format '{{.Swarm.ControlAvailable}}')" true

faas_start_docker swarm 'backend = "swarm"' 'restart_interval = "2s"' 'limits = { start_timeout = "25s" }' \
    'scale = { pause_after = "3s", window = "4s", wake_timeout = "60s" }' || exit 1
FN=$T_PREFIX-sw
SERVICE=$T_PREFIX-$FN

py_host_service "$T_DIR/app" 0.05
zip_dir "$T_DIR/app" "$T_DIR/app.zip"

ready_count() { fn_status "$FN" '[.replicas[] | select(.state == "ready")] | length'; }
replicas_spec() { docker service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$SERVICE" 2>/dev/null; }
running_tasks() { docker service ps -q --filter desired-state=running "$SERVICE" 2>/dev/null | wc -l; }
hosts() { for _ in $(seq 1 "$1"); do curl -s --max-time 10 -H "Host: $FN.localhost" "$F_URL/"; done | sort -u; }

# ---- deploy with scale_min = 2: 2/2 tasks, both answer ----
upload "$FN" 0 "$T_DIR/app.zip" -F scale_min=2 -F scale_max=2
check_eq "upload" "$H_STATUS" 200
check "deployed" deployed "$FN"
check_eq "the service has 2 replicas" "$(replicas_spec)" 2
check "2/2 tasks running" wait_for "2/2" 30 sh -c "[ \"\$(docker service ls --filter name=$SERVICE --format '{{.Replicas}}')\" = 2/2 ]"
check "2 ready replicas in the record" wait_for "2 ready" 20 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq '[.replicas[] | select(.state == \"ready\")] | length')\" = 2 ]"
check_contains "replicas are node address:published port" "$(fn_status "$FN" '.replicas[0].address')" "127.0.0.1:"
task_ids=$(docker service ps -q --filter desired-state=running "$SERVICE" | sort | tr '\n' ' ')
check_eq "the replicas are the service's tasks" "$(fn_status "$FN" '[.replicas[].id] | sort | join(" ")') " "$task_ids"
check_eq "answers come from both tasks" "$(hosts 20 | wc -l)" 2
check_eq "the tasks' containers carry the instance label" \
    "$(docker ps -q --filter "label=com.docker.swarm.service.name=$SERVICE" --filter "label=faas.function=$FN" | wc -l)" 2
http GET "$F_URL/function/listrunning" -H "Authorization: $F_KEY"
check_eq "listrunning shows the 2 tasks with their node" \
    "$(json "[.[] | select(.Task == true and .Node != \"\" and .NodeAddr == \"127.0.0.1\")] | length")" 2

# ---- a redeploy under load loses no request ----
load_for() { # load_for SECONDS NAME: 6 clients in a loop, answers in $T_DIR/load.NAME
    local end=$(($(date +%s) + $1))
    LOAD_PIDS=()
    for _ in $(seq 1 6); do
        (while [ "$(date +%s)" -lt $end ]; do
            curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -H "Host: $FN.localhost" "$F_URL/slow"
        done) >>"$T_DIR/load.$2" &
        LOAD_PIDS+=($!)
    done
}
old_tasks=$task_ids
load_for 25 a
upload "$FN" 0 "$T_DIR/app.zip"
check_eq "redeploy under load: upload" "$H_STATUS" 200
check "redeployed" deployed "$FN" 90
wait "${LOAD_PIDS[@]}"
check_eq "redeploy under load: no request lost ($(wc -l <"$T_DIR/load.a") requests)" "$(grep -vc '^200$' "$T_DIR/load.a")" 0
check "the new version: 2 ready" wait_for "2 ready" 20 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq '[.replicas[] | select(.state == \"ready\")] | length')\" = 2 ]"
new_tasks=$(fn_status "$FN" '[.replicas[].id] | sort | join(" ")')
for t in $old_tasks; do
    check_not_contains "old task ${t:0:8} is not routed any more" "$new_tasks" "$t"
done
check_eq "Swarm ran a rolling update, start-first" "$(docker service inspect -f '{{.Spec.UpdateConfig.Order}} {{.Spec.UpdateConfig.FailureAction}}' "$SERVICE")" "start-first rollback"

# ---- a task's container killed: Swarm replaces it, faas routes to the new task ----
check "the old tasks are gone" wait_for "old tasks gone" 30 sh -c "[ \"\$(docker ps -q --filter label=com.docker.swarm.service.name=$SERVICE | wc -l)\" = 2 ]"
victim_task=$(fn_status "$FN" '.replicas[0].id')
victim=$(docker inspect -f '{{.Status.ContainerStatus.ContainerID}}' "$victim_task")
docker kill "$victim" >/dev/null
replaced() {
    [ "$(curl -s -H "Authorization: $F_KEY" "$F_URL/function/get/$FN" |
        jq --arg v "$victim_task" '[.replicas[] | select(.state == "ready" and .id != $v)] | length')" = 2 ]
}
check "a killed task is replaced (2 ready, the dead one out)" wait_for "replaced" 40 replaced
new_host=$(docker ps --filter "label=com.docker.swarm.service.name=$SERVICE" --format '{{.ID}}' | while read -r c; do
    [ "$c" != "${victim:0:12}" ] && echo "$c"; done | sort)
check_eq "answers come from the 2 live tasks, the new one included" "$(hosts 20)" "$(printf '%s\n' $new_host | sed 's/^/up /')"

# ---- a version whose tasks run but never answer: the deploy fails, Swarm goes back to the old one ----
# (Swarm retires the old tasks 10 s after the new ones run, whatever they answer: from then until
# limits.start_timeout nothing answers; see the README.) The new tasks' second published port
# (IPv6) shares its number with an old task's IPv4 port: it must not count as the new task answering.
mkdir -p "$T_DIR/mute" && printf 'import time\ntime.sleep(3600)\n' >"$T_DIR/mute/main.py"
zip_dir "$T_DIR/mute" "$T_DIR/mute.zip"
good_image=$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$SERVICE")
upload "$FN" 0 "$T_DIR/mute.zip"
check_eq "a mute version: upload" "$H_STATUS" 200
check "its build fails" wait_for "mute build ends" 120 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq -r .build.status)\" = failed ]"
check_contains "no task of it answered" "$(fn_status "$FN" .build.error)" "no task of the new version answered"
check_eq "the service's image is the old version's again" \
    "$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$SERVICE")" "$good_image"
check "2 ready replicas of the old version again" wait_for "2 ready" 90 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq '[.replicas[] | select(.state == \"ready\")] | length')\" = 2 ]"
check_eq "the old version answers" "$(curl -s --max-time 10 -H "Host: $FN.localhost" "$F_URL/" | cut -c1-3)" "up "
check "no task of the mute version is left running" wait_for "mute tasks gone" 60 sh -c \
    "[ \"\$(docker ps -q --filter label=com.docker.swarm.service.name=$SERVICE | wc -l)\" = 2 ]"

# ---- scale to zero, then a wake ----
http PUT "$F_URL/function/scale/$FN" -H "Authorization: $F_KEY" -d '{"min":0}'
check_eq "scale min 0" "$H_STATUS" 200
check "idle: the service goes to 0 replicas" wait_for "0 replicas" 30 sh -c "[ \"\$(docker service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' $SERVICE)\" = 0 ]"
check "no replica in the record" wait_for "0 in record" 20 sh -c "[ \"\$(curl -s -H 'Authorization: $F_KEY' $F_URL/function/get/$FN | jq '.replicas | length')\" = 0 ]"
t0=$(date +%s%N)
http GET "$F_URL/" -H "Host: $FN.localhost"
wake_ms=$((($(date +%s%N) - t0) / 1000000))
check_eq "a request wakes it: 200" "$H_STATUS" 200
check_contains "Server-Timing says a new task" "$H_HEADERS" 'server-timing: wake;desc="new"'
echo "     wake from 0 replicas (Swarm): ${wake_ms} ms"
check_eq "the service is back at 1 replica" "$(replicas_spec)" 1

# ---- delete removes the service ----
http DELETE "$F_URL/function/delete/$FN" -H "Authorization: $F_KEY"
check_eq "delete" "$H_STATUS" 200
check "the service is gone" wait_for "service gone" 10 sh -c "! docker service inspect $SERVICE >/dev/null 2>&1"
http GET "$F_URL/" -H "Host: $FN.localhost"
check_eq "its name answers 404 or falls through" "$([ "$H_STATUS" != 200 ] && echo gone)" gone

# ---- faas touches only its own services ----
# A labelled service no record names, of no instance (another faas's would carry its own id).
docker service create -d --name "$T_PREFIX-foreign" --label faas.managed=1 --label faas.kind=service \
    --label faas.function=foreign busybox sleep 600 >/dev/null 2>&1
n0=$(grep -c 'reconcile: pass' "$F_LOG")
check "two reconcile passes (orphan sweeps) ran" wait_for "2 passes" 20 sh -c "[ \$(grep -c 'reconcile: pass' $F_LOG) -ge $((n0 + 2)) ]"
check_eq "a service of another instance (label faas.instance differs) stays" \
    "$(docker service inspect -f '{{.Spec.Name}}' "$T_PREFIX-foreign" 2>/dev/null)" "$T_PREFIX-foreign"
docker service rm "$T_PREFIX-foreign" >/dev/null 2>&1

# ---- docker.registry: pushed, pulled by digest ----
if [ -x /usr/bin/docker-registry ]; then
    REG_PORT=$(free_port)
    swarm_registry_config "127.0.0.1:$REG_PORT"
    /usr/bin/docker-registry serve "$T_DIR/registry/config.yml" >"$T_DIR/registry/log" 2>&1 &
    REG_PID=$!
    check "the registry answers" wait_for "registry" 10 curl -sf "http://127.0.0.1:$REG_PORT/v2/"
    faas_stop
    faas_start_docker swarm-reg 'backend = "swarm"' "docker = { image_prefix = \"$T_PREFIX\", registry = \"127.0.0.1:$REG_PORT\" }" || exit 1
    FN=$T_PREFIX-rg
    SERVICE=$T_PREFIX-$FN
    upload "$FN" 0 "$T_DIR/app.zip"
    check_eq "upload (registry)" "$H_STATUS" 200
    check "deployed (registry)" deployed "$FN"
    image=$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$SERVICE")
    check_contains "the service names the pushed image by digest" "$image" "127.0.0.1:$REG_PORT/$T_PREFIX-$FN@sha256:"
    check_contains "the registry holds it" "$(curl -s "http://127.0.0.1:$REG_PORT/v2/_catalog")" "$T_PREFIX-$FN"
    digest=${image##*@}
    check_eq "the registry serves that digest" \
        "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
            "http://127.0.0.1:$REG_PORT/v2/$T_PREFIX-$FN/manifests/$digest")" 200
    check_contains "it serves" "$(curl -s --max-time 10 -H "Host: $FN.localhost" "$F_URL/")" "up "
    docker images -q --filter "reference=127.0.0.1:$REG_PORT/$T_PREFIX-*" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
else
    fail "docker-registry is not installed (deps/packages.sh)"
fi

faas_stop
check_eq "faas exits cleanly" "$F_RC" 0
t_done
