#!/usr/bin/env bash
# conns.sh: slow and idle clients. 2000 connections dribbling their headers do not keep
# /health from answering a new connection within 1 s, and the header deadline closes them;
# faas raises its open files limit to the hard limit; new connections past
# server.max_connections close the oldest idle ones first (and are refused when none is
# idle); idle keep-alive connections (HTTP/1.1, h2c) close at server.keepalive_timeout; a slow
# body is not cut by the header deadline; API bodies without the passkey are cut as they arrive.
# Clients are Python on loopback, bounded in count and time. Needs no Docker engine: each faas
# here points at a socket with none, so GET /health answers 503 ("docker":"unreachable").
. "$(dirname "$0")/lib.sh"

NO_ENGINE="docker = { socket = \"$T_DIR/no-engine.sock\" }"

PY=/usr/bin/python3
now_ms() { echo $(($(date +%s%N) / 1000000)); }
port_of() { echo "${F_URL##*:}"; }

# --- 2000 dribblers against the header deadline ----------------------------------------------
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
N=2000
[ "$hard" -lt $((N + 300)) ] && N=$((hard - 300)) && echo "note: hard open files limit $hard: $N dribblers"
ulimit -Sn 1024 # faas starts below what N connections need and must raise it itself
faas_start dribble "$NO_ENGINE" 'server = { header_timeout = "5s" }' 'log_level = "info"' || exit 1
check "faas raised its open files limit to the hard limit" grep -q "open files limit raised from 1024 to $hard" "$F_LOG"
out=$("$PY" - "$(port_of)" "$N" 5 <<'PY'
import json, resource, selectors, socket, sys, time
port, n, deadline_s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
HEAD = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000  # never ends
sel, conns, start = selectors.DefaultSelector(), [], time.monotonic()
for i in range(n):  # bounded: n connections, 20 s
    if time.monotonic() - start > 20:
        break
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    c = {"s": s, "t0": time.monotonic(), "sent": 0, "next": time.monotonic(), "closed": None}
    conns.append(c)
    sel.register(s, selectors.EVENT_READ, c)
connected = time.monotonic()

def probe():  # a new connection asks for /health; seconds to the full answer
    t = time.monotonic()
    try:
        p = socket.create_connection(("127.0.0.1", port), timeout=3)
        p.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            d = p.recv(4096)
            if not d:
                break
            data += d
        p.close()
        return data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "none", time.monotonic() - t
    except OSError as e:
        return str(e), time.monotonic() - t

probes, next_probe, end = [], connected + 0.5, connected + deadline_s + 6
while time.monotonic() < end and any(c["closed"] is None for c in conns):
    now = time.monotonic()
    for c in conns:  # a byte every 2 s each
        if c["closed"] is None and now >= c["next"]:
            try:
                c["s"].send(HEAD[c["sent"]:c["sent"] + 1])
                c["sent"] += 1
            except OSError:
                pass
            c["next"] = now + 2
    if now >= next_probe and now < conns[0]["t0"] + deadline_s - 1:
        probes.append(probe())
        next_probe = time.monotonic() + 0.5
    for key, _ in sel.select(timeout=0.05):
        c = key.data
        try:
            gone = c["s"].recv(4096) == b""
        except (BlockingIOError, InterruptedError):
            gone = False
        except OSError:
            gone = True
        if gone:
            c["closed"] = time.monotonic() - c["t0"]
            sel.unregister(c["s"])
            c["s"].close()
lives = [c["closed"] for c in conns if c["closed"] is not None]
print(json.dumps({"connected": len(conns), "connect_s": round(connected - start, 2), "closed": len(lives),
                  "min_life": round(min(lives), 2) if lives else None, "max_life": round(max(lives), 2) if lives else None,
                  "bytes_each": max(c["sent"] for c in conns), "probes": [p[0] for p in probes],
                  "probe_max_s": round(max(p[1] for p in probes), 3) if probes else None}))
PY
)
echo "dribblers: $out"
j() { jq -r "$1" <<<"$out"; }
check_eq "$N dribbling connections open" "$(j .connected)" "$N"
check "/health probed on new connections while they dribble" test "$(j '.probes | length')" -ge 3
check_eq "every probe got the health answer (503: no engine here)" "$(j '[.probes[] | select(. != "503")] | length')" 0
check "each within 1 s (slowest $(j .probe_max_s) s)" awk -v s="$(j .probe_max_s)" 'BEGIN { exit !(s < 1.0) }'
check_eq "every dribbler closed" "$(j .closed)" "$N"
check "none before the 5 s header deadline (first after $(j .min_life) s)" awk -v s="$(j .min_life)" 'BEGIN { exit !(s >= 4.7) }'
check "all by 1.5 s past it (last after $(j .max_life) s)" awk -v s="$(j .max_life)" 'BEGIN { exit !(s <= 6.5) }'
check_eq "faas still serves" "$(curl -s -o /dev/null -w '%{http_code}' "$F_URL/health")" 503
faas_stop TERM
check_eq "exit 0" "$F_RC" 0
ulimit -Sn "$hard"

# --- server.max_connections: the oldest idle closed first ------------------------------------
faas_start cap "$NO_ENGINE" 'server = { threads = 1, max_connections = 20, header_timeout = "30s", keepalive_timeout = "60s" }' || exit 1
out=$("$PY" - "$(port_of)" "$F_KEY" <<'PY'
import json, socket, sys, time
port, key = int(sys.argv[1]), sys.argv[2]
def request(s, extra=b""):
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
    data = b""
    while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + int(data.split(b"Content-Length: ")[1].split(b"\r\n")[0]):
        d = s.recv(4096)
        if not d:
            return "closed"
        data += d
    return data.split(b" ")[1].decode()
def gone(s):
    s.settimeout(2)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True
old = []
for i in range(20):  # 20 keep-alive connections, each idle after one answer, oldest first
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    old.append((s, request(s)))
    time.sleep(0.05)
new, kept = [], []
for i in range(5):  # 5 more: each makes room by closing the connection idle the longest
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    new.append(request(s))
    kept.append(s)
closed = [i for i, (s, _) in enumerate(old) if gone(s)]
again = [request(s) for i, (s, _) in enumerate(old) if i not in closed]
# 20 connections receiving a body (none idle): a new one is refused
busy = []
for i in range(20):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"POST /nope HTTP/1.1\r\nHost: x\r\nAuthorization: " + key.encode() + b"\r\nContent-Length: 100000\r\n\r\nxx")
    busy.append(s)
for s in [s for s, _ in old] + kept:
    s.close()
time.sleep(0.6)  # the closed ones leave the count on the loop's next turn
r = socket.create_connection(("127.0.0.1", port), timeout=5)
r.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
r.settimeout(3)
try:
    refused = r.recv(100) == b""
except OSError:
    refused = True
for s in busy:
    s.close()
time.sleep(0.6)
after = request(socket.create_connection(("127.0.0.1", port), timeout=5))
print(json.dumps({"first": sorted(set(a for _, a in old)), "new": new, "closed": closed, "again": sorted(set(again)),
                  "refused": refused, "after": after}))
PY
)
echo "cap: $out"
j() { jq -c "$1" <<<"$out"; }
check_eq "20 keep-alive connections served" "$(j .first)" '["503"]'
check_eq "5 more past max_connections = 20 are served" "$(j .new)" '["503","503","503","503","503"]'
check_eq "the 5 oldest idle connections were closed to make room, and only they" "$(j .closed)" '[0,1,2,3,4]'
check_eq "the 15 others still serve" "$(j .again)" '["503"]'
check_eq "at the cap with no idle connection, a new one is refused" "$(j .refused)" true
check "the refusal is logged" grep -q "server.max_connections (20) reached and no idle connection to close" "$F_LOG"
check_eq "once they are gone, new connections are served" "$(j .after)" '"503"'
faas_stop TERM

# --- idle timeouts, and the header deadline does not cut a slow body --------------------------
faas_start idle "$NO_ENGINE" 'server = { header_timeout = "2s", keepalive_timeout = "3s" }' || exit 1
out=$("$PY" - "$(port_of)" <<'PY'
import json, socket, sys, time
import h2.config, h2.connection
port = int(sys.argv[1])
def life(s, limit=10):  # seconds until the server closes s
    t = time.monotonic()
    s.settimeout(limit)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    return round(time.monotonic() - t, 2)
s = socket.create_connection(("127.0.0.1", port))
silent = life(s)
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(0.2)
s.recv(65536)
keepalive = life(s)
s = socket.create_connection(("127.0.0.1", port))
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
c.send_headers(1, [(":method", "GET"), (":path", "/health"), (":scheme", "http"), (":authority", "x")], end_stream=True)
s.sendall(c.data_to_send())
time.sleep(0.2)
h2_keepalive = life(s)
print(json.dumps({"silent": silent, "keepalive": keepalive, "h2_keepalive": h2_keepalive}))
PY
)
echo "idle: $out"
j() { jq -r "$1" <<<"$out"; }
check "a silent new connection closes at the 2 s header deadline ($(j .silent) s)" awk -v s="$(j .silent)" 'BEGIN { exit !(s >= 1.8 && s < 3.0) }'
check "an idle HTTP/1.1 keep-alive connection closes at the 3 s keepalive_timeout ($(j .keepalive) s)" \
    awk -v s="$(j .keepalive)" 'BEGIN { exit !(s >= 2.5 && s < 4.0) }'
check "an idle h2c connection too ($(j .h2_keepalive) s)" awk -v s="$(j .h2_keepalive)" 'BEGIN { exit !(s >= 2.5 && s < 4.0) }'
sed -i 's/header_timeout = "2s"/header_timeout = "1s"/' "$F_DIR/faas.conf.lua"
kill -HUP "$F_PID"
check "SIGHUP applies a new header_timeout" wait_for "reload" 10 grep -q "reload: server.header_timeout: 2s -> 1s" "$F_LOG"
silent=$("$PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
t = time.monotonic()
try:
    s.recv(1)
except OSError:
    pass
print(round(time.monotonic() - t, 2))' "$(port_of)")
check "a silent connection now closes after 1 s ($silent s)" awk -v s="$silent" 'BEGIN { exit !(s >= 0.8 && s < 2.0) }'
head -c 700000 /dev/urandom >"$T_DIR/700k.bin" # 3.5 s at 200 KB/s: past the header deadline
for proto in --http1.1 --http2-prior-knowledge; do
    code=$(curl -s -o /dev/null -w '%{http_code}' $proto --limit-rate 200K -H "Authorization: $F_KEY" -X POST \
        --data-binary "@$T_DIR/700k.bin" "$F_URL/nope")
    check_eq "$proto: a 3.5 s authenticated body is not cut by the header deadline (read, then 404)" "$code" 404
done
faas_stop TERM

# --- API bodies without the passkey are cut while they arrive --------------------------------
faas_start unauth "$NO_ENGINE" 'route = function(host) if host == "fn.example" then return "nosuchfn" end end' || exit 1
head -c 2000000 /dev/urandom >"$T_DIR/2mb.bin" # 10 s at 200 KB/s
for proto in "--http1.1 -H Expect:" --http1.1 --http2-prior-knowledge; do
    t0=$(now_ms)
    res=$(curl -s -o /dev/null -w '%{http_code} %{size_upload}' $proto --limit-rate 200K -X POST \
        --data-binary "@$T_DIR/2mb.bin" "$F_URL/function/upload")
    took=$(($(now_ms) - t0))
    echo "$proto without the passkey: answer, bytes sent: $res, after $took ms"
    check "$proto: a 2 MB body without the passkey is cut past the 64 KiB limit, within 2 s (${took} ms)" \
        test "$took" -lt 2000 -a "${res#* }" -lt 400000
done
check "the cut is logged" grep -q "API request without the passkey, body past limits.max_unauth_body" "$F_LOG"
check_eq "a small body without the passkey still gets its 401" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary 'x=1' "$F_URL/function/upload")" 401
head -c 300000 /dev/urandom >"$T_DIR/300k.bin" # 1.5 s at 200 KB/s
code=$(curl -s -o /dev/null -w '%{http_code}' --limit-rate 200K -H "Authorization: $F_KEY" -X POST \
    --data-binary "@$T_DIR/300k.bin" "$F_URL/nope")
check_eq "with the passkey the same kind of body is read (then 404)" "$code" 404
code=$(curl -s -o /dev/null -w '%{http_code}' --limit-rate 200K -H 'Host: fn.example' -X POST \
    --data-binary "@$T_DIR/300k.bin" "$F_URL/upload")
check_eq "function traffic (the route hook's) needs no passkey: read, then the proxy's 404" "$code" 404
faas_stop TERM
check_eq "exit 0" "$F_RC" 0

t_done
