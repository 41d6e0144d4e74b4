#!/usr/bin/env bash
# diskfull.sh: data_dir on a small tmpfs that fills up. Writes then fail with a clear 507 naming
# the full disk (runtime uploads, function uploads, job submits), reads keep answering, nothing
# half-written stays behind, and once space returns faas works again without a restart; a
# restart afterwards finds every record intact (LMDB not corrupted by the failed commits).
. "$(dirname "$0")/lib.sh"

DISK=$T_DIR/disk
mkdir -p "$DISK"
if ! mount -t tmpfs -o size=48m tmpfs "$DISK" 2>/dev/null; then
    echo "skip: cannot mount a tmpfs here (needs root)"
    exit 0
fi
umount_disk() { umount "$DISK" 2>/dev/null; }
trap 'umount_disk; t_cleanup' EXIT

faas_start_docker full "data_dir = \"$DISK/data\"" || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-full
PORT=$(free_port)
py_service "$T_DIR/app" v1
zip_dir "$T_DIR/app" "$T_DIR/app.zip"

rt_upload() {
    http POST "$F_URL/runtime/upload/$1" "${AUTH[@]}" -F "file=@-;filename=Dockerfile" <<<$'FROM python:3.11-slim\nCMD ["python3","main.py"]'
}
rt_upload "$T_PREFIX-before"
check_eq "a runtime upload with space" "$H_STATUS" 200
upload "$FN" "$PORT" "$T_DIR/app.zip"
check "a function deploys with space" deployed "$FN"

# --- fill the disk ---------------------------------------------------------------------------
dd if=/dev/zero of="$DISK/filler" bs=1M count=64 >/dev/null 2>&1
check_eq "the disk is full" "$(df --output=avail -B1 "$DISK" | tail -n 1 | tr -d ' ')" 0
runtimes_before=$(ls "$DISK/data/runtimes" | sort)

rt_upload "$T_PREFIX-during"
check_eq "runtime upload on a full disk: 507" "$H_STATUS $(json .code)" "507 507"
check_contains "says the disk is full" "$(json .error) $(json .details)" "no space left"
check_eq "no file left behind" "$(ls "$DISK/data/runtimes" | sort)" "$runtimes_before"
http GET "$F_URL/runtime/show/$T_PREFIX-during" "${AUTH[@]}"
check_eq "and no record" "$H_STATUS" 404

# The store may still have room inside its file (LMDB reuses freed pages): records with a large
# env go in until the file must grow, and that write must fail cleanly.
env=$(for i in $(seq 60); do printf 'V%d=%0900d\n' "$i" 0; done)
full_at=""
for i in $(seq 1 40); do
    http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$T_PREFIX-big$i" -F "tag=$T_PREFIX-big$i:1" \
        -F "runtime=$T_PREFIX-before" -F "env=$env" -F "file=@$T_DIR/app.zip"
    [ "$H_STATUS" = 200 ] && continue
    full_at=$i
    break
done
check "a store write finally meets the full disk" test -n "$full_at"
check_eq "function upload on a full disk: 507" "$H_STATUS $(json .code)" "507 507"
check_contains "says the disk is full" "$(json .error) $(json .details)" "full"
http GET "$F_URL/function/get/$T_PREFIX-big$full_at" "${AUTH[@]}"
check_eq "and no record of it" "$H_STATUS" 404
http GET "$F_URL/runtime/list" "${AUTH[@]}"
check_eq "reads still answer" "$H_STATUS" 200
http GET "$F_URL/function/get/$FN" "${AUTH[@]}"
check_eq "the function's record reads" "$H_STATUS $(json .status)" "200 running"
check_contains "and it still serves" "$(curl -s -H "Host: $FN.localhost" "$F_URL/full")" "v1 /full"
check "faas is alive" kill -0 "$F_PID"

# --- space returns --------------------------------------------------------------------------
rm -f "$DISK/filler"
rt_upload "$T_PREFIX-after"
check_eq "runtime upload once space returns" "$H_STATUS" 200
for i in $(seq 1 "${full_at:-0}"); do # the deploys of the big ones end (their builds need no disk of ours)
    wait_for "deploy of big$i" 120 build_done "$T_PREFIX-big$i" >/dev/null
done
upload "$T_PREFIX-new" "$(free_port)" "$T_DIR/app.zip"
check_eq "function upload once space returns" "$H_STATUS" 200
check "it deploys" deployed "$T_PREFIX-new"

# --- a restart finds everything -----------------------------------------------------------------
faas_stop
check_eq "stops cleanly" "$F_RC" 0
faas_run full || exit 1
AUTH=(-H "Authorization: $F_KEY")
http GET "$F_URL/runtime/list" "${AUTH[@]}"
for rt in "$T_PREFIX-before" "$T_PREFIX-after"; do check_contains "after a restart: runtime $rt" "$H_BODY" "\"$rt\""; done
check_not_contains "after a restart: not the refused one" "$H_BODY" "$T_PREFIX-during"
for fn in "$FN" "$T_PREFIX-new"; do
    check "after a restart: $fn serves" wait_for "$fn serves" 30 bash -c "curl -s -H 'Host: $fn.localhost' $F_URL/x | grep -q 'v1 /x'"
done
for fn in "$FN" "$T_PREFIX-new" $(seq -f "$T_PREFIX-big%g" 1 "${full_at:-0}"); do
    http DELETE "$F_URL/function/delete/$fn" "${AUTH[@]}"
done
faas_stop
t_done
