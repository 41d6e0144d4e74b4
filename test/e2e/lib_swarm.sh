# test/e2e/lib_swarm.sh: what the swarm test and benchmark share, sourced after lib.sh: a swarm on
# the engine for the script's length (made only when the engine is in none, left only then), and a
# clean-up that ends faas before it removes the script's services (faas would make them again).
SWARM_INITED=0
SWARM_GWBRIDGE_BEFORE=0

# swarm_up ADDR: makes the engine a swarm manager advertising ADDR, unless it is in a swarm already.
swarm_up() {
    docker network inspect docker_gwbridge >/dev/null 2>&1 && SWARM_GWBRIDGE_BEFORE=1
    [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = inactive ] || return 0
    docker swarm init --advertise-addr "$1" >/dev/null || { echo "cannot init a swarm on $1"; return 1; }
    SWARM_INITED=1
}

# swarm_cleanup: this script's faas processes killed, its services (named $T_PREFIX-...) removed,
# then lib.sh's clean-up, then the swarm left if swarm_up made it.
swarm_cleanup() {
    local ids pid
    for pid in "${T_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    ids=$(docker service ls -q --filter "name=${T_PREFIX}-" 2>/dev/null)
    [ -n "$ids" ] && docker service rm $ids >/dev/null 2>&1
    t_cleanup
    if [ "$SWARM_INITED" = 1 ]; then
        docker swarm leave --force >/dev/null 2>&1
        [ "$SWARM_GWBRIDGE_BEFORE" = 1 ] || docker network rm docker_gwbridge >/dev/null 2>&1
    fi
    return 0
}

# swarm_registry_config ADDR: writes $T_DIR/registry/config.yml for Debian's docker-registry
# listening on ADDR (host:port), its storage in $T_DIR/registry/data.
swarm_registry_config() {
    mkdir -p "$T_DIR/registry"
    cat >"$T_DIR/registry/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $T_DIR/registry/data
http:
  addr: $1
YML
}
