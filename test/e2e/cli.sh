#!/usr/bin/env bash
# cli.sh: the faas command-line client against the real server and engine. Login (key on stdin,
# the file 0600), usage errors (exit 2), a bad key and an unreachable server (one line, exit 1),
# deploy of a folder with a .faasignore (ignored files are not in the image: the function says
# which files it sees), invoke, ls/info as tables and --json, a second version, logs --tail,
# output without control characters when it is not a terminal, a failing build (exit 1, the
# log's tail and the Docker error), runtimes, a job (submit, run), rm, bash completion.
. "$(dirname "$0")/lib.sh"

FAAS_BIN=$(realpath "$FAAS_BIN") # deploy runs in the function's folder
faas_start_docker cli || exit 1
export HOME=$T_DIR/home # the client's login file lives here
mkdir -p "$HOME"
unset FAAS_URL FAAS_KEY
FN=$T_PREFIX-app
CLI() { "$FAAS_BIN" "$@"; }
# run OUT ERR CMD...: runs the client, stdout and stderr to files; RC is its exit code.
# (in a sanitizer build a report on stderr fails the test, whatever the exit code)
run() {
    local out=$1 err=$2; shift 2
    CLI "$@" >"$T_DIR/$out" 2>"$T_DIR/$err"; RC=$?
    if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T_DIR/$err"; then
        fail "sanitizer report from: faas $*" "$(grep -m3 -E "Sanitizer|runtime error:" "$T_DIR/$err")"
    fi
}
lines() { wc -l <"$1" | tr -d ' '; }
# no_controls FILE: no byte below 0x20 but \n and \t, and no DEL.
no_controls() { ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$1"; }
json_ok() { jq -e . "$1" >/dev/null 2>&1; }

# --- usage errors: one line + "see faas help CMD", exit 2 ----------------------------------
run o e deploy --port x
check_eq "usage: a bad option value exits 2" "$RC" 2
check_contains "usage: the line names the option" "$(head -n 1 "$T_DIR/e")" "faas deploy: --port"
check_eq "usage: then 'see faas help deploy'" "$(sed -n 2p "$T_DIR/e")" "see faas help deploy"
run o e frobnicate
check_eq "usage: an unknown command exits 2" "$RC" 2
run o e logs
check_eq "usage: a missing argument exits 2" "$RC" 2
run o e help invoke
check_eq "help invoke exits 0" "$RC" 0
check_contains "help invoke shows its options" "$(cat "$T_DIR/o")" "--header"

# --- not logged in, unreachable, bad key --------------------------------------------------
run o e ls
check_eq "not logged in: exit 1" "$RC" 1
check_contains "not logged in: says how to log in" "$(cat "$T_DIR/e")" "faas login URL"
DEAD=$(free_port)
FAAS_URL=http://127.0.0.1:$DEAD FAAS_KEY=x CLI ls >"$T_DIR/o" 2>"$T_DIR/e"; RC=$?
check_eq "unreachable server: exit 1" "$RC" 1
check_eq "unreachable server: one line" "$(lines "$T_DIR/e")" 1
check_contains "unreachable server: names the cause" "$(cat "$T_DIR/e")" "faas: cannot reach http://127.0.0.1:$DEAD"
FAAS_URL=$F_URL FAAS_KEY=wrong CLI ls >"$T_DIR/o" 2>"$T_DIR/e"; RC=$?
check_eq "bad key: exit 1" "$RC" 1
check_eq "bad key: one line" "$(cat "$T_DIR/e")" "faas: bad key (faas login URL)"

# --- login ----------------------------------------------------------------------------------
echo wrong | CLI login "$F_URL" >"$T_DIR/o" 2>"$T_DIR/e"; RC=$?
check_eq "login with a bad key: exit 1" "$RC" 1
check "login with a bad key stores nothing" test ! -e "$HOME/.config/faas/config"
echo "$F_KEY" | CLI login "$F_URL/" >"$T_DIR/o" 2>"$T_DIR/e"; RC=$?
check_eq "login (key on stdin): exit 0" "$RC" 0
check_eq "login file is 0600" "$(stat -c %a "$HOME/.config/faas/config")" 600
check_eq "login folder is 0700" "$(stat -c %a "$HOME/.config/faas")" 700
check "login file holds the URL" grep -qx "url = $F_URL" "$HOME/.config/faas/config"
run o e ls
check_eq "ls after login: exit 0" "$RC" 0

# --- deploy a folder with a .faasignore -----------------------------------------------------
# app VERSION: the service in $T_DIR/$FN: GET /files says which files it sees, POST echoes, and it
# writes a colour sequence and a bell to its log (for the control-character checks).
app() {
    local d=$T_DIR/$FN
    mkdir -p "$d/build" "$d/.git" "$d/docs"
    cat >"$d/main.py" <<PY
import os, http.server, sys
print("\x1b[31mred-marker\x1b[0m \x07bell \x1b]0;title\x07done", flush=True)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/files":
            names = ["secret.txt", "a.log", "keep.log", "build/x", ".git/config", "docs/readme.md", "main.py"]
            body = " ".join(n + "=" + ("1" if os.path.exists(n) else "0") for n in names)
            return self.reply(200, body.encode())
        if self.path == "/boom":
            return self.reply(503, b"down")
        self.reply(200, b"$1\n")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.reply(200, b"echo " + self.rfile.read(n) + b" " + str(self.headers.get("X-Test")).encode())
    def log_message(self, *args):
        print("request", self.path, flush=True)
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), H).serve_forever()
PY
    printf 's\n' >"$d/secret.txt"
    printf 'l\n' >"$d/a.log"
    printf 'k\n' >"$d/keep.log"
    printf 'x\n' >"$d/build/x"
    printf 'g\n' >"$d/.git/config"
    printf 'r\n' >"$d/docs/readme.md"
    printf '# comment\n\n/secret.txt\n*.log\n!keep.log\nbuild/\n' >"$d/.faasignore"
}
app v1
(cd "$T_DIR/$FN" && CLI deploy >"$T_DIR/deploy.out" 2>"$T_DIR/deploy.err"); RC=$?
check_eq "deploy (name from the folder): exit 0" "$RC" 0
echo "---- deploy stdout"; cat "$T_DIR/deploy.out"; echo "---- deploy stderr (last lines)"; tail -n 5 "$T_DIR/deploy.err"
check_contains "deploy prints the times" "$(cat "$T_DIR/deploy.out")" "$FN deployed in"
check_contains "deploy prints upload time" "$(cat "$T_DIR/deploy.out")" "upload "
check_eq "the record serves the build" "$(fn_status "$FN" .build.status)" succeeded
run o e invoke "$FN" /files
check_eq "invoke: exit 0" "$RC" 0
check_eq "the image has what .faasignore does not name, not the rest" "$(cat "$T_DIR/o")" \
    "secret.txt=0 a.log=0 keep.log=1 build/x=0 .git/config=0 docs/readme.md=1 main.py=1"
run o e invoke "$FN"
check_eq "invoke / answers v1" "$(cat "$T_DIR/o")" v1
run o e invoke "$FN" echo -d hello -H 'X-Test: yes' -v
check_eq "invoke -d POSTs the body with the header" "$(cat "$T_DIR/o")" "echo hello yes"
check_contains "invoke -v: the status on stderr" "$(cat "$T_DIR/e")" "< HTTP/1.1 200"
printf 'from-file' >"$T_DIR/body"
run o e invoke "$FN" /echo -d "@$T_DIR/body"
check_eq "invoke -d @file" "$(cat "$T_DIR/o")" "echo from-file None"
run o e invoke "$FN" /boom
check_eq "invoke: a 5xx answer exits 1" "$RC" 1
check_eq "invoke: ... its body still on stdout" "$(cat "$T_DIR/o")" down

# --- ls and info: tables and --json -------------------------------------------------------
run o e ls
check_contains "ls: the table has a header" "$(head -n 1 "$T_DIR/o")" "NAME"
check_contains "ls: the function is running" "$(grep "^$FN " "$T_DIR/o")" running
check "ls: no control characters in piped output" no_controls "$T_DIR/o"
run o e ls --json
check "ls --json parses" json_ok "$T_DIR/o"
check_eq "ls --json names it" "$(jq -r '.keys[]' "$T_DIR/o" | grep -cx "$FN")" 1
run o e ls -q
check_eq "ls -q: names only" "$(grep -cx "$FN" "$T_DIR/o")" 1
run o e info "$FN"
check_contains "info: status" "$(grep '^status' "$T_DIR/o")" running
check "info: no control characters" no_controls "$T_DIR/o"
run o e info "$FN" --json
check "info --json parses" json_ok "$T_DIR/o"
check_eq "info --json is the record" "$(jq -r .name "$T_DIR/o")" "$FN"

# On a terminal (script gives a pty): colours, unless NO_COLOR is set.
if command -v script >/dev/null 2>&1; then
    out=$(env -u NO_COLOR script -qec "$FAAS_BIN ls" /dev/null </dev/null 2>&1)
    check_contains "ls on a terminal: colour" "$out" $'\x1b[1m'
    out=$(NO_COLOR=1 script -qec "$FAAS_BIN ls" /dev/null </dev/null 2>&1)
    check_not_contains "ls on a terminal with NO_COLOR: none" "$out" $'\x1b['
fi
run o e invoke "$FN" /files --json
check_eq "invoke --json: the status" "$(jq -r .status "$T_DIR/o")" 200
run o e scale "$FN" --max 2
check_eq "scale: exit 0" "$RC" 0
check_contains "scale: the settings in force" "$(cat "$T_DIR/o")" "max 2"

# --- logs ---------------------------------------------------------------------------------
run o e logs "$FN"
check_contains "logs: the function's output" "$(cat "$T_DIR/o")" "red-marker"
check "logs: escape sequences and the bell removed when piped" no_controls "$T_DIR/o"
check_contains "logs: the text around them kept" "$(cat "$T_DIR/o")" "red-marker bell done"
run o e logs "$FN" --tail 1
check_eq "logs --tail 1: one line" "$(lines "$T_DIR/o")" 1
run o e logs "$FN" --build
check "logs --build: the build log" test -s "$T_DIR/o"
run o e logs "$FN" --json
check_eq "logs --json: one document" "$(jq -r .source "$T_DIR/o")" container
check_contains "logs --json: the log, escapes kept as JSON escapes" "$(jq -r .log "$T_DIR/o")" "red-marker"
run o e logs "$FN" --json -f
check_eq "logs --json -f: a usage error" "$RC" 2

# A symbolic link in the folder: refused before anything is uploaded.
mkdir -p "$T_DIR/linked" && printf 'x\n' >"$T_DIR/linked/main.py" && ln -s /etc/passwd "$T_DIR/linked/passwd"
run o e deploy "$T_DIR/linked" --name "$T_PREFIX-linked"
check_eq "deploy with a symlink: exit 1" "$RC" 1
check_contains "deploy with a symlink: names it" "$(cat "$T_DIR/e")" "passwd: a symbolic link"
run o e info "$T_PREFIX-linked"
check_eq "deploy with a symlink: nothing uploaded" "$RC" 1

# --- a second version ---------------------------------------------------------------------
app v2
CLI deploy "$T_DIR/$FN" --name "$FN" >"$T_DIR/deploy2.out" 2>"$T_DIR/deploy2.err"; RC=$?
check_eq "second deploy: exit 0" "$RC" 0
check "second deploy: stdout has no control characters" no_controls "$T_DIR/deploy2.out"
check_eq "the second version answers" "$(CLI invoke "$FN")" v2

# --- a failing build ----------------------------------------------------------------------
printf 'FROM busybox:latest\nRUN echo boom-marker && exit 3\n' >"$T_DIR/Dockerfile.bad"
run o e runtime add "$T_PREFIX-bad" "$T_DIR/Dockerfile.bad"
check_eq "runtime add: exit 0" "$RC" 0
run o e runtime ls
check "runtime ls lists it" grep -qx "$T_PREFIX-bad" "$T_DIR/o"
run o e runtime show "$T_PREFIX-bad"
check_contains "runtime show prints the Dockerfile" "$(cat "$T_DIR/o")" "boom-marker"
mkdir -p "$T_DIR/bad" && printf 'x\n' >"$T_DIR/bad/main.py"
run o e deploy "$T_DIR/bad" --name "$T_PREFIX-bad" --runtime "$T_PREFIX-bad"
check_eq "failing build: exit 1" "$RC" 1
check_contains "failing build: the log's tail" "$(cat "$T_DIR/e")" "boom-marker"
check_contains "failing build: the error on the last line" "$(tail -n 1 "$T_DIR/e")" "faas: $T_PREFIX-bad: build"
check_contains "failing build: Docker's error" "$(tail -n 1 "$T_DIR/e")" "non-zero code: 3"
run o e rm "$T_PREFIX-bad"
run o e runtime rm "$T_PREFIX-bad"
check_eq "runtime rm: exit 0" "$RC" 0

# --- a job function -----------------------------------------------------------------------
mkdir -p "$T_DIR/job"
printf 'import os\nprint("Hello, " + os.environ.get("NAME", "World") + "!")\n' >"$T_DIR/job/main.py"
run o e submit "$T_DIR/job" --name "$T_PREFIX-job"
check_eq "submit: exit 0" "$RC" 0
run o e run "$T_PREFIX-job" name=Ada
check_eq "run: exit 0" "$RC" 0
check_eq "run prints the output" "$(cat "$T_DIR/o")" "Hello, Ada!"
run o e run "$T_PREFIX-job" name=Ada --json
check_eq "run --json parses" "$(jq -r .exitCode "$T_DIR/o")" 0
run o e invoke "$T_PREFIX-job"
check_contains "invoke of a job: says to run it" "$(cat "$T_DIR/e")" "is a job function"
run o e rm "$T_PREFIX-job"
check_eq "rm of a job: exit 0" "$RC" 0

# --- rm -----------------------------------------------------------------------------------
run o e rm "$FN"
check_eq "rm: exit 0" "$RC" 0
run o e info "$FN"
check_eq "info after rm: exit 1" "$RC" 1
check_eq "info after rm: one line from the server" "$(cat "$T_DIR/e")" "faas: Function not found"
check_eq "rm: no container left" "$(docker ps -aq --filter "label=faas.function=$FN" | wc -l)" 0

# --- completion and logout ----------------------------------------------------------------
CLI completion bash >"$T_DIR/completion.bash"
check "completion bash is valid bash" bash -n "$T_DIR/completion.bash"
comp() { # comp WORDS...: what the completion offers for the last word
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _faas; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$T_DIR/completion.bash" "$@"
}
check_contains "completion: commands" "$(comp faas dep)" deploy
check_contains "completion: options" "$(comp faas deploy --ru)" --runtime
check_contains "completion: subcommands" "$(comp faas runtime s)" show
CLI logout >/dev/null
check "logout removes the login" test ! -e "$HOME/.config/faas/config"

faas_stop
t_done
