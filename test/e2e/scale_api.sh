#!/usr/bin/env bash
# scale_api.sh: a function's own scale settings, memory and cpus through the API. Upload fields
# reach the record and are kept by a redeploy without them; PUT /function/scale/<name> changes
# them (any subset, null unsets one) and answers the record with the settings in force (own,
# then the scale hook, then the scale table); bad values are 400 naming the field and change
# nothing; an unknown function is 404; memory above limits.memory is refused at upload.
. "$(dirname "$0")/lib.sh"

faas_start_docker scale \
    'scale = { max = 2, window = "30s", hook = function(name) return { target = 7, concurrency = 3 } end }' || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-scale
py_service "$T_DIR/app" "scaled"
zip_dir "$T_DIR/app" "$T_DIR/app.zip"

get() { http GET "$F_URL/function/get/$1" "${AUTH[@]}"; }
put() { http PUT "$F_URL/function/scale/$1" "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary "$2"; }
own() { json '.scale | tojson'; } # of the record the last get read

# ---- upload fields ----
upload "$FN" 0 "$T_DIR/app.zip" -F scale_min=0 -F scale_max=3 -F scale_target=20 -F concurrency=5 \
    -F memory=128m -F cpus=0.5
check_eq "upload with scale fields, memory and cpus" "$H_STATUS" 200
check_eq "the answer's record has them" "$(json '.data.scale | tojson')" '{"min":0,"max":3,"target":20,"concurrency":5}'
check_eq "memory in bytes" "$(json .data.memory)" 134217728
check_eq "cpus as a number" "$(json .data.cpus)" 0.5
check "deployed" deployed "$FN"
get "$FN"
check_eq "GET shows the own settings" "$(json '.scale | tojson')" '{"min":0,"max":3,"target":20,"concurrency":5}'
check_eq "and memory" "$(json .memory)" 134217728
check_eq "and cpus" "$(json .cpus)" 0.5
check_eq "scaleInForce: own settings first" "$(json '.scaleInForce | [.min,.max,.target,.concurrency] | tojson')" '[0,3,20,5]'
check_eq "scaleInForce: the table's durations in ms" \
    "$(json '.scaleInForce | [.windowMs,.pauseAfterMs,.stopAfterMs,.wakeTimeoutMs,.queue] | tojson')" \
    '[30000,300000,3600000,60000,1000]'
check_eq "replicas is a list" "$(json '.replicas | type')" array

# ---- a redeploy without them keeps them ----
upload "$FN" 0 "$T_DIR/app.zip"
check_eq "redeploy without the fields" "$H_STATUS" 200
check "redeployed" deployed "$FN"
get "$FN"
check_eq "the scale settings are kept" "$(own)" '{"min":0,"max":3,"target":20,"concurrency":5}'
check_eq "memory is kept" "$(json .memory)" 134217728
check_eq "cpus are kept" "$(json .cpus)" 0.5

upload "$FN" 0 "$T_DIR/app.zip" -F scale_max=4 -F scale_target=
check_eq "redeploy with scale_max=4 and an empty scale_target" "$H_STATUS" 200
check "redeployed" deployed "$FN"
get "$FN"
check_eq "max replaced, target unset, the others kept" "$(own)" '{"min":0,"max":4,"target":null,"concurrency":5}'
check_eq "an unset target comes from the hook" "$(json .scaleInForce.target)" 7

# ---- bad upload fields: 400 naming the field, nothing changed ----
bad_upload() {
    local desc=$1 field=$2; shift 2
    upload "$FN" 0 "$T_DIR/app.zip" "$@"
    check_eq "upload $desc: 400" "$H_STATUS" 400
    check_eq "  as Invalid $field" "$(json .error)" "Invalid $field"
    check_contains "  naming $field" "$(json .details)" "$field: "
}
bad_upload "memory=300m (above limits.memory)" memory -F memory=300m
bad_upload "memory=lots" memory -F memory=lots
bad_upload "cpus=2 (above limits.cpus)" cpus -F cpus=2
bad_upload "scale_max=0" scale_max -F scale_max=0
bad_upload "scale_min=-1" scale_min -F scale_min=-1
bad_upload "scale_target=x" scale_target -F scale_target=x
bad_upload "scale_min=5 scale_max=4" scale_min -F scale_min=5 -F scale_max=4
get "$FN"
check_eq "the record is unchanged" "$(own)" '{"min":0,"max":4,"target":null,"concurrency":5}'
check_eq "memory unchanged" "$(json .memory)" 134217728
check_eq "no build was started" "$(json .build.status)" succeeded

# ---- PUT /function/scale/<name> ----
put "$FN" '{"min":1,"max":6,"target":30}'
check_eq "PUT min, max, target: 200" "$H_STATUS" 200
check_eq "answers the record with the new settings" "$(json '.scale | tojson')" '{"min":1,"max":6,"target":30,"concurrency":5}'
check_eq "and the settings in force" "$(json '.scaleInForce | [.min,.max,.target,.concurrency] | tojson')" '[1,6,30,5]'
get "$FN"
check_eq "the stored record changed" "$(own)" '{"min":1,"max":6,"target":30,"concurrency":5}'
put "$FN" '{"concurrency":null,"target":null}'
check_eq "PUT with nulls: 200" "$H_STATUS" 200
check_eq "null unsets, the others stay" "$(json '.scale | tojson')" '{"min":1,"max":6,"target":null,"concurrency":null}'
check_eq "then the hook's values are in force" "$(json '.scaleInForce | [.target,.concurrency] | tojson')" '[7,3]'
put "$FN" '{"max":null}'
check_eq "without an own max, the table's (2) is in force" "$(json .scaleInForce.max)" 2
put "$FN" '{}'
check_eq "an empty object: 200, nothing changes" "$H_STATUS $(json '.scale | tojson')" \
    '200 {"min":1,"max":null,"target":null,"concurrency":null}'
put "$FN" '{"min":0,"max":6}'
get "$FN"
BEFORE='{"min":0,"max":6,"target":null,"concurrency":null}'
check_eq "back to min 0, max 6" "$(own)" "$BEFORE"

bad_put() {
    local desc=$1 body=$2 field=$3
    put "$FN" "$body"
    check_eq "PUT $desc: 400" "$H_STATUS" 400
    check_contains "  names $field" "$(json .details)" "$field"
    get "$FN"
    check_eq "  the record is unchanged" "$(own)" "$BEFORE"
}
bad_put 'max 0' '{"max":0}' "max: 0 is out of range 1..1000"
bad_put 'min -1' '{"min":-1}' "min: -1 is out of range 0..1000"
bad_put 'target "x"' '{"target":"x"}' "target: must be a whole number or null"
bad_put 'target 1.5' '{"max":3,"target":1.5}' "target: must be a whole number"
bad_put 'an unknown key' '{"max":3,"replicas":2}' "replicas: unknown setting"
bad_put 'not an object' '[1,2]' "must be a JSON object"
bad_put 'a number' '3' "must be a JSON object"
bad_put 'not JSON' '{max:3' "not JSON"
bad_put 'min > max' '{"min":5,"max":4}' "min: 5 is above max 4"
bad_put 'min above the max it keeps' '{"min":7}' "min: 7 is above max 6"
put "$FN" ''
check_eq "PUT with an empty body: 400" "$H_STATUS" 400

put "$T_PREFIX-nope" '{"max":2}'
check_eq "PUT on an unknown function: 404" "$H_STATUS" 404
check_eq "  Function not found" "$(json .error)" "Function not found"
put "Bad_Name" '{"max":2}'
check_eq "PUT on a name that cannot be one: 404" "$H_STATUS" 404
http POST "$F_URL/function/scale/$FN" "${AUTH[@]}" -d '{"max":2}'
check_eq "POST is not allowed: 405" "$H_STATUS" 405
http PUT "$F_URL/function/scale/$FN" -d '{"max":2}'
check_eq "without the passkey: 401" "$H_STATUS" 401
get "$FN"
check_eq "the record is unchanged" "$(own)" "$BEFORE"

# The function still serves through all of this.
check_contains "it still serves" "$(curl -s -H "Host: $FN.localhost" "$F_URL/x")" "scaled /x"

faas_stop
check_eq "faas stops cleanly" "$F_RC" 0
t_done
