#!/usr/bin/env bash
# policy_hooks.sh: a route hook fed hostile requests cannot take faas down or hold a loop. A hook
# that keeps every path it sees, fed tens of thousands of 5 KB paths over h2c, reaches its Lua
# state's memory cap: that call fails (logged), the state is rebuilt from the file, faas stays up
# and the hook answers the next request. A hook whose pattern backtracks without end, over a long
# path, fails at its instruction budget within moments and the request is answered.
. "$(dirname "$0")/lib.sh"

faas_start one \
    'local seen, calls = {}, 0' \
    'function route(host, path, method)' \
    '  calls = calls + 1' \
    '  if path == "/probe" then return "probe-" .. calls end' \
    '  if path:sub(1, 5) == "/php/" then return path:find(".-.-.-%.php$") and "php" or nil end' \
    '  seen[#seen + 1] = path' \
    '  return nil' \
    'end' || { fail "faas starts with a route hook"; t_done; exit 1; }
pass "faas starts with a route hook"

# --- a hook that keeps what it sees --------------------------------------------------------------
LONG=/keep/$(head -c 5000 /dev/zero | tr '\0' k)
# Each request hands the hook at most 4 KiB of its path: ~16,000 of them fill the 64 MiB cap of
# the state of the loop that serves them (one connection: one loop).
OUT=$(h2load -n 24000 -c 1 -m 16 "$F_URL$LONG" 2>&1)
check_contains "24000 requests with 5 KB paths over one h2c connection are all answered" \
    "$OUT" "24000 done"
check "faas is still running" kill -0 "$F_PID"
check_contains "the hook that reached its memory cap failed, and said why" "$(cat "$F_LOG")" \
    "policy hook route failed: out of memory: the Lua state reached its memory cap (64 MiB)"
check_contains "its Lua state was rebuilt from the file" "$(cat "$F_LOG")" "policy: Lua state rebuilt from"
check_not_contains "no Lua panic" "$(cat "$F_LOG")" "lua panic"
http GET "$F_URL/probe" --http2-prior-knowledge
check_eq "the hook answers the next request (it named a function that does not exist)" \
    "$H_STATUS $(json .details)" "404 the route hook named an unknown function"
http GET "$F_URL/health"
check_contains "/health answers (whatever the engine's state)" "$H_BODY" '"status":' 

# --- a pattern that backtracks without end ---------------------------------------------------------
T0=$(date +%s%N)
http GET "$F_URL/php/$(head -c 6000 /dev/zero | tr '\0' a)" --http2-prior-knowledge
MS=$((($(date +%s%N) - T0) / 1000000))
check_eq "a path the hook's pattern cannot finish on is answered (the hook failed: no route)" "$H_STATUS" 401
check "within 2 s (Lua's own matcher: hours on 4 KiB)" test "$MS" -lt 2000
check_contains "the hook stopped at its instruction budget" "$(cat "$F_LOG")" \
    "pattern matching exceeded the instruction budget"
http GET "$F_URL/php/x.php"
check_eq "the same hook still routes a short path" "$H_STATUS $(json .details)" \
    "404 the route hook named an unknown function"
echo "pathological pattern answered in $MS ms"

faas_stop
check_eq "exit 0" "$F_RC" 0
t_done
