# test/e2e/lib_acme.sh: runs Debian's pebble (a test ACME CA) for an end-to-end test, sourced after
# lib.sh. Pebble gets its own CA for its HTTPS API, a mock DNS (pebble-challtestsrv) that answers
# 127.0.0.1 for every name (no IPv6: the VA would dial ::1 first), no validation sleep, no random
# badNonce and no authorization reuse, so runs are deterministic. Both are stopped with the test.

# pebble_start NAME VALIDITY_SECONDS [BADNONCE_PERCENT]: starts pebble number NAME. Sets P_DIR,
# P_DIRECTORY (ACME directory URL), P_CA (trust for pebble's API), P_ROOT (the root that signs
# issued certificates), P_HTTP01 (the port pebble validates HTTP-01 challenges on: faas's
# tls.http_port), P_LOG, P_PID. Pebble refuses to issue for blocked.example.test.
pebble_start() {
    local name=$1 validity=$2
    P_DIR=$T_DIR/pebble-$name
    P_BADNONCE=${3:-0}
    mkdir -p "$P_DIR"
    local acme_port mgmt_port cts_port
    acme_port=$(free_port) mgmt_port=$(free_port) P_DNS=$(free_port) cts_port=$(free_port) P_HTTP01=$(free_port)
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=pebble test CA" \
        -keyout "$P_DIR/ca.key" -out "$P_DIR/ca.pem" 2>/dev/null || return 1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$P_DIR/key.pem" -out "$P_DIR/srv.csr" 2>/dev/null || return 1
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$P_DIR/ext.cnf"
    openssl x509 -req -in "$P_DIR/srv.csr" -CA "$P_DIR/ca.pem" -CAkey "$P_DIR/ca.key" -CAcreateserial -days 2 \
        -extfile "$P_DIR/ext.cnf" -out "$P_DIR/cert.pem" 2>/dev/null || return 1
    cat >"$P_DIR/pebble.json" <<JSON
{"pebble":{"listenAddress":"127.0.0.1:$acme_port","managementListenAddress":"127.0.0.1:$mgmt_port",
 "certificate":"$P_DIR/cert.pem","privateKey":"$P_DIR/key.pem","httpPort":$P_HTTP01,"tlsPort":$(free_port),
 "ocspResponderURL":"","externalAccountBindingRequired":false,"certificateValidityPeriod":$validity,
 "domainBlocklist":["blocked.example.test"]}}
JSON
    pebble-challtestsrv -dns01 "127.0.0.1:$P_DNS" -http01 "" -https01 "" -tlsalpn01 "" \
        -management "127.0.0.1:$cts_port" -defaultIPv4 127.0.0.1 -defaultIPv6 "" >"$P_DIR/cts.log" 2>&1 &
    T_PIDS+=("$!")
    disown "$!" # killed by t_cleanup; no job-control notice
    P_CA=$P_DIR/ca.pem
    P_DIRECTORY=https://127.0.0.1:$acme_port/dir
    P_MGMT=https://127.0.0.1:$mgmt_port
    P_LOG=$P_DIR/pebble.log
    pebble_run
}

# pebble_run: starts (or, after pebble_stop, restarts) pebble on P_DIR's config. A restarted pebble
# has forgotten every account and order and signs with a new root (P_ROOT is fetched again).
pebble_run() {
    [ -e "$P_LOG" ] && mv "$P_LOG" "$P_LOG.$(date +%s%N)"
    PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=$P_BADNONCE PEBBLE_AUTHZREUSE=0 \
        pebble -config "$P_DIR/pebble.json" -dnsserver "127.0.0.1:$P_DNS" -strict=false >"$P_LOG" 2>&1 &
    P_PID=$!
    T_PIDS+=("$P_PID")
    disown "$P_PID"
    if ! wait_for "pebble in $P_DIR" 20 curl -sf --cacert "$P_CA" "$P_DIRECTORY"; then
        cat "$P_LOG"
        return 1
    fi
    P_ROOT=$P_DIR/root.pem
    curl -sf --cacert "$P_CA" "$P_MGMT/roots/0" -o "$P_ROOT"
}

# pebble_stop: stops the pebble of P_PID and waits until its port is free.
pebble_stop() {
    kill "$P_PID" 2>/dev/null
    wait_for "pebble $P_PID to exit" 10 bash -c "! kill -0 $P_PID"
}

# pebble_orders HOST: how many authorizations pebble validated for HOST (one per first order of a
# name; a later order may reuse a valid authorization: Debian's pebble 2.4.0 does so now and then
# even with PEBBLE_AUTHZREUSE=0, so count renewals with pebble_issued).
pebble_orders() { grep -c "Pulled a task.*Value:\"$1\"" "$P_LOG" 2>/dev/null; }
# pebble_issued: how many certificates pebble issued.
pebble_issued() { grep -c "Issued certificate serial" "$P_LOG" 2>/dev/null; }
# pebble_all_orders: how many newOrder requests pebble received.
pebble_all_orders() { grep -c "POST /order-plz" "$P_LOG" 2>/dev/null; }
