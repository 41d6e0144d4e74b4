#!/usr/bin/env bash
# bench/deploy.sh: time from uploading a Python service (the `default` runtime) to its first
# served request through faas, next to the same steps done by hand with the docker CLI
# (docker build, docker run, curl until it answers) in the same run. Each round changes the
# code, so the COPY layer is rebuilt as in a real deploy; FROM is cached in both cases.
# Not a pass/fail test: it prints medians and the ratio. Usage: test/bench/deploy.sh [ROUNDS]
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
ROUNDS=${1:-7}

faas_start_docker bench || exit 1
FN=$T_PREFIX-bench
PORT=$(free_port)
answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@")" = 200 ]; }

: >"$T_DIR/faas.ms"
for i in $(seq 1 "$ROUNDS"); do
    py_service "$T_DIR/code" "round-$i"
    zip_dir "$T_DIR/code" "$T_DIR/code.zip"
    t0=$(now_ms)
    upload "$FN" "$PORT" "$T_DIR/code.zip"
    [ "$H_STATUS" = 200 ] || { echo "round $i: upload answered $H_STATUS $H_BODY"; exit 1; }
    first_answer() { curl -s --max-time 1 -H "Host: $FN.localhost" "$F_URL/" | grep -q "^round-$i "; }
    wait_for "round $i served" 120 first_answer || exit 1
    echo $(($(now_ms) - t0)) >>"$T_DIR/faas.ms"
    wait_for "round $i settled" 60 build_done "$FN"
done

# The same by hand: a Dockerfile like the default runtime's, build, run on a network, poll.
docker network create "$T_PREFIX-cli" >/dev/null
: >"$T_DIR/cli.ms"
for i in $(seq 1 "$ROUNDS"); do
    py_service "$T_DIR/cli" "round-$i"
    printf 'FROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\nENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1\nCMD ["python3", "main.py"]\n' \
        >"$T_DIR/cli/Dockerfile"
    t0=$(now_ms)
    docker build -q -t "$T_PREFIX-cli:$i" "$T_DIR/cli" >/dev/null 2>&1
    cid=$(docker run -d --network "$T_PREFIX-cli" --init -e PORT=8080 --name "$T_PREFIX-cli-$i" "$T_PREFIX-cli:$i")
    ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$T_PREFIX-cli\").IPAddress}}" "$cid")
    wait_for "cli round $i" 120 answers "http://$ip:8080/" || exit 1
    echo $(($(now_ms) - t0)) >>"$T_DIR/cli.ms"
    docker rm -f "$cid" >/dev/null
done
docker network rm "$T_PREFIX-cli" >/dev/null

f=$(median <"$T_DIR/faas.ms")
c=$(median <"$T_DIR/cli.ms")
echo "upload to first served request, median of $ROUNDS rounds:"
printf '  faas (POST /function/upload, subdomain)      %6d ms   (all: %s)\n' "$f" "$(tr '\n' ' ' <"$T_DIR/faas.ms")"
printf '  by hand (docker build + run + curl, CLI)     %6d ms   (all: %s)\n' "$c" "$(tr '\n' ' ' <"$T_DIR/cli.ms")"
printf '  faas / by hand                               %6.2f\n' "$(echo "$f / $c" | bc -l)"
faas_stop TERM
