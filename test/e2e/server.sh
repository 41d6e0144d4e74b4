#!/usr/bin/env bash
# server.sh: the real faas binary over HTTP/1.1, h2c (prior knowledge and Upgrade) and
# HTTPS with ALPN (h2, http/1.1); passkey handling; JSON errors; CORS; body limits;
# the HTTP/1.1 whole-request deadline; garbage input. Needs a running Docker engine.
. "$(dirname "$0")/lib.sh"

# answers URL: faas answered /health (200, or 503 while the Docker engine does not answer: a
# liveness check that does not depend on the engine other tests may be restarting).
answers() { case $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1/health") in 200 | 503) return 0 ;; esac; return 1; }

# --- TLS material for this test only ---------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout "$T_DIR/key.pem" -out "$T_DIR/cert.pem" 2>/dev/null

faas_start main 'tls = { cert = "../cert.pem", key = "../key.pem", https_port = 0 }' || exit 1

# --- passfile --------------------------------------------------------------------------
check_eq "passfile created with mode 0600" "$(stat -c %a "$F_DIR/.passfile")" 600
check "passkey is a UUIDv4" grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "$F_DIR/.passfile"
check_contains "passkey printed on first start" "$(cat "$F_LOG")" "passcode, copy this somewhere to access the server later: $F_KEY"

# --- /health on every protocol ------------------------------------------------------------
http GET "$F_URL/health"
check_eq "GET /health over HTTP/1.1" "$H_STATUS" 200
check_eq "health status ok" "$(json .status)" ok
check_eq "health docker ok" "$(json .docker)" ok
check "health time is RFC 3339 UTC" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$(json .time)"
check_contains "JSON content type" "$H_HEADERS" "content-type: application/json"
check_not_contains "no Server header" "$H_HEADERS" "server:"
check_contains "Content-Length set" "$H_HEADERS" "content-length:"

check_eq "h2c with prior knowledge" "$(curl -s -o /dev/null -w '%{http_code} %{http_version}' --http2-prior-knowledge "$F_URL/health")" "200 2"
check_eq "h2c through Upgrade" "$(curl -s -o /dev/null -w '%{http_code} %{http_version}' --http2 "$F_URL/health")" "200 2"
check_eq "h2c Upgrade on a POST with a body" \
    "$(curl -s -o /dev/null -w '%{http_code} %{http_version}' --http2 -d 'x=1' -H "Authorization: $F_KEY" "$F_URL/nope")" "404 2"
check "https listener started" test -n "$F_HTTPS"
check_eq "HTTPS negotiates h2 through ALPN" \
    "$(curl -s -o /dev/null -w '%{http_code} %{http_version}' --cacert "$T_DIR/cert.pem" --http2 "$F_HTTPS/health")" "200 2"
check_eq "HTTPS still serves http/1.1" \
    "$(curl -s -o /dev/null -w '%{http_code} %{http_version}' --cacert "$T_DIR/cert.pem" --http1.1 "$F_HTTPS/health")" "200 1.1"
check_not_contains "no Server header over h2" \
    "$(curl -s -D - -o /dev/null --cacert "$T_DIR/cert.pem" --http2 "$F_HTTPS/health" | tr A-Z a-z)" "server:"
check_eq "HEAD /health has no body" "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$F_URL/health")" "200 0"

h2out=$(h2load -n 400 -c 4 -m 10 "$F_URL/health" 2>&1)
check_contains "h2load: 400 requests over h2c, all 2xx" "$h2out" "status codes: 400 2xx"

# --- passkey and errors -------------------------------------------------------------------
http GET "$F_URL/runtime/list"
check_eq "no Authorization: 401" "$H_STATUS" 401
check_eq "401 body" "$H_BODY" '{"error":"unauthorized","code":401}'
http GET "$F_URL/runtime/list" -H "Authorization: wrong-$F_KEY"
check_eq "wrong key: 401" "$H_STATUS" 401
http GET "$F_URL/runtime/list" -H "Authorization: ${F_KEY:0:20}"
check_eq "prefix of the key: 401" "$H_STATUS" 401
http GET "$F_URL/nope" -H "Authorization: $F_KEY"
check_eq "raw key accepted (unknown route -> 404)" "$H_STATUS" 404
check_eq "404 is JSON" "$(json .code)" 404
http GET "$F_URL/nope" -H "Authorization: Bearer $F_KEY"
check_eq "Bearer key accepted" "$H_STATUS" 404
http GET "$F_URL/nope" -H "Authorization: bearer $F_KEY"
check_eq "bearer (lower case) accepted" "$H_STATUS" 404
http POST "$F_URL/health"
check_eq "POST /health: 405" "$H_STATUS" 405
check_contains "405 names the allowed methods" "$H_HEADERS" "allow: get"
check_eq "405 details" "$(json .details)" "Only GET requests are accepted"
keep=$(curl -sv -H "Authorization: $F_KEY" "$F_URL/nope" "$F_URL/nope" 2>&1)
check_contains "keep-alive survives an error answer" "$keep" "Re-using existing connection"

# --- CORS -------------------------------------------------------------------------------
http OPTIONS "$F_URL/function/upload" -H 'Origin: http://example.com' -H 'Access-Control-Request-Method: POST'
check_eq "CORS preflight answered without the passkey" "$H_STATUS" 204
check_contains "preflight allows the origin" "$H_HEADERS" "access-control-allow-origin: *"
check_contains "preflight allows methods" "$H_HEADERS" "access-control-allow-methods:"

# --- garbage and hostile input never take the server down --------------------------------
port=${F_URL##*:}
for junk in 'GARBAGE\r\n\r\n' 'GET / HTTP/9.9\r\n\r\n' 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' \
    "$(head -c 70000 /dev/zero | tr '\0' 'A')\r\n\r\n" '\x16\x03\x01\x00\xff\x01'; do
    (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf "$junk" >&3 && timeout 2 cat <&3 >/dev/null) 2>/dev/null
done
printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\x01\x00\x00\x00\x00\x00' | timeout 2 curl -s -o /dev/null "telnet://127.0.0.1:$port" 2>/dev/null
check "server alive after garbage" answers "$F_URL"
check_eq "HTTPS alive after a plain-text client" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://${F_HTTPS#https://}/health"; curl -s -o /dev/null -w '%{http_code}' --cacert "$T_DIR/cert.pem" "$F_HTTPS/health")" "000200"

# --- restart: the passkey is kept and not printed again ------------------------------------
faas_stop TERM
check_eq "SIGTERM: exit 0" "$F_RC" 0
key_before=$F_KEY
faas_run main || exit 1
check_eq "same passkey after restart" "$F_KEY" "$key_before"
check_not_contains "passkey not printed again" "$(cat "$F_LOG")" "$F_KEY"
http GET "$F_URL/nope" -H "Authorization: $F_KEY"
check_eq "old key still accepted" "$H_STATUS" 404
faas_stop TERM

# --- request body limits and the HTTP/1.1 whole-request deadline ---------------------------
head -c 3000000 /dev/urandom >"$T_DIR/3mb.bin"
faas_start small 'limits = { max_body_size = "1m", max_file_size = "1k" }' || exit 1
http POST "$F_URL/health" --data-binary "@$T_DIR/3mb.bin"
check_eq "body over the limit: 413 over HTTP/1.1" "$H_STATUS" 413
check "server alive after 413" answers "$F_URL"
faas_stop TERM

head -c 1500000 /dev/urandom >"$T_DIR/slow.bin"
faas_start short 'server = { read_timeout = "1s" }' || exit 1
curl -s -o /dev/null --limit-rate 500K -H "Authorization: $F_KEY" -X POST --data-binary "@$T_DIR/slow.bin" "$F_URL/health"
rc=$?
check_eq "a 3 s upload is cut by read_timeout = 1s (curl: empty reply, send or recv error)" \
    "$((rc == 52 || rc == 55 || rc == 56))" 1
check "server alive after cutting it" answers "$F_URL"
faas_stop TERM
faas_start long 'server = { read_timeout = "20s" }' || exit 1
code=$(curl -s -o /dev/null -w '%{http_code}' --limit-rate 500K -H "Authorization: $F_KEY" -X POST --data-binary "@$T_DIR/slow.bin" "$F_URL/health")
check_eq "the same upload passes with read_timeout = 20s (body read, then 405)" "$code" 405
faas_stop TERM

# --- /health when the Docker engine does not answer -----------------------------------------
faas_start nodocker 'docker = { socket = "/nonexistent/docker.sock" }' || exit 1
check_contains "start-up warns that docker is unreachable, and starts anyway" "$(cat "$F_LOG")" \
    "docker unreachable at /nonexistent/docker.sock: No such file or directory (errno 2)"
http GET "$F_URL/health"
check_eq "GET /health without docker: 503" "$H_STATUS" 503
check_eq "docker reported unreachable" "$(json .docker)" unreachable
check_eq "status is not ok" "$(json .status)" unavailable
check "time still set" test -n "$(json .time)"
check_eq "h2c: 503 too" "$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge "$F_URL/health")" 503
faas_stop TERM
check_eq "exit 0 without docker" "$F_RC" 0

t_done
