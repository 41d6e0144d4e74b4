#!/usr/bin/env bash
# bench/execute.sh: wall time of running a hello-world Python job through POST /api/execute,
# next to `docker run --rm` with the same sandbox flags on the same image, in the same run;
# serially and with 4 at once. faas is measured twice: with its pre-started containers
# (limits.warm, the default) and with them off (a fresh container made per call, as the CLI).
# Not a pass/fail test: it prints medians, p95 and the ratios.
# Usage: test/bench/execute.sh [CALLS]   (CALLS per series, default 40)
. "$(dirname "$0")/../e2e/lib.sh"
CALLS=${1:-40}
PAR=4

ms() { awk '{printf "%d\n", $1 * 1000}'; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "%d %d", a[int((NR+1)/2)], a[int(NR*0.95+0.999)]}'; }

# series NAME CMD...: runs CMD CALLS times serially, then CALLS times PAR at once; each run
# prints its seconds. Leaves NAME.serial and NAME.parallel in $T_DIR.
series() {
    local name=$1; shift
    export -f "$@" 2>/dev/null
    for _ in $(seq 1 "$CALLS"); do "$@"; done | ms >"$T_DIR/$name.serial"
    seq 1 "$CALLS" | xargs -P "$PAR" -I{} bash -c "$*" | ms >"$T_DIR/$name.parallel"
}

submit_hello() {
    printf 'import os\nprint("Hello, " + os.environ.get("NAME", "World") + "!")\n' >"$T_DIR/main.py"
    (cd "$T_DIR" && rm -f hello.zip && zip -q hello.zip main.py)
    http POST "$F_URL/api/submit" -H "Authorization: $F_KEY" -F "code=@$T_DIR/hello.zip" -F "name=$T_PREFIX-hello"
    [ "$H_STATUS" = 200 ] || { echo "submit answered $H_STATUS $H_BODY"; exit 1; }
    ID=$(json .functionId)
    IMAGE=$(json .imageId)
}

via_faas() {
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: $F_KEY" -H 'Content-Type: application/json' \
        -d "{\"functionId\":\"$ID\",\"input\":{\"name\":\"bench\"}}" "$F_URL/api/execute"
}

# The flags faas gives an execution container (src/job.c run_spec), on the docker CLI.
via_cli() {
    local t0=$(date +%s%N)
    docker run --rm --network none --read-only --tmpfs /tmp:rw,noexec,nosuid,size=64m --cap-drop ALL \
        --security-opt no-new-privileges --init --user 65534:65534 --memory 256m --memory-swap 256m --cpus 1 \
        --pids-limit 256 --log-opt max-size=16m --label faas.kind=bench -e NAME=bench "$IMAGE" >/dev/null
    echo "$(( ($(date +%s%N) - t0) / 1000 ))" | awk '{print $1 / 1000000}'
}
export F_KEY F_URL

# faas with pre-started containers (the default), then without.
faas_start_docker warm 'limits = { containers = 16 }' || exit 1
submit_hello
export ID IMAGE
for _ in 1 2 3; do via_faas >/dev/null; done
series faas_warm via_faas
faas_stop TERM
faas_start_docker cold 'limits = { containers = 16, warm = 0 }' || exit 1
submit_hello
export ID IMAGE
for _ in 1 2 3; do via_faas >/dev/null; done
series faas_cold via_faas
for _ in 1 2; do via_cli >/dev/null; done
series cli via_cli
faas_stop TERM

line() {
    local label=$1 file=$2 ref=$3
    read -r med p95 < <(stats <"$file")
    read -r rmed _ < <(stats <"$ref")
    printf '  %-44s median %5d ms  p95 %5d ms  median/CLI %5.2f\n' "$label" "$med" "$p95" "$(echo "$med / $rmed" | bc -l)"
}
echo "hello-world Python job, $CALLS calls per series (curl wall time; CLI: docker run --rm, same flags):"
for mode in serial parallel; do
    [ "$mode" = serial ] && echo " one at a time:" || echo " $PAR at once:"
    line "faas, pre-started container (limits.warm)" "$T_DIR/faas_warm.$mode" "$T_DIR/cli.$mode"
    line "faas, fresh container per call (warm = 0)" "$T_DIR/faas_cold.$mode" "$T_DIR/cli.$mode"
    line "docker run --rm" "$T_DIR/cli.$mode" "$T_DIR/cli.$mode"
done
