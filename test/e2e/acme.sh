#!/bin/bash
# Automatic HTTPS against Debian's pebble: a certificate at deploy time for an allowlisted function,
# served over h2 with a chain that verifies against pebble's root; names that reach a function (a
# name the route hook sends to it, a host whose first label names it) get one on their first
# handshake (concurrent handshakes share the one order); names the policy refuses, and random
# names under the allowlisted wildcard that reach no function, get no order; a restart reuses
# stored certificates; a CA that lost the account gets a new registration; a short lifetime
# triggers renewal (with badNonce answers on the way); the plain port answers challenges and
# redirects with 308.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_acme.sh"

pebble_start one 3600 || { fail "pebble starts"; t_done; exit 1; }
pass "pebble starts"
ROOT=$P_ROOT
HTTPS=$(free_port)
D=example.test
WEB=$T_PREFIX-web
ONDEMAND=$T_PREFIX-od.$D  # the route hook sends it to $WEB
AFTER=$T_PREFIX-after.$D  # likewise
LABEL=$WEB.alt.$D         # its first label names $WEB
DENIED=deny-$T_PREFIX.$D

# A static certificate: the fallback for names without their own (and for clients without SNI).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=faas-fallback" \
    -keyout "$T_DIR/fallback.key" -out "$T_DIR/fallback.pem" 2>/dev/null
ACME_CONF=(
    "domain = \"$D\""
    "tls = { cert = \"$T_DIR/fallback.pem\", key = \"$T_DIR/fallback.key\", http_port = $P_HTTP01,"
    "        https_port = $HTTPS, acme = { directory = \"$P_DIRECTORY\", ca_bundle = \"$P_CA\", email = \"ops@$D\" } }"
    'local faas = require("faas")'
    "function tls_allowed(host)"
    "  return (faas.match(host, \"*.$D\") or faas.match(host, \"*.alt.$D\")) and not host:find(\"^deny\")"
    "end"
    "local aliases = { [\"$ONDEMAND\"] = \"$WEB\", [\"$AFTER\"] = \"$WEB\", [\"blocked.$D\"] = \"$WEB\" }"
    'function route(host) return aliases[(host:gsub(":%d+$", ""))] end'
)
faas_start_docker one "${ACME_CONF[@]}" || { fail "faas starts in ACME mode"; t_done; exit 1; }
pass "faas starts in ACME mode"
F_URL=$F_HTTPS # the API is served over HTTPS; -k: these calls check the API, not the certificate
fn_status() { curl -sk -H "Authorization: $F_KEY" "$F_URL/function/get/$1" | jq -r "$2" 2>/dev/null; }
cert_field() { curl -sk -H "Authorization: $F_KEY" "$F_URL/tls/certs" | jq -r ".certificates[] | select(.name == \"$1\") | .$2"; }
cert_valid() { [ "$(cert_field "$1" status)" = valid ]; }
# served HOST FIELD: what the certificate served for SNI HOST says (-serial, -issuer, -subject).
served() { openssl s_client -connect "127.0.0.1:$HTTPS" -servername "$1" </dev/null 2>/dev/null | openssl x509 -noout "$2"; }
# get_tls HOST PATH: GET over h2 with the chain checked against pebble's root.
get_tls() { curl -sS --max-time 30 --http2 --cacert "$ROOT" --resolve "$1:$HTTPS:127.0.0.1" -w ' %{http_version}' "https://$1:$HTTPS$2"; }

# --- the plain port: challenges and redirects -------------------------------------------------
PLAIN=http://127.0.0.1:$P_HTTP01
check_eq "plain HTTP redirects with 308 to the same URL over HTTPS" \
    "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: a.$D" "$PLAIN/x/y?z=1")" \
    "308 https://a.$D:$HTTPS/x/y?z=1"
check_eq "a POST is redirected with 308 too (method and body kept)" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 -H "Host: a.$D" "$PLAIN/submit")" 308
http GET "$PLAIN/.well-known/acme-challenge/unknown-token" -H "Host: a.$D"
check_eq "an unknown challenge token: 404" "$H_STATUS $(json .error)" "404 Not found"
http GET "$PLAIN/.well-known/acme-challenge/$(head -c 5000 /dev/zero | tr '\0' 'A')" -H "Host: a.$D"
check_eq "a 5000-byte token: 404" "$H_STATUS" 404
http GET "$PLAIN/.well-known/acme-challenge/../../health" --path-as-is -H "Host: a.$D"
check_eq "a token with dot segments: no challenge answer" "$H_STATUS" 308
http GET "$PLAIN/x" --http1.0 -H "Host:"
check_eq "no Host to redirect to: 400" "$H_STATUS $(json .error)" "400 Bad request"
http GET "$PLAIN/health"
check_eq "the plain port serves no API" "$H_STATUS" 308

# --- a certificate at deploy time -------------------------------------------------------------
py_service "$T_DIR/web" "v1"
zip_dir "$T_DIR/web" "$T_DIR/web.zip"
T0=$(date +%s%N)
upload "$WEB" "$(free_port)" "$T_DIR/web.zip" -k
check_eq "upload over HTTPS" "$H_STATUS" 200
check "the function deploys" deployed "$WEB"
check "its name gets a certificate at deploy time, before any handshake asks for it" \
    wait_for "certificate of $WEB.$D" 30 cert_valid "$WEB.$D"
OUT=$(get_tls "$WEB.$D" /hello)
T1=$(date +%s%N)
check_contains "served over h2 with a chain that verifies against pebble's root" "$OUT" "v1 /hello"
check_contains "over HTTP/2" "$OUT" " 2"
echo "deploy to first HTTPS response: $(((T1 - T0) / 1000000)) ms (build included)"
openssl s_client -connect "127.0.0.1:$HTTPS" -servername "$WEB.$D" -showcerts </dev/null 2>/dev/null |
    sed -n '/BEGIN CERT/,/END CERT/p' >"$T_DIR/chain.pem"
openssl x509 -in "$T_DIR/chain.pem" -out "$T_DIR/leaf.pem"
check "openssl verifies the served chain against pebble's root" \
    openssl verify -CAfile "$ROOT" -untrusted "$T_DIR/chain.pem" "$T_DIR/leaf.pem"
check_contains "issued by pebble" "$(served "$WEB.$D" -issuer)" "Pebble Intermediate CA"
check_eq "one order for it" "$(pebble_orders "$WEB.$D")" 1
check_contains "HTTP/1.1 over TLS too" \
    "$(curl -sS --http1.1 --cacert "$ROOT" --resolve "$WEB.$D:$HTTPS:127.0.0.1" -w ' %{http_version}' "https://$WEB.$D:$HTTPS/")" \
    "v1 / host=$WEB.$D:$HTTPS xff=127.0.0.1 auth=None
 1.1"

# --- what a full handshake costs: the suite, one ticket, and it resumes (across the SNI switch) ----
# over_tls ARGS...: one HTTP/1.1 request through openssl s_client (-ign_eof: it reads until faas
# closes, so the ticket that comes before the answer has been read), with ARGS added.
over_tls() {
    printf 'GET /tls HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$WEB.$D" |
        openssl s_client -connect "127.0.0.1:$HTTPS" -servername "$WEB.$D" -alpn http/1.1 -ign_eof "$@" 2>&1
}
OUT=$(over_tls -msg -sess_out "$T_DIR/session.pem")
check_contains "TLS 1.3 with AES-128-GCM, faas's first choice" "$OUT" "New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"
check_eq "one session ticket per full handshake" "$(grep -c '<<< .*NewSessionTicket' <<<"$OUT")" 1
check_contains "the request is served" "$OUT" "v1 /tls host=$WEB.$D"
OUT=$(over_tls -sess_in "$T_DIR/session.pem")
check_contains "the ticket resumes the session" "$OUT" "Reused, TLSv1.3"
check_contains "and the resumed connection is served" "$OUT" "v1 /tls host=$WEB.$D"

# --- on the first handshake, shared by concurrent ones ------------------------------------------
check_eq "no certificate for $ONDEMAND yet" "$(cert_field "$ONDEMAND" status)" ""
for i in 1 2 3 4; do
    (get_tls "$ONDEMAND" /health >"$T_DIR/od.$i" 2>&1; echo "rc=$?" >>"$T_DIR/od.$i") &
done
wait_for "the 4 handshakes" 60 bash -c "[ \$(cat $T_DIR/od.* 2>/dev/null | grep -c rc=) -eq 4 ]"
check_eq "a name the route hook sends to a function: 4 concurrent first handshakes all verify" \
    "$(cat "$T_DIR"/od.* | grep -c 'rc=0')" 4
check_contains "and are served by the function" "$(cat "$T_DIR/od.1")" "v1 /health host=$ONDEMAND"
check_eq "they shared one order" "$(pebble_orders "$ONDEMAND")" 1
check_eq "listed as valid" "$(cert_field "$ONDEMAND" status)" valid
check_contains "with its issuer" "$(cert_field "$ONDEMAND" issuer)" "Pebble Intermediate CA"
check_contains "a host whose first label names the function: a certificate on its first handshake" \
    "$(get_tls "$LABEL" /label)" "v1 /label host=$LABEL"
check_eq "one order for it" "$(pebble_orders "$LABEL")" 1

# --- random names under the wildcard: no function, no order ----------------------------------------
BEFORE=$(pebble_all_orders)
for i in $(seq 1 20); do
    NAME=r$RANDOM$i-$T_PREFIX.$D
    check_eq "a random allowed name that reaches no function gets the fallback at once ($i)" \
        "$(served "$NAME" -subject)" "subject=CN = faas-fallback"
done
check_eq "and not one order for the 20 of them" "$(pebble_all_orders)" "$BEFORE"
check_eq "nor an entry in /tls/certs" \
    "$(curl -sk -H "Authorization: $F_KEY" "$F_URL/tls/certs" | jq '[.certificates[] | select(.name | startswith("r"))] | length')" 0
check_contains "why is in the debug log" "$(cat "$F_LOG")" "reaches no function: no certificate on demand"

# --- names that get no certificate ------------------------------------------------------------
check_eq "a name the hook refuses does not verify against pebble's root" \
    "$(get_tls "$DENIED" / >/dev/null 2>&1; echo $?)" 60
check_eq "a name the hook refuses: the handshake gets the static fallback" "$(served "$DENIED" -subject)" \
    "subject=CN = faas-fallback"
check_eq "and no order" "$(grep -c "$DENIED" "$P_LOG")" 0
check_eq "and no entry" "$(cert_field "$DENIED" status)" ""
served "fn.example.org" -subject >/dev/null
check_eq "a name outside the allowlist: no order" "$(grep -c "example.org" "$P_LOG")" 0
# A name the CA refuses: the handshake waits for the failed order, then gets the fallback; the
# name then rests, so the next handshakes start no order.
BEFORE=$(pebble_all_orders)
check_eq "a name the CA refuses: the handshake goes on with the fallback" "$(served "blocked.$D" -subject)" \
    "subject=CN = faas-fallback"
check_eq "listed as failed" "$(cert_field "blocked.$D" status)" failed
check_contains "with the CA's reason" "$(cert_field "blocked.$D" lastError)" "rejectedIdentifier"
served "blocked.$D" -subject >/dev/null
served "blocked.$D" -subject >/dev/null
check_eq "the name rests: one order for three handshakes" "$(($(pebble_all_orders) - BEFORE))" 1
http GET "https://127.0.0.1:$HTTPS/health" -k
check_eq "no SNI (an IP literal): the fallback serves it" "$H_STATUS" 200
check_eq "and no order for an IP" "$(grep -c 'Value:"127.0.0.1"' "$P_LOG")" 0
http GET "$F_URL/tls/certs" -k
check_eq "GET /tls/certs needs the passkey" "$H_STATUS" 401

# --- restart: stored certificates, no new order ----------------------------------------------
SERIAL=$(served "$WEB.$D" -serial)
ORDERS=$(pebble_all_orders)
faas_stop
check_eq "stops" "$F_RC" 0
faas_run one || fail "restarts"
F_URL=$F_HTTPS
check_contains "after a restart: served again" "$(get_tls "$WEB.$D" /again)" "v1 /again"
check_eq "with the stored certificate" "$(served "$WEB.$D" -serial)" "$SERIAL"
check_contains "and the on-demand one" "$(get_tls "$ONDEMAND" /health)" "v1 /health"
check_eq "no new order" "$(pebble_all_orders)" "$ORDERS"

# --- the CA forgets the account (a reset CA): faas registers again ---------------------------
pebble_stop
pebble_run || fail "pebble restarts"
ROOT=$P_ROOT
check_contains "after the CA lost the account: a new name still gets a certificate" \
    "$(get_tls "$AFTER" /health)" "v1 /health"
check_contains "faas registered again" "$(cat "$F_LOG")" "registering again"

http DELETE "$F_URL/function/delete/$WEB" -k -H "Authorization: $F_KEY"
check_eq "delete the function" "$H_STATUS" 200
check_eq "its certificate is dropped (no renewals for a name nothing serves)" "$(cert_field "$WEB.$D" status)" ""
check_eq "the on-demand one stays" "$(cert_field "$ONDEMAND" status)" valid
faas_stop
check_eq "exit 0" "$F_RC" 0

# --- renewal: a short lifetime, the allowlist (from ALLOWLIST) instead of a hook, no fallback ---
pebble_start two 30 50 || fail "a second pebble (30 s certificates, half of the nonces refused)"
ROOT=$P_ROOT
HTTPS=$(free_port)
RENEWFN=$T_PREFIX-renew
RENEW=$RENEWFN.$D
NOFN=nofn-$T_PREFIX.$D
TWO_TLS="http_port = $P_HTTP01, https_port = $HTTPS, acme = { directory = \"$P_DIRECTORY\", ca_bundle = \"$P_CA\" }"
# The seed's switches this time: ENV=prod and ALLOWLIST (the directory still comes from the file).
# First with the static certificate, so the API answers before any name has one of its own.
export ENV=prod ALLOWLIST="*.$D"
faas_start_docker two "domain = \"$D\"" \
    "tls = { cert = \"$T_DIR/fallback.pem\", key = \"$T_DIR/fallback.key\", $TWO_TLS }" ||
    fail "faas starts with a 30 s CA"
F_URL=$F_HTTPS
upload "$RENEWFN" "$(free_port)" "$T_DIR/web.zip" -k
check_eq "upload a function" "$H_STATUS" 200
check "it deploys" deployed "$RENEWFN"
issued() { served "$RENEW" -issuer | grep -q "Pebble Intermediate CA"; }
check "an allowlisted function's name: a certificate at deploy time" wait_for "certificate of $RENEW" 30 issued
# Then without the static certificate: the stored one serves the function's name.
faas_stop
faas_write_conf two "docker = { image_prefix = \"$T_PREFIX\" }" "domain = \"$D\"" "tls = { $TWO_TLS }"
faas_run two || fail "faas restarts without a static certificate"
unset ENV ALLOWLIST
F_URL=$F_HTTPS
check_contains "served over h2" "$(get_tls "$RENEW" /health)" "v1 /health"
S1=$(served "$RENEW" -serial)
check_contains "its serial" "$S1" "serial="
check_contains "no SNI and no fallback: the handshake is refused" \
    "$(curl -sk "https://127.0.0.1:$HTTPS/health" 2>&1; echo "rc=$?")" "rc=35"
check_contains "an allowlisted name that reaches no function, and no fallback: the handshake is refused at once" \
    "$(curl -s --max-time 10 --cacert "$ROOT" --resolve "$NOFN:$HTTPS:127.0.0.1" "https://$NOFN:$HTTPS/" 2>&1; echo "rc=$?")" \
    "rc=35"
check_eq "and no order for it" "$(grep -c "$NOFN" "$P_LOG")" 0
served "x.example.org" -subject >/dev/null 2>&1
check_eq "a name outside the allowlist: no order" "$(grep -c "example.org" "$P_LOG")" 0
renewed() { local s; s=$(served "$RENEW" -serial); [ -n "$s" ] && [ "$s" != "$S1" ]; }
check "renewed when a third of the lifetime is left (about 20 s in)" wait_for "renewal" 45 renewed
check_contains "the renewed certificate verifies" "$(get_tls "$RENEW" /health)" "v1 /health"
check "two certificates issued by now" test "$(pebble_issued)" -ge 2
# Half the nonces refused over two orders of about eight signed requests: a run without a badNonce
# (2^-15) or with 21 in a row (faas's retry budget) is out of reach.
check_contains "badNonce answers were retried with the new nonce" "$(cat "$F_DIR"/out.log*)" "badNonce from"
faas_stop
check_eq "exit 0" "$F_RC" 0

t_done
