#!/usr/bin/env bash
# ui.sh: the dashboard at /ui/. With curl: the page and its files are public with strict security
# headers (CSP without inline script, nosniff, no framing), /ui redirects to /ui/, an unknown file
# is a JSON 404, the API stays 401 without a key, GET /config answers the resolved settings to a
# read key and nothing to no key. Then in headless Chromium (Debian's chromium, driven over the
# DevTools protocol by ui_driver.py): log in with #key=, see the function running, see a line it
# printed in the followed log, roll back to revision 1 with the button (and curl then gets v1),
# upload v3 through the deploy form (its build log streamed), run a job function with its execute
# form and see the invocation, the system page, a 375 px screen,
# a read key's disabled buttons, a refused key.
# Screenshots are kept in ${FAAS_TEST_OUT:-<the faas binary's folder>}/ui-screenshots.
. "$(dirname "$0")/lib.sh"

CHROME=$(command -v chromium || command -v chromium-browser)
PY=/usr/bin/python3
if [ -z "$CHROME" ] || ! "$PY" -c 'import websocket' 2>/dev/null; then
    fail "chromium and python3-websocket are installed (deps/packages.sh)"
    t_done
    exit 1
fi
UI_OUT=${FAAS_TEST_OUT:-$(cd "$(dirname "$FAAS_BIN")" && pwd)}/ui-screenshots
mkdir -p "$UI_OUT" && rm -f "$UI_OUT"/*.png

faas_start_docker ui || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-dash

# --- the page and its headers, without a key ------------------------------------------------
http GET "$F_URL/ui/"
check_eq "GET /ui/ without a key: 200" "$H_STATUS" 200
check_contains "it is the page" "$H_BODY" '<script src="app.js" defer></script>'
check_contains "text/html" "$H_HEADERS" "content-type: text/html; charset=utf-8"
check_contains "CSP: only this origin's scripts, no inline" "$H_HEADERS" "content-security-policy: default-src 'self'; script-src 'self'; style-src 'self'"
check_contains "CSP: no framing" "$H_HEADERS" "frame-ancestors 'none'"
check_contains "nosniff" "$H_HEADERS" "x-content-type-options: nosniff"
check_contains "X-Frame-Options: DENY" "$H_HEADERS" "x-frame-options: deny"
check_contains "revalidated, not stored forever" "$H_HEADERS" "cache-control: no-cache"
check_not_contains "no inline script in the page" "$H_BODY" "<script>"
ETAG=$(printf '%s\n' "$H_HEADERS" | sed -n 's/^etag: //p')
http GET "$F_URL/ui/" -H "If-None-Match: $ETAG"
check_eq "its ETag again: 304" "$H_STATUS" 304
for f in app.js:text/javascript metrics.js:text/javascript app.css:text/css index.html:text/html; do
    http GET "$F_URL/ui/${f%%:*}"
    check_eq "GET /ui/${f%%:*}: 200 ${f#*:}" "$H_STATUS $(printf '%s\n' "$H_HEADERS" | sed -n 's/^content-type: \([^;]*\).*/\1/p')" "200 ${f#*:}"
done
http GET "$F_URL/ui"
check_eq "/ui: 301" "$H_STATUS" 301
check_contains "to /ui/" "$H_HEADERS" "location: /ui/"
for p in nope.js a/app.js app.js/ .app.js; do
    http GET "$F_URL/ui/$p"
    check_eq "GET /ui/$p: 404" "$H_STATUS" 404
    check_eq "GET /ui/$p: a JSON error" "$(json .error)" "Not found"
done
for p in ../README.md %2e%2e/app.js; do # normalized to a path outside /ui/: the API's, which needs a key
    http GET "$F_URL/ui/$p" --path-as-is
    check_eq "GET /ui/$p: 401, nothing served" "$H_STATUS" 401
done
http POST "$F_URL/ui/app.js"
check_eq "POST /ui/app.js: 405" "$H_STATUS" 405
http GET "$F_URL/function/list"
check_eq "the API without a key: 401" "$H_STATUS" 401
http GET "$F_URL/config"
check_eq "GET /config without a key: 401" "$H_STATUS" 401

# --- GET /config ----------------------------------------------------------------------------
http POST "$F_URL/keys" "${AUTH[@]}" -d '{"name":"viewer","scope":"read"}'
check_eq "a read key: 201" "$H_STATUS" 201
READ_KEY=$(json .data.key)
http GET "$F_URL/config" -H "Authorization: Bearer $READ_KEY"
check_eq "GET /config with a read key: 200" "$H_STATUS" 200
check_eq "the domain, from the default" "$(json '.data[] | select(.name == "domain") | "\(.value) \(.origin)"')" "localhost default"
check_eq "the image prefix, from the file" "$(json '.data[] | select(.name == "docker.image_prefix") | "\(.value) \(.origin)"')" "$T_PREFIX file"
check_eq "the passfile's path" "$(json '.data[] | select(.name == "passfile") | .value')" "$F_DIR/.passfile"
check_eq "as many settings as faas check prints" "$(json '.data | length')" \
    "$(($(HOME=$F_DIR "$FAAS_BIN" check -c "$F_DIR/faas.conf.lua" | sed '/^$/q' | grep -c .) - 2))" # less its Config and header lines
check_not_contains "never the key" "$H_BODY" "$F_KEY"
http PUT "$F_URL/config" "${AUTH[@]}" -d '{}'
check_eq "PUT /config: 405" "$H_STATUS" 405

# --- a function with two revisions ---------------------------------------------------------
for v in v1 v2 v3; do
    py_service "$T_DIR/$v" $v
    zip_dir "$T_DIR/$v" "$T_DIR/$v.zip"
done
upload "$FN" 0 "$T_DIR/v1.zip" -F scale_min=1
check "v1 deployed" deployed "$FN"
upload "$FN" 0 "$T_DIR/v2.zip"
check "v2 deployed" deployed "$FN"
check_contains "v2 serves" "$(curl -s --max-time 5 -H "Host: $FN.localhost" "$F_URL/")" "v2 /"

JOB=$T_PREFIX-greet
mkdir -p "$T_DIR/job"
printf '%s\n' 'import os' 'print("Hello, " + os.environ.get("NAME", "World") + "!")' >"$T_DIR/job/main.py"
zip_dir "$T_DIR/job" "$T_DIR/job.zip"
http POST "$F_URL/api/submit" "${AUTH[@]}" -F "code=@$T_DIR/job.zip" -F "name=$JOB"
check_eq "a job function submitted" "$H_STATUS" 200

# --- the dashboard in headless Chromium ------------------------------------------------------
CDP=$(free_port)
"$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --no-default-browser-check \
    --disable-extensions --remote-debugging-address=127.0.0.1 --remote-debugging-port="$CDP" --remote-allow-origins='*' \
    --user-data-dir="$T_DIR/chrome" --window-size=1280,900 about:blank >"$T_DIR/chrome.log" 2>&1 &
CHROME_PID=$!
T_PIDS+=("$CHROME_PID")
if wait_for "chromium's DevTools" 60 curl -sf "http://127.0.0.1:$CDP/json/version"; then
    while IFS= read -r line; do
        case $line in
        "ok   "*) pass "${line#ok   }" ;;
        "FAIL "*) fail "${line#FAIL }" ;;
        *) echo "$line" ;;
        esac
    done < <(CDP_PORT=$CDP UI_URL=$F_URL UI_KEY=$F_KEY UI_READ_KEY=$READ_KEY UI_FN=$FN UI_JOB=$JOB UI_OUT=$UI_OUT UI_ZIP3=$T_DIR/v3.zip \
        UI_METRICS_CHECK="$(dirname "$0")/../ui/metrics_check.js" timeout 400 "$PY" "$(dirname "$0")/ui_driver.py" 2>&1)
else
    fail "chromium started" "$(tail -n 5 "$T_DIR/chrome.log")"
fi
kill "$CHROME_PID" 2>/dev/null
wait_for "chromium stopped" 20 bash -c "! kill -0 $CHROME_PID"
check_contains "after the dashboard's rollback and deploy, curl gets v3" "$(curl -s --max-time 5 -H "Host: $FN.localhost" "$F_URL/")" "v3 /"
check_eq "the revisions: 1 rolled back to, then 3 deployed and current" \
    "$(curl -s "${AUTH[@]}" "$F_URL/function/revisions/$FN" | jq -c '[.data[] | "\(.revision):\(.current)"]')" '["3:true","2:false","1:false"]'

for s in functions function function-rollback deploy system job functions-phone function-phone function-read deploy-read \
    login-refused; do
    check "screenshot $s.png saved" test -s "$UI_OUT/$s.png"
done
echo "screenshots in $UI_OUT"

faas_stop
check_eq "faas exits 0" "$F_RC" 0
t_done
