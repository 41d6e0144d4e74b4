#!/usr/bin/env bash
# proxy.sh: function traffic through faas against the real engine: HTTP/1.1, h2c and h2 over
# TLS; path and query intact; forwarded headers (X-Forwarded-*, Forwarded, X-Real-IP) and the
# passkey; 20 MB uploads and 50 MB downloads arrive intact; chunked answers; websockets; 502,
# 503 and 504 as JSON; the route hook for a custom domain and a path prefix, and hooks that
# fail. Attacks on function traffic are in proxy_abuse.sh.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
FN=$T_PREFIX-app
P=$(free_port)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=$FN.localhost" \
    -addext "subjectAltName=DNS:$FN.localhost" -keyout "$T_DIR/key.pem" -out "$T_DIR/cert.pem" 2>/dev/null
faas_start_docker px 'limits = { upstream_timeout = "2s" }' \
    'tls = { cert = "../cert.pem", key = "../key.pem", https_port = 0 }' \
    'local faas = require "faas"' \
    "local by_table = faas.routes{ hosts = { [\"api.example.org\"] = \"$FN\" }, prefixes = { [\"/billing/\"] = \"$FN\" } }" \
    'function route(host, path, method)
       if host == "boom.example.org" then error("this hook fails on purpose") end
       if host == "loop.example.org" then while true do end end
       return by_table(host, path, method)
     end' || exit 1
AUTH=(-H "Authorization: $F_KEY")
H=(-H "Host: $FN.localhost")
TLSPORT=${F_HTTPS##*:}

zip_dir "$HERE/fixtures/proxyapp" "$T_DIR/app.zip"
upload "$FN" "$P" "$T_DIR/app.zip"
check "the upstream app deployed" deployed "$FN"

# --- routing and headers ------------------------------------------------------------------
http GET "$F_URL/echo/a%20b/c?x=1&y=2&x=3" "${H[@]}" -H "X-Forwarded-For: 6.6.6.6" -H "X-Forwarded-Host: evil" \
    "${AUTH[@]}" -H "Cookie: a=1" -H "X-Custom: kept"
check_eq "HTTP/1.1: 200" "$H_STATUS" 200
check_eq "path and query unchanged (not doubled)" "$(json .path)" "/echo/a%20b/c?x=1&y=2&x=3"
check_eq "Host preserved" "$(json .headers.host)" "$FN.localhost"
check_eq "X-Forwarded-For from the real connection" "$(json '.headers["x-forwarded-for"]')" 127.0.0.1
check_eq "X-Forwarded-Proto http" "$(json '.headers["x-forwarded-proto"]')" http
check_eq "X-Forwarded-Host from the request" "$(json '.headers["x-forwarded-host"]')" "$FN.localhost"
check_eq "the passkey is not forwarded" "$(json '.headers.authorization')" null
check_eq "other headers are" "$(json '.headers["x-custom"]')" kept
check_eq "no hop-by-hop headers leak" "$(json '.headers["connection"] // "none"')" none
http GET "$F_URL/echo" "${H[@]}" -H "Authorization: Bearer user-token"
check_eq "an Authorization that is not the passkey is forwarded" "$(json '.headers.authorization')" "Bearer user-token"
out=$(curl -s --http2-prior-knowledge "${H[@]}" -H "Cookie: a=1" -H "Cookie: b=2" "$F_URL/echo/h2c?q=1")
check_eq "h2c: path" "$(jq -r .path <<<"$out")" "/echo/h2c?q=1"
check_eq "h2c: split cookies arrive as one header" "$(jq -r .headers.cookie <<<"$out")" "a=1; b=2"
out=$(curl -s --http2 --cacert "$T_DIR/cert.pem" --resolve "$FN.localhost:$TLSPORT:127.0.0.1" -w '\n%{http_version}' \
    "https://$FN.localhost:$TLSPORT/echo/tls?z=9")
check_eq "h2 over TLS: version" "$(tail -n 1 <<<"$out")" 2
check_eq "h2 over TLS: path" "$(head -n 1 <<<"$out" | jq -r .path)" "/echo/tls?z=9"
check_eq "h2 over TLS: X-Forwarded-Proto https" "$(head -n 1 <<<"$out" | jq -r '.headers["x-forwarded-proto"]')" https
check_eq "h2 over TLS: Forwarded is faas's own, proto https" "$(head -n 1 <<<"$out" | jq -r .headers.forwarded)" \
    "for=127.0.0.1;host=\"$FN.localhost:$TLSPORT\";proto=https"
check_eq "h2 over TLS: X-Real-IP" "$(head -n 1 <<<"$out" | jq -r '.headers["x-real-ip"]')" 127.0.0.1
check_eq "on its loopback port, whatever the Host" \
    "$(curl -s -H 'Host: other.example' "http://127.0.0.1:$P/echo/p" | jq -r .path)" "/echo/p"
http GET "$F_URL/echo" -H "Host: nope-$T_PREFIX.localhost"
check_eq "an unknown function: 404 JSON" "$H_STATUS $(json .error)" "404 Function not found"

# --- bodies both ways ------------------------------------------------------------------------
head -c 20000000 /dev/urandom >"$T_DIR/20mb"
want=$(sha256sum "$T_DIR/20mb" | cut -d' ' -f1)
check_eq "20 MB POST over HTTP/1.1 arrives intact" \
    "$(curl -s "${H[@]}" --data-binary "@$T_DIR/20mb" "$F_URL/sha" | jq -r .sha256)" "$want"
check_eq "... sent chunked" \
    "$(curl -s "${H[@]}" -H 'Transfer-Encoding: chunked' --data-binary "@$T_DIR/20mb" "$F_URL/sha" | jq -r .sha256)" "$want"
check_eq "... over h2c" \
    "$(curl -s --http2-prior-knowledge "${H[@]}" --data-binary "@$T_DIR/20mb" "$F_URL/sha" | jq -r .sha256)" "$want"
big=$(python3 -c "import hashlib; b=hashlib.sha256(b'faas').digest()*(1<<15); h=hashlib.sha256(); [h.update(b) for _ in range(50)]; print(h.hexdigest())")
check_eq "50 MB response over HTTP/1.1 arrives intact" "$(curl -s "${H[@]}" "$F_URL/big?mb=50" | sha256sum | cut -d' ' -f1)" "$big"
check_eq "... over h2c" "$(curl -s --http2-prior-knowledge "${H[@]}" "$F_URL/big?mb=50" | sha256sum | cut -d' ' -f1)" "$big"
check_eq "... to a slow client (backpressure)" \
    "$(curl -s --limit-rate 20M "${H[@]}" "$F_URL/big?mb=50" | sha256sum | cut -d' ' -f1)" "$big"
check_eq "a chunked answer" "$(curl -s "${H[@]}" "$F_URL/chunked")" "piece-0;piece-1;piece-2;piece-3;piece-4;"
check_eq "HEAD" "$(curl -s -I -o /dev/null -w '%{http_code}' "${H[@]}" "$F_URL/echo")" 501

# --- websockets --------------------------------------------------------------------------------
out=$(python3 "$HERE/wsclient.py" 127.0.0.1 "${F_URL##*:}" /ws "$FN.localhost" hello world)
check_eq "websocket through the subdomain" "$out" $'HTTP/1.1 101 Switching Protocols\necho:hello\necho:world'
out=$(python3 "$HERE/wsclient.py" 127.0.0.1 "$P" /ws x again)
check_eq "websocket on its loopback port" "$out" $'HTTP/1.1 101 Switching Protocols\necho:again'

# --- the route hook --------------------------------------------------------------------------
check_eq "route hook: a custom domain" "$(curl -s -H 'Host: api.example.org' "$F_URL/echo/custom" | jq -r .path)" "/echo/custom"
check_eq "route hook: a path prefix on any host, path unchanged" \
    "$(curl -s -H 'Host: www.example.com' "$F_URL/billing/x?y=1" | jq -r .path)" "/billing/x?y=1"
http GET "$F_URL/echo" -H "Host: boom.example.org"
check_eq "a hook that errors is treated as no route" "$H_STATUS $(json .error)" "404 Function not found"
check "... and logged" grep -q "policy hook route failed: .*this hook fails on purpose" "$F_LOG"
http GET "$F_URL/echo" -H "Host: loop.example.org"
check_eq "a hook that never ends is stopped by its budget" "$H_STATUS" 404
check "... and logged" grep -q "instruction budget exceeded" "$F_LOG"
check_eq "the API still answers on other hosts" "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$F_URL/function/list")" 200

# --- an HTTP/1.1 client while its request is answered (forward.c parks its socket) --------------
C=("$HERE/h1client.py")
check_eq "pipelined: three answers in order" "$(/usr/bin/python3 "${C[@]}" pipelined 127.0.0.1 "${F_URL##*:}" "$FN.localhost" | tr '\n' ' ')" \
    "200 /echo/p1 200 /echo/p2 200 /echo/p3 "
check_eq "pipelined over TLS" "$(/usr/bin/python3 "${C[@]}" pipelined 127.0.0.1 "$TLSPORT" "$FN.localhost" tls | tr '\n' ' ')" \
    "200 /echo/p1 200 /echo/p2 200 /echo/p3 "
check_eq "a request sent while the one before is answered waits its turn" \
    "$(/usr/bin/python3 "${C[@]}" late 127.0.0.1 "${F_URL##*:}" "$FN.localhost" | tr '\n' ' ')" "504 - 200 /echo/late "
check_eq "the same over TLS" "$(/usr/bin/python3 "${C[@]}" late 127.0.0.1 "$TLSPORT" "$FN.localhost" tls | tr '\n' ' ')" \
    "504 - 200 /echo/late "
check_eq "a client that half-closes after its request gets the answer" \
    "$(/usr/bin/python3 "${C[@]}" halfclose 127.0.0.1 "${F_URL##*:}" "$FN.localhost")" "200 /echo/hc"
/usr/bin/python3 "${C[@]}" leave 127.0.0.1 "${F_URL##*:}" "$FN.localhost"
/usr/bin/python3 "${C[@]}" leave 127.0.0.1 "$TLSPORT" "$FN.localhost" tls
check_eq "clients that leave mid-request disturb nobody" "$(curl -s "${H[@]}" "$F_URL/echo/x" "$F_URL/echo/y" | jq -r .path | tr '\n' ' ')" \
    "/echo/x /echo/y "

# --- failures: JSON, distinct codes, nobody else disturbed ------------------------------------
curl -s -o "$T_DIR/slow.out" -w '%{http_code} %{time_total}' "${H[@]}" "$F_URL/slow" >"$T_DIR/slow.code" &
slow=$!
check_eq "while one request waits, others are served" "$(curl -s "${H[@]}" "$F_URL/echo/x" | jq -r .path)" "/echo/x"
wait "$slow"
check_eq "past limits.upstream_timeout: 504" "$(cut -d' ' -f1 <"$T_DIR/slow.code")" 504
check_eq "504 is JSON" "$(jq -r .error <"$T_DIR/slow.out")" "Gateway timeout"
check "cut at about 2 s, not after 10" test "$(cut -d' ' -f2 <"$T_DIR/slow.code" | cut -d. -f1)" -lt 6
http GET "$F_URL/reset" "${H[@]}"
check_eq "a container that closes without answering: 502" "$H_STATUS $(json .error)" "502 Bad gateway"
http GET "$F_URL/echo/after" "${H[@]}"
check_eq "the next request is fine" "$H_STATUS" 200

BUILDING=$T_PREFIX-building
http POST "$F_URL/runtime/upload/$T_PREFIX-slow" "${AUTH[@]}" -F "file=@-;filename=Dockerfile" \
    <<<$'FROM python:3.11-slim\nRUN sleep 5\nWORKDIR /app\nCOPY . /app\nCMD ["python3", "main.py"]'
http POST "$F_URL/function/upload" "${AUTH[@]}" -F "name=$BUILDING" -F "tag=$BUILDING:1" -F "runtime=$T_PREFIX-slow" \
    -F "port=$(free_port)" -F "file=@$T_DIR/app.zip"
http GET "$F_URL/echo" -H "Host: $BUILDING.localhost"
check_eq "building for the first time: 503" "$H_STATUS $(json .error)" "503 Function unavailable"
check_contains "with Retry-After" "$H_HEADERS" "retry-after: 5"
check "it comes up" deployed "$BUILDING"
check_eq "then serves" "$(curl -s -H "Host: $BUILDING.localhost" "$F_URL/echo/up" | jq -r .path)" "/echo/up"

curl -s "${H[@]}" "$F_URL/unlisten" >/dev/null
http GET "$F_URL/echo" "${H[@]}"
check_eq "a container that refuses connections: 502" "$H_STATUS $(json .error)" "502 Bad gateway"
check_contains "saying so" "$(json .details)" "cannot connect to the function's container"
check_eq "other functions are not disturbed" "$(curl -s -H "Host: $BUILDING.localhost" "$F_URL/echo/ok" | jq -r .path)" "/echo/ok"

faas_stop TERM
check_eq "exit 0" "$F_RC" 0
t_done
