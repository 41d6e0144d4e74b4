#!/usr/bin/env bash
# bench/deploy.sh: `faas deploy` of a Python service (the `default` runtime), from the command
# to the new version answering, split into upload, build and start as the command line reports
# them, next to the same steps by hand with the docker CLI (docker build, docker run, curl until
# it answers), in interleaved rounds of the same run. Each round changes the code, so the COPY
# layer is rebuilt as in a real deploy; FROM is cached in both. Then `faas rollback` to the
# previous revision, timed the same way (no build: a container start and the switch).
# Not a pass/fail test: it prints medians and the ratio. Usage: test/bench/deploy.sh [ROUNDS]
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
ROUNDS=${1:-7}

faas_start_docker bench || exit 1
export FAAS_URL=$F_URL FAAS_KEY=$F_KEY
FN=$T_PREFIX-bench
answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@")" = 200 ]; }
# settled: faas retired the old version (one container left), so the next round does not share
# the engine with that removal.
one_container() { [ "$(docker ps -aq --filter "label=faas.function=$FN" | wc -l)" = 1 ]; }
settled() { wait_for "old version retired" 60 one_container || exit 1; }
docker network create "$T_PREFIX-cli" >/dev/null
mkdir -p "$T_DIR/code" "$T_DIR/cli"
printf 'FROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\nENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1\nCMD ["python3", "main.py"]\n' \
    >"$T_DIR/cli/Dockerfile"

# faas_round I: faas deploy, then the first answer of the new code through the subdomain.
faas_round() {
    py_service "$T_DIR/code" "round-$1"
    local t0 out
    t0=$(now_ms)
    out=$("$FAAS_BIN" deploy "$T_DIR/code" --name "$FN" 2>"$T_DIR/deploy.err") || { cat "$T_DIR/deploy.err"; exit 1; }
    first() { curl -s --max-time 1 -H "Host: $FN.localhost" "$F_URL/" | grep -q "^round-$1 "; }
    wait_for "round $1 served" 60 first "$1" || exit 1
    echo $(($(now_ms) - t0)) >>"$T_DIR/faas.ms"
    settled
    # "NAME deployed in 4.1s: upload 0.0s, build 2.9s, start 1.2s"
    sed -n 's/.*upload \([0-9.]*\)s, build \([0-9.]*\)s, start \([0-9.]*\)s.*/\1 \2 \3/p' <<<"$out" >>"$T_DIR/split"
}

# cli_round I: the same by hand.
cli_round() {
    py_service "$T_DIR/cli" "round-$1"
    local t0 cid ip
    t0=$(now_ms)
    docker build -q -t "$T_PREFIX-cli:$1" "$T_DIR/cli" >/dev/null 2>&1
    cid=$(docker run -d --network "$T_PREFIX-cli" --init -e PORT=8080 --name "$T_PREFIX-cli-$1" "$T_PREFIX-cli:$1")
    ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$T_PREFIX-cli\").IPAddress}}" "$cid")
    wait_for "cli round $1" 60 answers "http://$ip:8080/" || exit 1
    echo $(($(now_ms) - t0)) >>"$T_DIR/cli.ms"
    docker rm -f "$cid" >/dev/null
}

# rollback_round: faas rollback to the previous revision, then forward again (both timed to the answer).
rollback_round() {
    local t0
    t0=$(now_ms)
    "$FAAS_BIN" rollback "$FN" >/dev/null 2>&1 || { echo "rollback failed"; exit 1; }
    echo $(($(now_ms) - t0)) >>"$T_DIR/rollback.ms"
    settled
}

: >"$T_DIR/faas.ms"
: >"$T_DIR/cli.ms"
: >"$T_DIR/split"
: >"$T_DIR/rollback.ms"
faas_round 0 # warm both paths (the runtime's FROM is pulled into the cache once)
cli_round 0
: >"$T_DIR/faas.ms"
: >"$T_DIR/cli.ms"
: >"$T_DIR/split"
for i in $(seq 1 "$ROUNDS"); do
    if [ $((i % 2)) = 1 ]; then faas_round "$i"; cli_round "$i"; else cli_round "$i"; faas_round "$i"; fi
    rollback_round
    last=$("$FAAS_BIN" revisions "$FN" --json | jq '[.[].revision] | max')
    "$FAAS_BIN" rollback "$FN" "$last" >/dev/null 2>&1 || { echo "rollback to $last failed"; exit 1; }
    settled
done
docker network rm "$T_PREFIX-cli" >/dev/null

f=$(median <"$T_DIR/faas.ms")
c=$(median <"$T_DIR/cli.ms")
r=$(median <"$T_DIR/rollback.ms")
up=$(awk '{print $1 * 1000}' "$T_DIR/split" | median)
bu=$(awk '{print $2 * 1000}' "$T_DIR/split" | median)
st=$(awk '{print $3 * 1000}' "$T_DIR/split" | median)
echo "deploy to first answer of the new code, medians of $ROUNDS interleaved rounds:"
printf '  faas deploy (CLI: zip, upload, build, start, switch)  %6d ms   (all: %s)\n' "$f" "$(tr '\n' ' ' <"$T_DIR/faas.ms")"
printf '    of which upload %d ms, build %d ms, start %d ms (as faas deploy reports them)\n' "$up" "$bu" "$st"
printf '  by hand (docker build + docker run + curl)            %6d ms   (all: %s)\n' "$c" "$(tr '\n' ' ' <"$T_DIR/cli.ms")"
printf '  faas / by hand                                        %6.2f\n' "$(echo "$f / $c" | bc -l)"
printf '  faas rollback (no build: start and switch)            %6d ms   (all: %s)\n' "$r" "$(tr '\n' ' ' <"$T_DIR/rollback.ms")"
faas_stop TERM
