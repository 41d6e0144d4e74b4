#!/usr/bin/env bash
# proxy_abuse.sh: function traffic that attacks faas (issue 11), each case fed with the exact bad
# input through raw HTTP/2 frames (h2abuse.py, Debian's python3-h2/hpack) or curl:
# - HPACK amplification: a 4000-byte header referenced 100,000 times -> GOAWAY before libh2o decodes
#   it (also on 50 streams whose bodies are pending), 200 times -> 431; faas's RSS stays low;
# - a function answering status 000 or 1000 to an HTTP/2 client -> 502, faas stays up;
# - spaces or control characters in :path, a :method that is not a token -> 400 before routing;
# - hop-by-hop headers named in Connection are dropped; Forwarded and X-Real-IP are faas's own;
# - Rapid Reset: HEADERS+RST_STREAM floods get GOAWAY and a closed connection, start (almost) no
#   upstream work, and a normal client on another connection is served throughout; streams
#   cancelled once the function has them get GOAWAY past the connection's budget too.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3 # Debian's, with python3-h2 and python3-hpack
FN=$T_PREFIX-abuse
H2=("$PY" "$HERE/h2abuse.py")

faas_start_docker ab 'limits = { upstream_timeout = "5s" }' || exit 1
HOSTPORT=${F_URL#http://}
ADDR=${HOSTPORT%:*}
PORT=${HOSTPORT##*:}
AUTH=$FN.localhost
zip_dir "$HERE/fixtures/abuseapp" "$T_DIR/app.zip"
upload "$FN" 0 "$T_DIR/app.zip"
check "the upstream app deployed" deployed "$FN"

h2() { "${H2[@]}" "$1" "$ADDR" "$PORT" "${@:2}"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$F_PID/status"; }
peak_kb() { awk '/^VmHWM/ {print $2}' "/proc/$F_PID/status"; } # the highest RSS so far
alive() { kill -0 "$F_PID" 2>/dev/null && [ "$(curl -s -o /dev/null -w '%{http_code}' "$F_URL/health")" = 200 ]; }
counts() { curl -s -H "Host: $AUTH" "$F_URL/count"; } # {"work": /work requests, "connections": accepted}

check_eq "h2c: a plain request is served" "$(h2 request "$AUTH" /echo/x | jq -r .status)" 200

# --- 1. HPACK amplification -----------------------------------------------------------------------
# A block of more than 256 fields is refused before libh2o decodes it (src/http/hpack_guard.c):
# COMPRESSION_ERROR (9) in a GOAWAY, the connection closed.
before=$(peak_kb)
out=$(h2 amplify "$AUTH" /echo 4000 100000)
after=$(peak_kb)
echo "     amplification: $(jq -c '{status, error, goaway, wire_bytes}' <<<"$out"), faas peak RSS (VmHWM) ${before} kB -> ${after} kB, VmRSS now $(rss_kb) kB"
check_eq "4000-byte header referenced 100,000 times (100 KB on the wire): GOAWAY COMPRESSION_ERROR" \
    "$(jq -r '[.status, .goaway] | @json' <<<"$out")" "[null,9]"
check "... and faas's peak RSS grew by less than 16 MB (no 400 MB decode)" test $((after - before)) -lt 16384
before=$(peak_kb)
out=$(h2 amplify_open "$AUTH" /echo 4000 100000 50)
after=$(peak_kb)
echo "     amplification with bodies pending, 50 streams: $(jq -c . <<<"$out"), peak RSS ${before} kB -> ${after} kB"
check_eq "the same on 50 streams whose bodies never come: GOAWAY COMPRESSION_ERROR" "$(jq -r .goaway <<<"$out")" 9
check "... and faas's peak RSS grew by less than 16 MB (libh2o alone held 1.8 GB)" test $((after - before)) -lt 16384
out=$(h2 amplify "$AUTH" /echo 4000 200)
check_eq "200 references (under the 256-field bound, over faas's 100 forwarded): 431" "$(jq -r .status <<<"$out")" 431
check_eq "... as JSON, from faas" "$(jq -r .body <<<"$out" | jq -r .error)" "Request header fields too large"
check_eq "the same header referenced 8 times is forwarded" \
    "$(h2 amplify "$AUTH" /echo 4000 8 | jq -r '.body' | jq '[.headers[] | select(.[0] == "x-amplify")] | length')" 9
hdrs=(); for i in $(seq 1 101); do hdrs+=(-H "X-H$i: v"); done
http GET "$F_URL/echo" -H "Host: $AUTH" "${hdrs[@]}" --http2-prior-knowledge
check_eq "101 headers over h2c: 431 (count limit)" "$H_STATUS" 431
check "faas is alive" alive

# --- 2. upstream status outside 100..999 ------------------------------------------------------------
for code in 000 099 1000; do
    out=$(h2 request "$AUTH" "/status/$code")
    check_eq "function answers status $code to an h2c client: 502" "$(jq -r .status <<<"$out")" 502
    check_contains "... saying why" "$(jq -r .body <<<"$out" | jq -r .details)" "the function sent"
    check "... and faas is alive" alive
done
http GET "$F_URL/status/000" -H "Host: $AUTH"
check_eq "... and to an HTTP/1.1 client: 502" "$H_STATUS" 502
check_eq "status 299 passes" "$(h2 request "$AUTH" /status/299 | jq -r .status)" 299
http GET "$F_URL/fold" -H "Host: $AUTH"
check_eq "a folded header line from the function: 502 (refused, never passed on nameless)" \
    "$H_STATUS $(json .details)" "502 the function sent a folded header line (obsolete line folding)"
# A chunked answer leaves its connection to the function ready for the next request: sequential
# requests after it open no new connection (the last chunk's trailer and CRLF are consumed).
curl -s -H "Host: $AUTH" "$F_URL/chunked" >/dev/null
c0=$(counts | jq .connections)
for _ in 1 2 3 4 5; do
    check_eq "a chunked answer arrives whole" "$(curl -s -H "Host: $AUTH" "$F_URL/chunked")" "abc"
done
check "... and the upstream connection serves again (at most one new connection for 5 requests)" \
    test $(($(counts | jq .connections) - c0)) -le 1

# --- 3. request lines that would read differently upstream ------------------------------------------
for path in '/echo?smuggled /zzz' $'/echo\t/x' $'/echo\x7f' ''; do
    out=$(h2 request "$AUTH" "$path")
    check_eq "h2 :path $(printf '%q' "$path"): 400" "$(jq -r .status <<<"$out")" 400
done
check_eq "... as JSON" "$(h2 request "$AUTH" '/echo?smuggled /zzz' | jq -r .body | jq -r .error)" "Bad request"
for method in 'GET /x' 'G(T' 'GET\x01'; do
    out=$(h2 request "$AUTH" /echo "$(printf "$method")")
    check_eq "h2 :method $(printf '%q' "$method"): 400" "$(jq -r .status <<<"$out")" 400
done
out=$(h2 request "$AUTH" /echo GET x-evil $'a\r\nx-injected: 1')
check_eq "a header value with CR LF: 400 (libh2o refuses it)" "$(jq -r .status <<<"$out")" 400
check_eq "the API is covered too (/health with a space)" "$(h2 request "$HOSTPORT" '/health x' | jq -r .status)" 400
check_eq "a token method the API does not know still reaches the function" \
    "$(h2 request "$AUTH" /echo/m PURGE | jq -r .body | jq -r .line)" "PURGE /echo/m HTTP/1.1"
check_eq "percent-encoded paths and bytes above 0x7f pass" \
    "$(h2 request "$AUTH" '/echo/a%20b/é' | jq -r .body | jq -r .path)" "/echo/a%20b/é"

# --- 4. hop-by-hop and forwarding headers -----------------------------------------------------------
http GET "$F_URL/echo" -H "Host: $AUTH" -H "Connection: keep-alive, X-Hop-Secret, x-other-hop" \
    -H "X-Hop-Secret: 1" -H "X-Other-Hop: 2" -H "X-Kept: 3" -H "Forwarded: for=6.6.6.6;host=evil" \
    -H "X-Real-IP: 6.6.6.6"
hv() { json ".headers[] | select(.[0] == \"$1\") | .[1]"; }
check_eq "headers named in Connection are dropped" "$(hv x-hop-secret)$(hv x-other-hop)" ""
check_eq "... others are kept" "$(hv x-kept)" 3
check_eq "Forwarded is faas's own" "$(hv forwarded)" "for=127.0.0.1;host=\"$AUTH\";proto=http"
check_eq "X-Real-IP is faas's own" "$(hv x-real-ip)" 127.0.0.1
check_eq "... once each" "$(json '[.headers[] | select(.[0] == "forwarded" or .[0] == "x-real-ip")] | length')" 2

# --- 5. Rapid Reset -------------------------------------------------------------------------------
c0=$(counts)
out=$(h2 cancel "$AUTH" "/work?ms=300" 50 /echo/after)
c1=$(counts)
check_eq "50 cancelled requests, then one more on the same connection: served" "$(jq -r .status <<<"$out")" 200
check_eq "... and the cancelled ones reached no function" "$(jq .work <<<"$c1")" "$(jq .work <<<"$c0")"
check "... nor opened connections to it ($(jq .connections <<<"$c0") -> $(jq .connections <<<"$c1"))" \
    test $(($(jq .connections <<<"$c1") - $(jq .connections <<<"$c0"))) -le 2

# A normal client on its own connection, while the flood runs (bounded: 400 requests, 60 s).
touch "$T_DIR/flooding"
(
    ok=0 bad=0 end=$(($(date +%s) + 60))
    for _ in $(seq 1 400); do
        [ -e "$T_DIR/flooding" ] && [ "$(date +%s)" -lt "$end" ] || break
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --http2-prior-knowledge -H "Host: $AUTH" "$F_URL/echo/n")
        [ "$code" = 200 ] && ok=$((ok + 1)) || bad=$((bad + 1))
    done
    echo "$ok $bad" >"$T_DIR/normal"
) &
normal=$!
c0=$(counts)
rss0=$(rss_kb)
t0=$(date +%s%N)
out=$(h2 rapid "$AUTH" "/work?ms=300" 5000 20)
t1=$(date +%s%N)
rm -f "$T_DIR/flooding"
wait "$normal"
c1=$(counts)
work=$(($(jq .work <<<"$c1") - $(jq .work <<<"$c0")))
conns=$(($(jq .connections <<<"$c1") - $(jq .connections <<<"$c0")))
echo "     rapid reset: $out in $(((t1 - t0) / 1000000)) ms; upstream requests $work, connections $conns;" \
    "faas VmRSS ${rss0} kB -> $(rss_kb) kB; normal client ok/failed: $(cat "$T_DIR/normal")"
check_eq "HEADERS+RST_STREAM flood: GOAWAY ENHANCE_YOUR_CALM (11)" "$(jq -r .goaway <<<"$out")" 11
check_eq "... and the connection is closed" "$(jq -r .closed <<<"$out")" true
check_eq "... once, logged" "$(grep -ac 'cancelled more than 100 streams before their answer' "$F_LOG")" 1
check "... with far fewer than 5000 upstream requests (got $work)" test "$work" -lt 100
check "... and upstream connections (got $conns)" test "$conns" -lt 200
check_eq "a normal h2 client on another connection was served throughout" "$(cut -d' ' -f2 "$T_DIR/normal")" 0
check "... and made requests meanwhile" test "$(cut -d' ' -f1 "$T_DIR/normal")" -gt 0
check "faas is alive" alive

# Cancelled once the function works on them: the proxy's wait for the next loop turn spares nothing,
# the budget alone ends it (80 + 80 > 100).
out=$(h2 late "$AUTH" "/work?ms=3000" 80 2)
echo "     late cancels: $out"
check_eq "streams cancelled while the function works on them: GOAWAY ENHANCE_YOUR_CALM past the budget" \
    "$(jq -r .goaway <<<"$out") $(jq -r .closed <<<"$out")" "11 true"
out=$(h2 late "$AUTH" "/work?ms=3000" 80 1)
check_eq "80 of them on a fresh connection: no GOAWAY" "$(jq -r .goaway <<<"$out")" null
check "faas is alive" alive

faas_stop TERM
check_eq "exit 0" "$F_RC" 0
t_done
