#!/usr/bin/env bash
# build_log_cap.sh: a build that prints far more than the build-log cap (20 MB): the stored log
# is the cap plus faas's note (and its own few closing lines), the note comes once, and the
# build still succeeds, or fails, on its own merits.
. "$(dirname "$0")/lib.sh"

faas_start_docker blog || exit 1
AUTH=(-H "Authorization: $F_KEY")
py_service "$T_DIR/app" loud
zip_dir "$T_DIR/app" "$T_DIR/app.zip"

runtime() { # NAME RUN-LINE
    http POST "$F_URL/runtime/upload/$1" "${AUTH[@]}" -F "file=@-;filename=Dockerfile" <<<"FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN $2
CMD [\"python3\", \"main.py\"]"
    check_eq "runtime $1" "$H_STATUS" 200
}
deploy() { # NAME RUNTIME
    http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$1" -F "tag=$1:1" -F "runtime=$2" -F "file=@$T_DIR/app.zip"
    check_eq "upload $1" "$H_STATUS" 200
    wait_for "build of $1" 300 build_done "$1"
}
build_log() { curl -s "${AUTH[@]}" "$F_URL/function/logs/$1?source=build" >"$T_DIR/$1.log"; }
# check_capped NAME: the log holds the cap's worth of Docker's output, the note once, little more.
check_capped() {
    build_log "$1"
    local size cap
    size=$(stat -c %s "$T_DIR/$1.log")
    cap=$(grep -ao 'faas: build log cut at [0-9]* bytes; the build goes on' "$T_DIR/$1.log" | grep -o '[0-9]*')
    check_eq "$1: the note, once" "$(grep -ac 'faas: build log cut at' "$T_DIR/$1.log")" 1
    check "$1: the log is at least the cap ($size bytes)" test "$size" -ge "${cap:-0}"
    check "$1: and at most the cap plus 4 KiB of faas's lines ($size bytes)" test "$size" -le $((${cap:-0} + 4096))
    check "$1: the cap is a few MiB, far below the 20 MB printed" test "${cap:-0}" -ge 1048576 -a "${cap:-0}" -le 8388608
}

OK=$T_PREFIX-loud
runtime "$T_PREFIX-loud" 'yes | head -c 20000000'
deploy "$OK" "$T_PREFIX-loud"
check_eq "the build succeeds all the same" "$(fn_status "$OK" .build.status)" succeeded
check_capped "$OK"
check_contains "faas's own lines come after the cut" "$(tail -c 2000 "$T_DIR/$OK.log")" "switching traffic"
check_contains "and it serves" "$(curl -s -H "Host: $OK.localhost" "$F_URL/")" "loud /"

BAD=$T_PREFIX-loudfail
runtime "$T_PREFIX-loudfail" 'yes | head -c 20000000; exit 3'
deploy "$BAD" "$T_PREFIX-loudfail"
check_eq "a build failing after the cut fails" "$(fn_status "$BAD" .build.status)" failed
check_contains "with Docker's reason" "$(fn_status "$BAD" .build.error)" "returned a non-zero code: 3"
check_capped "$BAD"
check_contains "its log ends with why" "$(tail -c 2000 "$T_DIR/$BAD.log")" "faas: deploy failed"

faas_stop TERM
check_eq "exit 0" "$F_RC" 0
t_done
