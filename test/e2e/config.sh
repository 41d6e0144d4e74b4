#!/usr/bin/env bash
# config.sh: faas.conf.lua and the environment as `faas serve` sees them: a bad value, an
# unknown name (with the nearest known one) or a Lua error stops start-up with exit 2 and one
# line naming the file and the setting, before anything is created; environment variables
# override the file; `faas check` shows every setting and where it came from; --help;
# SIGHUP reloads and logs what changed, and a broken reload keeps the running policy.
. "$(dirname "$0")/lib.sh"
SRC=${FAAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

# bad_start DESC EXPECTED_TEXT LUA...: serve must exit 2 with one line containing EXPECTED_TEXT.
bad_start() {
    local desc=$1 want=$2; shift 2
    local name=bad$T_CHECKS
    faas_write_conf "$name" "$@"
    local out rc
    out=$(HOME=$T_DIR/$name timeout 10 "$FAAS_BIN" serve -c "$T_DIR/$name/faas.conf.lua" 2>&1 >/dev/null)
    rc=$?
    if [ $rc = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ "$out" == *"$want"* ]] &&
        [ ! -e "$T_DIR/$name/.passfile" ] && [ ! -e "$T_DIR/$name/data" ]; then
        pass "$desc"
    else
        fail "$desc" "rc=$rc, output: $out"
    fi
}

bad_start "Lua syntax error" "faas.conf.lua:5: unexpected symbol" 'x = = 1'
bad_start "Lua runtime error" "faas.conf.lua:5: attempt to call a nil value" 'undefined_function()'
bad_start "endless loop in the file" "instruction budget exceeded" 'while true do end'
bad_start "memory bomb in the file" "memory cap" 's = "x" while true do s = s .. s end'
bad_start "no io library in the sandbox" "global 'io'" 'io.open("/etc/passwd")'
bad_start "no os.execute in the sandbox" "field 'execute'" 'os.execute("true")'
bad_start "bad listen" "listen:" 'listen = "nope"'
bad_start "listen port out of range" "listen: bad port" 'listen = "127.0.0.1:70000"'
bad_start "bad duration" "cleanup_interval: must be a duration" 'cleanup_interval = "soon"'
bad_start "duration out of range" "restart_interval: 0ms is out of range" 'restart_interval = 0'
bad_start "bad size" "limits.max_file_size: must be a size" 'limits = { max_file_size = "big" }'
bad_start "unknown key in limits" 'limits.memroy: unknown setting (did you mean "limits.memory"?)' 'limits = { memroy = "1g" }'
bad_start "unknown top-level setting" 'domian: unknown setting (did you mean "domain"?)' 'domian = "x"'
bad_start "unknown top-level table" 'limts: unknown setting (did you mean "limits"?)' 'limts = { memory = "1g" }'
bad_start "a misspelt hook" 'rout: unknown setting (did you mean "route"?)' 'function rout() return nil end'
bad_start "a global helper function" 'helper: unknown setting (helpers must be local: "local function helper")' \
    'function helper() return 1 end'
bad_start "a setting outside its table" 'threads: unknown setting (did you mean "server.threads"?)' 'threads = 4'
bad_start "a stray global value" "answer: unknown setting" 'answer = 42'
bad_start "7d is the top of the range" "cleanup_interval: 8d is out of range (1s to 7d)" 'cleanup_interval = "8d"'
bad_start "section that is not a table" "server: must be a table" 'server = 3'
bad_start "reserved_ports entry" "reserved_ports: entry 2 is outside 1..65535" 'reserved_ports = { 80, 0 }'
bad_start "allowlist entry" "allowlist: \"bad host!\" is not a host name" 'allowlist = { "bad host!" }'
bad_start "domain" "domain: \"-x\" is not a valid domain name" 'domain = "-x"'
bad_start "mode" "mode: must be \"dev\" or \"prod\"" 'mode = "staging"'
bad_start "log level" "log_level: must be" 'log_level = "loud"'
bad_start "hook of the wrong type" "route: must be a function, got a string" 'route = "billing"'
bad_start "tls.cert without tls.key" "tls.cert and tls.key: set both or neither" 'tls = { cert = "x.pem" }'
bad_start "unreadable tls.cert" "tls.cert: cannot read" 'tls = { cert = "missing.pem", key = "missing.pem" }'
bad_start "unknown module" "module 'nope' not found" 'require "nope"'

out=$(MAX_FILE_SIZE=abc "$FAAS_BIN" serve -c /dev/null 2>&1); rc=$?
check_eq "bad MAX_FILE_SIZE in the environment: exit 2" "$rc" 2
check_contains "the message names the variable" "$out" "MAX_FILE_SIZE (environment, for limits.max_file_size): must be a size"
out=$(DOCKER_HOST=tcp://1.2.3.4:2375 "$FAAS_BIN" serve -c /dev/null 2>&1); rc=$?
check_eq "DOCKER_HOST over tcp refused: exit 2" "$rc" 2
check_contains "names DOCKER_HOST" "$out" "DOCKER_HOST"
out=$(ALLOWLIST='ok.example.com,bad host' "$FAAS_BIN" serve -c /dev/null 2>&1); rc=$?
check_eq "bad ALLOWLIST entry: exit 2" "$rc" 2
out=$("$FAAS_BIN" serve -c "$T_DIR/does-not-exist.lua" 2>&1); rc=$?
check_eq "missing config file: exit 2" "$rc" 2
check_contains "names the file" "$out" "does-not-exist.lua"
out=$("$FAAS_BIN" serve --bogus 2>&1); rc=$?
check_eq "unknown argument: exit 2" "$rc" 2

# --- messages name the file actually read, whatever its name -------------------------------
mkdir -p "$T_DIR/named"
printf '%s\n' 'listen = "127.0.0.1:0"' 'print("hello from", "staging")' 'domian = "x"' >"$T_DIR/named/staging.lua"
STAGING=$(realpath "$T_DIR/named/staging.lua")
out=$("$FAAS_BIN" check -c "$T_DIR/named/staging.lua" 2>&1 >/dev/null); rc=$?
check_eq "faas check on an unknown setting: exit 2" "$rc" 2
check_contains "the error names the file read (-c), then the setting and the nearest name" "$out" \
    "faas: config: $STAGING: domian: unknown setting (did you mean \"domain\"?)"
check_contains "print() in the file names it too, with the line" "$out" "$STAGING:2: hello from staging"
sed -i '/domian/d' "$T_DIR/named/staging.lua"
out=$(cd "$T_DIR/named" && FAAS_CONFIG=staging.lua "$FAAS_BIN" check 2>&1); rc=$?
check_eq "FAAS_CONFIG names the file: exit 0" "$rc" 0
check_contains "and it is the one shown" "$out" "config    $STAGING"

# --- usage: help is asked for, so stdout and exit 0 ----------------------------------------
for args in "--help" "-h" "help" "serve --help" "serve -h" "check --help" "check -c x.lua --help"; do
    out=$("$FAAS_BIN" $args 2>"$T_DIR/help.err"); rc=$?
    if [ $rc = 0 ] && [[ "$out" == *"usage: faas serve [-c FILE]"* ]] && [ ! -s "$T_DIR/help.err" ]; then
        pass "faas $args: usage on stdout, exit 0"
    else
        fail "faas $args: usage on stdout, exit 0" "rc=$rc, stdout: $out, stderr: $(cat "$T_DIR/help.err")"
    fi
done
out=$("$FAAS_BIN" 2>&1 >/dev/null); rc=$?
check_eq "no command at all: usage on stderr, exit 2" "$rc" 2
check_contains "and it is the usage" "$out" "usage: faas serve"

# --- faas check: every setting, its value and where it came from ------------------------
faas_write_conf envcheck 'listen = "127.0.0.1:8088"' 'mode = "dev"' 'allowlist = { "a.example.com" }' \
    'cleanup_interval = "7d"' 'limits = { memory = "512m", max_file_size = "1m" }'
out=$(SERVER_PORT=9123 ENV=prod MAX_FILE_SIZE=5m "$FAAS_BIN" check -c "$T_DIR/envcheck/faas.conf.lua"); rc=$?
check_eq "faas check: exit 0" "$rc" 0
# row NAME VALUE FROM: the setting's line reads exactly "NAME  VALUE  FROM" (columns of spaces).
row() {
    local line
    line=$(printf '%s\n' "$out" | sed -n '/^setting /,/^$/p' | grep -E "^$1 " | tr -s ' ')
    check_eq "faas check: $1 is $2 from $3" "$line" "$1 $2 $3"
}
row listen 127.0.0.1:9123 "file, port from env SERVER_PORT"
row mode prod "env ENV"
row limits.max_file_size 5MiB "env MAX_FILE_SIZE"
row limits.memory 512MiB file
row cleanup_interval 7d file
row restart_interval 2m default
row domain localhost default
row data_dir "$(realpath "$T_DIR/envcheck")/data" file
row temp_dir "$(realpath "$T_DIR/envcheck")/data/tmp" default
row allowlist a.example.com file
row tls.acme.email - default
row server.threads 0 default
check_contains "prod is ACME mode: HTTPS with certificates from Let's Encrypt by default" "$out" \
    "https     port 443, certificates from https://acme-v02.api.letsencrypt.org/directory"
check_contains "and the plain port for challenges and redirects" "$out" "http      port 80: ACME challenges"
check_contains "the names the allowlist allows" "$out" "tls names a.example.com"
check_contains "listen is not opened then" "$out" "listen    not opened in ACME mode"
check_contains "the hooks" "$out" "hook      route           -"
out=$("$FAAS_BIN" check -c "$T_DIR/envcheck/faas.conf.lua")
row listen 127.0.0.1:8088 file
row limits.max_file_size 1MiB file

# Every setting faas.conf.lua documents (commented-out ones included) is a row, and nothing else.
documented=$(awk '
    /^[a-z]+ = \{$/       { table = $1 "."; next }
    /^\}/                 { table = ""; next }
    /^  -- acme = \{/      { acme = "acme."; next }
    /^  -- \},/            { acme = ""; next }
    /^(-- )?[a-z_]+ = /   { sub(/^-- /, ""); print $1; next }
    table != "" && /^  (-- *)?[a-z_]+ = / { line = $0; sub(/^  (-- *)?/, "", line); split(line, w, " "); print table acme w[1] }
 ' "$SRC/faas.conf.lua" | sort)
out=$(env -i HOME="$T_DIR" "$FAAS_BIN" check -c "$SRC/faas.conf.lua"); rc=$?
check_eq "the repository's faas.conf.lua: exit 0" "$rc" 0
rows=$(printf '%s\n' "$out" | sed -n '/^setting /,/^$/p' | sed '1d;/^$/d')
check_eq "faas check shows each of the $(echo "$documented" | wc -l) documented settings once" \
    "$(awk '{ print $1 }' <<<"$rows" | sort)" "$documented"
check_eq "each from the file or its default (no environment here)" "$(awk '$NF !~ /^(file|default)$/' <<<"$rows")" ""

head -c 3000000 /dev/urandom >"$T_DIR/3mb.bin"
faas_start limit 'limits = { max_body_size = "1m", max_file_size = "1k" }' || exit 1
http POST "$F_URL/health" --data-binary "@$T_DIR/3mb.bin"
check_eq "3 MB body refused under the file's limits" "$H_STATUS" 413
faas_stop TERM
export MAX_FILE_SIZE=5m
faas_run limit || exit 1
unset MAX_FILE_SIZE
http POST "$F_URL/health" -H "Authorization: $F_KEY" --data-binary "@$T_DIR/3mb.bin"
check_eq "MAX_FILE_SIZE=5m in the environment lets it in (then 405)" "$H_STATUS" 405
faas_stop TERM

# --- SIGHUP reload ---------------------------------------------------------------------
faas_start reload 'log_level = "info"' || exit 1
conf=$F_DIR/faas.conf.lua
port=${F_URL##*:}
curl -s -o /dev/null "$F_URL/health"
check_not_contains "no request lines at log_level info" "$(cat "$F_LOG")" "GET 127.0.0.1:$port/health"

sed -i 's/log_level = "info"/log_level = "debug"/' "$conf"
kill -HUP "$F_PID"
check "reload logged" wait_for "reloaded" 10 grep -q "reloaded $conf (1 setting changed)" "$F_LOG"
check "the changed setting is logged with both values" grep -q "info  reload: log_level: info -> debug$" "$F_LOG"
curl -s -o /dev/null "$F_URL/health?after=reload"
check "log_level debug applies after SIGHUP" wait_for "debug line" 5 grep -q "health?after=reload" "$F_LOG"

echo 'x = = broken' >>"$conf"
kill -HUP "$F_PID"
check "broken reload is logged with the reason" wait_for "reload failed" 10 grep -q "reload failed, keeping the running configuration: .*faas.conf.lua:.*unexpected symbol" "$F_LOG"
curl -s -o /dev/null "$F_URL/health?after=broken"
check "the running policy is kept (still debug, still serving)" wait_for "debug line" 5 grep -q "health?after=broken" "$F_LOG"

sed -i '$d' "$conf"
echo 'domian = "example.org"' >>"$conf"
kill -HUP "$F_PID"
check "a reload with an unknown setting fails, naming the file and the nearest name" wait_for "reload failed" 10 \
    grep -qF "reload failed, keeping the running configuration: $(realpath "$conf"): domian: unknown setting (did you mean \"domain\"?)" "$F_LOG"

sed -i 's/^domian = /domain = /' "$conf"
sed -i 's/^listen = .*/listen = "127.0.0.1:1"/' "$conf"
kill -HUP "$F_PID"
check "the reload applies the new domain" wait_for "reloaded" 10 grep -q "reloaded $conf (1 setting changed)" "$F_LOG"
check "and logs it" grep -q "info  reload: domain: localhost -> example.org$" "$F_LOG"
check "a restart-only change is reported with its values, and kept" \
    grep -q "warn  reload: listen: 127.0.0.1:0 -> 127.0.0.1:1: restart faas to apply (kept 127.0.0.1:0)$" "$F_LOG"
check_eq "and the old port keeps serving" "$(curl -s -o /dev/null -w '%{http_code}' "$F_URL/health")" 200
faas_stop TERM
check_eq "exit 0 after reloads" "$F_RC" 0

t_done
