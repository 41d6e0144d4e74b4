#!/usr/bin/env bash
# volume_links.sh: a function plants symlinks in its own writable volume, pointing at a host
# folder (this test's), and later uploads name them: every one is judged by where it leads
# (403 outside the function's folder, unless volume_allowed allows that resolved folder, which
# is then what gets bound), nothing is created through a link, writable folders around others
# are refused (in one upload, and against the running container), and a link swapped in while
# the function is stopped stops its container from being made again.
. "$(dirname "$0")/lib.sh"

HOST=$(realpath "$T_DIR")/host # where the links lead: must stay untouched
mkdir -p "$HOST/ok"
echo secret >"$HOST/secret"
faas_start_docker vol "volume_allowed = function(host, container) return host == \"$HOST/ok\" end" || exit 1
AUTH=(-H "Authorization: $F_KEY")
FN=$T_PREFIX-vol
BASE=$(realpath "$F_DIR/data")/volumes/$FN

# The function: GET /link?name=N&target=T makes the symlink /vol/N -> T; /mkdir?name=N a folder.
mkdir -p "$T_DIR/app"
cat >"$T_DIR/app/main.py" <<'PY'
import os, http.server, urllib.parse
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        try:
            if u.path == "/link":
                os.symlink(q["target"], "/vol/" + q["name"])
            elif u.path == "/mkdir":
                os.makedirs("/vol/" + q["name"], exist_ok=True)
            body = b"done\n"
        except OSError as e:
            body = ("error " + str(e) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("", int(os.environ["PORT"])), H).serve_forever()
PY
zip_dir "$T_DIR/app" "$T_DIR/app.zip"
call() { curl -s -H "Host: $FN.localhost" "$F_URL$1"; }
host_untouched() { [ "$(cd "$HOST" && find . | sort | tr '\n' ' ')" = ". ./ok ./secret " ]; }

upload "$FN" 0 "$T_DIR/app.zip" -F 'volume=.:/vol'
check_eq "a function with its whole folder writable" "$H_STATUS" 200
check "deployed" deployed "$FN"
check_eq "it plants esc -> the host folder" "$(call "/link?name=esc&target=$HOST")" done
check_eq "it makes data/" "$(call "/mkdir?name=data")" done
check_eq "it plants data/link -> the host folder" "$(call "/link?name=data/link&target=$HOST")" done
check "the links are there on the host" test -L "$BASE/esc" -a -L "$BASE/data/link"

refused() {
    local desc=$1 status=$2 volume=$3
    upload "$FN" 0 "$T_DIR/app.zip" -F "volume=$volume"
    check_eq "$desc: $status" "$H_STATUS" "$status"
}
refused "volume=esc:/x leads outside" 403 "esc:/x"
check_eq "as Volume not allowed" "$(json .error)" "Volume not allowed"
check_contains "naming where the link leads" "$(json .details)" "$HOST (where a symlink leads) is outside"
refused "volume=esc/sub:/x" 403 "esc/sub:/x"
refused "volume=data/link/sub:/x (a link deeper down)" 403 "data/link/sub:/x"
refused "volume=./esc/../esc/sub:/x:ro (read-only changes nothing)" 403 "./esc/../esc/sub:/x:ro"
check "nothing was made in the host folder" host_untouched
refused "a writable folder around another in one upload" 400 ".:/all,data:/data"
check_contains "says why" "$(json .details)" "lies inside the folder of volume /all"
refused "a folder inside the one the running container holds writable" 409 "data/new:/x"
check_contains "says why" "$(json .details)" "which a container of this function mounts"
check "and makes nothing" test ! -e "$BASE/data/new"
check_eq "the function still serves its first version" "$(call "/mkdir?name=still")" done

# volume_allowed allows the resolved folder: that folder, not the link, is what Docker binds.
upload "$FN" 0 "$T_DIR/app.zip" -F "volume=esc/ok:/vol"
check_eq "volume=esc/ok:/vol where volume_allowed allows $HOST/ok" "$H_STATUS" 200
check "deployed" deployed "$FN"
one_container() { [ "$(docker ps -aq --filter "label=faas.function=$FN" | wc -l)" = 1 ]; }
check "the first version's container is retired" wait_for "old container gone" 30 one_container
cid=$(fn_status "$FN" .id)
check_eq "bound by its resolved path" "$(docker inspect -f '{{range .Mounts}}{{.Source}}{{end}}' "$cid")" "$HOST/ok"

# A link swapped in on the host while the function is stopped: its container is not made again.
upload "$FN" 0 "$T_DIR/app.zip" -F "volume=data/own:/vol"
check_eq "a volume of its own again" "$H_STATUS" 200
check "deployed" deployed "$FN"
http POST "$F_URL/function/stop/$FN" "${AUTH[@]}"
check_eq "stopped" "$H_STATUS" 200
mv "$BASE/data/own" "$BASE/data/own.real" && ln -s "$HOST/made" "$BASE/data/own"
docker rm -f "$(fn_status "$FN" .id)" >/dev/null
http POST "$F_URL/function/start/$FN" "${AUTH[@]}"
check_eq "start refuses to bind through the link" "$H_STATUS" 403
check_contains "names it" "$(json .error)" "is a symlink or a file"
check "nothing was made through it" test ! -e "$HOST/made"
check "the host folder is untouched" host_untouched

http DELETE "$F_URL/function/delete/$FN" "${AUTH[@]}"
check_eq "delete" "$H_STATUS" 200
faas_stop TERM
check_eq "exit 0" "$F_RC" 0
t_done
