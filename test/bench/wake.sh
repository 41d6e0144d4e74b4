#!/usr/bin/env bash
# bench/wake.sh: what scale to zero costs the first request. Time to the first response of a
# request that finds its function (a) paused and (b) stopped, through faas (its subdomain), next
# to the same steps done by hand on a container of the same image and settings on the same Docker
# network, in the same run:
#   (a) paused:  Engine API unpause, then the same request to the container's address;
#   (b) stopped: Engine API start, inspect (a restarted container may get a new address), then the
#                request, repeated every BENCH_POLL_MS (10) until it answers.
# faas gets there by its own timers (pause_after 2s, stop_after 4s; the script waits until the
# record and the engine both say so); the reference container is paused and stopped through the
# Engine API, before faas's, so it stays in that state at least as long. Every side is timed
# inside one small Python program (http.client over /var/run/docker.sock and TCP, a new
# connection each time as a client would), so no process start is counted. Rounds interleave
# faas paused, by hand paused, faas stopped, by hand stopped.
# Not a pass/fail test: it prints medians, p90, the ratios faas / by hand and the targets of
# issue 10 (paused <= 1.3x, stopped <= 1.2x). Usage: test/bench/wake.sh [ROUNDS]   (default 9)
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib_bench.sh"
ROUNDS=${1:-9}
POLL_MS=${BENCH_POLL_MS:-10}
PY=/usr/bin/python3

faas_start_docker wake 'log_level = "info"' \
    'scale = { pause_after = "2s", stop_after = "4s", wake_timeout = "30s" }' || exit 1
FN=$T_PREFIX-wake
PORT=$(free_port)
F_PORT=${F_URL##*:}

# wake.py MODE ARGS...: one timed step; prints its figures on one line (ms).
#   faas PORT HOST ID           GET / through faas: "<total> <Server-Timing desc> <its dur> <engine>", engine:
#                               from sending the request to the engine's unpause/start event of replica ID
#   unpause ID ADDR             unpause, then GET / to ADDR: "<total> <unpause call> <request>"
#   start ID NETWORK PORT POLL  start, inspect, GET / every POLL ms until 200: "<total> <start call> <inspect> <tries>"
#   pause ID | stop ID          (not timed) the Engine API call
#   clone ID NAME               (not timed) creates NAME from replica ID's image, env and limits, without
#                               faas's labels; prints its id
cat >"$T_DIR/wake.py" <<'PY'
import http.client, json, socket, sys, time, urllib.parse

class Unix(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("localhost", timeout=60)
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect("/var/run/docker.sock")

def api(conn, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300 and r.status != 304:
        sys.exit("%s %s: %d %s" % (method, path, r.status, data[:300]))
    return json.loads(data) if data else None

def get(host, port, hostname=None, timeout=60):
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", "/", headers={"Host": hostname} if hostname else {})
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("Server-Timing", "")
    finally:
        c.close()

ms = lambda a, b: "%.1f" % ((b - a) * 1000)
now = time.perf_counter
mode, args = sys.argv[1], sys.argv[2:]
if mode == "faas":
    wall0, t0 = time.time_ns(), now()
    status, timing = get("127.0.0.1", int(args[0]), args[1])
    t1 = now()
    filters = json.dumps({"type": ["container"], "container": [args[2]], "event": ["unpause", "start"]})
    events = Unix()
    events.request("GET", "/events?since=%d&until=%.9f&filters=%s" % (wall0 // 10**9 - 1, time.time(),
                                                                    urllib.parse.quote(filters)))
    engine = "-"
    for line in events.getresponse().read().decode().splitlines():
        e = json.loads(line)
        if e.get("timeNano", 0) >= wall0:
            engine = "%.1f" % ((e["timeNano"] - wall0) / 1e6)
    if status != 200:
        sys.exit("faas answered %d" % status)
    desc = dur = "-"
    # The wake's entry only: every function answer also has "upstream;dur=" (joined with ", ").
    wake = next((e.strip() for e in timing.split(",") if e.strip().startswith("wake;")), "")
    for part in wake.split(";"):
        if part.startswith("desc="):
            desc = part[5:].strip('"')
        elif part.startswith("dur="):
            dur = part[4:]
    print(ms(t0, t1), desc, dur, engine)
elif mode == "unpause":
    host, port = args[1].rsplit(":", 1)
    t0 = now()
    api(Unix(), "POST", "/containers/%s/unpause" % args[0])
    t1 = now()
    status, _ = get(host, int(port))
    t2 = now()
    if status != 200:
        sys.exit("the container answered %d" % status)
    print(ms(t0, t2), ms(t0, t1), ms(t1, t2))
elif mode == "start":
    cid, network, port, poll = args[0], args[1], int(args[2]), int(args[3]) / 1000
    t0 = now()
    d = Unix()
    api(d, "POST", "/containers/%s/start" % cid)
    t1 = now()
    ip = api(d, "GET", "/containers/%s/json" % cid)["NetworkSettings"]["Networks"][network]["IPAddress"]
    t2 = now()
    tries, deadline = 0, t0 + 60
    while True:
        tries += 1
        try:
            if get(ip, port, timeout=1)[0] == 200:
                break
        except OSError:
            pass
        if now() > deadline:
            sys.exit("the container did not answer in 60 s")
        time.sleep(poll)
    t3 = now()
    print(ms(t0, t3), ms(t0, t1), ms(t1, t2), tries)
elif mode == "pause":
    api(Unix(), "POST", "/containers/%s/pause" % args[0])
elif mode == "stop":
    api(Unix(), "POST", "/containers/%s/stop?t=10" % args[0])
elif mode == "clone":
    d = Unix()
    src = api(d, "GET", "/containers/%s/json" % args[0])
    hc = src["HostConfig"]
    keep = ("Memory", "MemorySwap", "NanoCpus", "PidsLimit", "CapDrop", "CapAdd", "SecurityOpt", "Init",
            "NetworkMode", "LogConfig", "ReadonlyRootfs", "Tmpfs")
    # The image's faas.* labels would make it one of faas's containers (its reconcile removes
    # those no record names): blank them.
    labels = {k: "" for k in (src["Config"]["Labels"] or {}) if k.startswith("faas.")}
    labels["bench"] = "wake"
    body = {"Image": src["Image"], "Env": src["Config"]["Env"], "Labels": labels,
            "HostConfig": {k: hc[k] for k in keep if hc.get(k) is not None}}
    r = api(d, "POST", "/containers/create?name=" + args[1], body)
    print(r["Id"])
PY
wpy() { "$PY" "$T_DIR/wake.py" "$@"; }

py_service "$T_DIR/code" wake
zip_dir "$T_DIR/code" "$T_DIR/code.zip"
upload "$FN" "$PORT" "$T_DIR/code.zip"
[ "$H_STATUS" = 200 ] || { echo "upload answered $H_STATUS $H_BODY"; exit 1; }
deployed "$FN" || { echo "the function did not deploy"; cat "$F_LOG"; exit 1; }
CPORT=$(fn_status "$FN" .containerPort)
[ "$CPORT" != null ] && [ -n "$CPORT" ] || CPORT=$(fn_status "$FN" '.replicas[0].address' | cut -d: -f2)
NET=$T_PREFIX-functions

# The reference: a container of the replica's image, env and limits on the same network.
RAW=$(wpy clone "$(fn_status "$FN" '.replicas[0].id')" "$T_PREFIX-raw") || exit 1
raw_ip() { docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$RAW"; }
raw_answers() { curl -sf -o /dev/null --max-time 1 "http://$(raw_ip):$CPORT/"; }
docker start "$RAW" >/dev/null || exit 1
wait_for "the reference container answers" 30 raw_answers || exit 1

# fn_in STATE: the record and the engine both say every replica is in STATE (the engine's call
# has returned: the record is written before it).
fn_in() {
    local id
    [ "$(fn_status "$FN" '[.replicas[].state] | join(",")')" = "$1" ] || return 1
    id=$(fn_status "$FN" '.replicas[0].id')
    case $1 in
    paused) [ "$(docker inspect -f '{{.State.Paused}}' "$id")" = true ] ;;
    stopped) [ "$(docker inspect -f '{{.State.Running}}' "$id")" = false ] ;;
    esac
}

: >"$T_DIR/results"
for i in $(seq 1 "$ROUNDS"); do
    echo "round $i/$ROUNDS ..." >&2
    wpy pause "$RAW" || exit 1
    wait_for "paused (round $i)" 30 fn_in paused || exit 1
    read -r t desc dur engine < <(wpy faas "$F_PORT" "$FN.localhost" "$(fn_status "$FN" '.replicas[0].id')") || exit 1
    [ "$desc" = paused ] || { echo "round $i: the paused wake says desc=$desc"; exit 1; }
    echo "paused faas $t $dur $engine" >>"$T_DIR/results"
    st=$(docker inspect -f '{{.State.Status}}' "$RAW")
    [ "$st" = paused ] || { echo "round $i: the reference container is $st, not paused"; docker inspect -f '{{json .State}}' "$RAW"; exit 1; }
    read -r t api req < <(wpy unpause "$RAW" "$(raw_ip):$CPORT") || exit 1
    echo "paused raw $t $api $req" >>"$T_DIR/results"

    wpy stop "$RAW" || exit 1
    wait_for "stopped (round $i)" 30 fn_in stopped || exit 1
    read -r t desc dur engine < <(wpy faas "$F_PORT" "$FN.localhost" "$(fn_status "$FN" '.replicas[0].id')") || exit 1
    [ "$desc" = stopped ] || { echo "round $i: the stopped wake says desc=$desc"; exit 1; }
    echo "stopped faas $t $dur $engine" >>"$T_DIR/results"
    read -r t api insp tries < <(wpy start "$RAW" "$NET" "$CPORT" "$POLL_MS") || exit 1
    echo "stopped raw $t $api $insp $tries" >>"$T_DIR/results"
done

echo "per round (state path total ms; faas: Server-Timing dur, engine event; by hand: API call, then request / inspect, tries):"
sed 's/^/  /' "$T_DIR/results"
# col STATE PATH FIELD: that field of every round ("-": the engine's event was not found in its buffer)
col() { awk -v s="$1" -v p="$2" -v c="$3" '$1==s && $2==p && $c != "-" {print $c}' "$T_DIR/results"; }
med() { col "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p90() { col "$@" | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.9); if (i < NR*0.9) i++; print a[i]}'; }
ratio() { echo "$(med "$1" faas 3) / $(med "$1" raw 3)" | bc -l; }
verdict() { [ "$(echo "$1 <= $2" | bc -l)" = 1 ] && echo met || echo "NOT met"; }
echo
echo "time to the first response after a wake, $ROUNDS rounds (ms, timed in one Python program; function:"
echo "python:3.11-slim http.server; by hand: same image, env and limits, same network; start polls every ${POLL_MS} ms)"
printf '%-8s %-44s %8s %8s\n' state path median p90
printf '%-8s %-44s %8s %8s\n' paused "faas (subdomain)" "$(med paused faas 3)" "$(p90 paused faas 3)"
printf '%-8s %-44s %8s %8s\n' paused "by hand: unpause + request" "$(med paused raw 3)" "$(p90 paused raw 3)"
printf '%-8s %-44s %8s %8s\n' stopped "faas (subdomain)" "$(med stopped faas 3)" "$(p90 stopped faas 3)"
printf '%-8s %-44s %8s %8s\n' stopped "by hand: start + inspect + poll to 200" "$(med stopped raw 3)" "$(p90 stopped raw 3)"
rp=$(ratio paused)
rs=$(ratio stopped)
printf 'faas / by hand (medians): paused %.2f (target <= 1.3: %s), stopped %.2f (target <= 1.2: %s)\n' \
    "$rp" "$(verdict "$rp" 1.3)" "$rs" "$(verdict "$rs" 1.2)"
echo "where the time goes (medians, ms from sending the request):"
printf '  paused:  faas: engine done (its unpause event) %s, requests let go %s (Server-Timing), answer %s;\n' \
    "$(med paused faas 5)" "$(med paused faas 4)" "$(med paused faas 3)"
printf '           by hand: unpause call %s, then the request %s\n' "$(med paused raw 4)" "$(med paused raw 5)"
printf '  stopped: faas: engine done (its start event) %s, requests let go %s, answer %s;\n' \
    "$(med stopped faas 5)" "$(med stopped faas 4)" "$(med stopped faas 3)"
printf '           by hand: start call %s, inspect %s, then %s polls to the answer\n' \
    "$(med stopped raw 4)" "$(med stopped raw 5)" "$(med stopped raw 6)"
faas_stop TERM
