#!/usr/bin/env bash
# recovery.sh: reality drifting from the records is brought back. A container killed, stopped
# or removed from outside is restarted or replaced; kill -9 of faas in the middle of deploys,
# then a restart, converges to one serving version with no orphans; a restart of dockerd
# brings the service back. FAAS_TEST_DOCKERD_RESTART=0 skips the dockerd part.
. "$(dirname "$0")/lib.sh"

CONF=('restart_interval = "2s"' 'cleanup_interval = "2s"' "revisions = 1")
faas_start_docker rc "${CONF[@]}" || exit 1
FN=$T_PREFIX-svc
P=$(free_port)
py_service "$T_DIR/v1" v1
py_service "$T_DIR/v2" v2
zip_dir "$T_DIR/v1" "$T_DIR/v1.zip"
zip_dir "$T_DIR/v2" "$T_DIR/v2.zip"
upload "$FN" "$P" "$T_DIR/v1.zip"
check "v1 deployed" deployed "$FN"

serves() { curl -s --max-time 2 -H "Host: $FN.localhost" "$F_URL/" | grep -q "^v"; }
serves_port() { curl -s --max-time 2 "http://127.0.0.1:$P/" | grep -q "^v"; }
containers() { docker ps -aq --filter "label=faas.function=$FN" | wc -l; }
one_container() { [ "$(containers)" = 1 ]; }
one_image() { [ "$(docker images -q --filter "label=faas.function=$FN" | sort -u | wc -l)" = 1 ]; }

cid=$(fn_status "$FN" .id)
docker kill "$cid" >/dev/null
check "a container killed from outside is restarted" wait_for "serving again" 30 serves
docker stop -t 1 "$cid" >/dev/null
check "a container stopped from outside is restarted" wait_for "serving again" 30 serves
docker rm -f "$cid" >/dev/null
check "a container removed from outside is replaced" wait_for "serving again" 30 serves
check "on its port too" wait_for "port serving" 10 serves_port
new=$(fn_status "$FN" .id)
check "the record names the new container" test "$new" != "$cid" -a -n "$(docker ps -q --filter "id=$new")"
check "no container leaked" wait_for "one container" 10 one_container

# --- kill -9 of faas at moments of a deploy -----------------------------------------------
# While a new version builds and starts, the record's status stays "running" (the old version
# serves): the moments are read from the build's own state and its log.
building() { [ "$(fn_status "$FN" '.build.id + " " + .build.status')" = "$build building" ]; }
starting() {
    building && curl -s -H "Authorization: $F_KEY" "$F_URL/function/logs/$FN?source=build" | grep -q 'starting a container'
}
at_switch() { [ "$(fn_status "$FN" .status)" = running ] && [ "$(fn_status "$FN" .build.id)" = "$build" ]; }
for moment in building starting at_switch; do
    zip=$T_DIR/v2.zip
    [ "$(curl -s -H "Host: $FN.localhost" "$F_URL/" | cut -c1-2)" = v2 ] && zip=$T_DIR/v1.zip
    upload "$FN" "$P" "$zip"
    build=$(json .buildId)
    wait_for "$moment" 60 "$moment"
    kill -KILL "$F_PID"
    wait "$F_PID" 2>/dev/null
    faas_run rc || exit 1
    check "killed while $moment: serves again after a restart" wait_for "serving" 60 serves
    check "killed while $moment: on its port" wait_for "port" 30 serves_port
    settled() { local s; s=$(fn_status "$FN" .build.status); [ "$s" = succeeded ] || [ "$s" = failed ]; }
    check "killed while $moment: the build is not left 'building'" wait_for "settled" 30 settled
    check "killed while $moment: one container after reconcile" wait_for "one container" 30 one_container
    check "killed while $moment: one image after cleanup" wait_for "one image" 30 one_image
    check_eq "killed while $moment: the record names the running container" \
        "$(docker inspect -f '{{.State.Running}}' "$(fn_status "$FN" .id)")" true
done

# --- a restart of the Docker engine ---------------------------------------------------------
if [ "${FAAS_TEST_DOCKERD_RESTART:-1}" = 1 ] && [ -r /var/run/docker.pid ]; then
    dpid=$(cat /var/run/docker.pid)
    kill -TERM "$dpid"
    gone() { ! kill -0 "$dpid" 2>/dev/null; }
    wait_for "dockerd stopped" 60 gone
    "$(dirname "$0")/../../deps/docker.sh" >/dev/null
    check "after a restart of dockerd the service serves again" wait_for "serving" 60 serves
    check "on its port too" wait_for "port" 30 serves_port
    check "still one container" wait_for "one container" 30 one_container
    check_contains "faas noticed the engine went away" "$(cat "$F_LOG")" "events:"
fi

faas_stop TERM
check_eq "exit 0" "$F_RC" 0
t_done
