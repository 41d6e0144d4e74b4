#!/usr/bin/env bash
# service_caps.sh: a service container keeps only the capabilities a web server needs: a raw
# or packet socket (ARP spoofing of the other functions on the shared network) is refused, the
# container shows CapDrop ALL with the short CapAdd list and no-new-privileges, and it still
# serves.
. "$(dirname "$0")/lib.sh"

faas_start_docker caps || exit 1
FN=$T_PREFIX-caps

# GET /raw: tries an ICMP raw socket and a packet socket; GET /caps: the bounding set.
mkdir -p "$T_DIR/app"
cat >"$T_DIR/app/main.py" <<'PY'
import os, socket, http.server
def attempt(family, kind, proto):
    try:
        socket.socket(family, kind, proto).close()
        return "allowed"
    except PermissionError:
        return "denied"
    except OSError as e:
        return "error " + str(e)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/raw":
            body = "icmp=%s packet=%s\n" % (attempt(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
                                           attempt(socket.AF_PACKET, socket.SOCK_RAW, 0x0806))
        elif self.path == "/caps":
            body = [l for l in open("/proc/self/status") if l.startswith("CapBnd")][0].split()[1] + "\n"
        else:
            body = "up\n"
        body = body.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("", int(os.environ["PORT"])), H).serve_forever()
PY
zip_dir "$T_DIR/app" "$T_DIR/app.zip"
call() { curl -s -H "Host: $FN.localhost" "$F_URL$1"; }

upload "$FN" 0 "$T_DIR/app.zip"
check_eq "upload" "$H_STATUS" 200
check "deployed" deployed "$FN"
check_eq "it serves" "$(call /)" up
check_eq "raw and packet sockets: permission denied" "$(call /raw)" "icmp=denied packet=denied"
# CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, KILL 5, SETGID 6, SETUID 7, NET_BIND_SERVICE 10 (not NET_RAW 13).
check_eq "the bounding set is the seven kept" "$(call /caps)" "$(printf '%016x' $(((1 << 0) | (1 << 1) | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 10))))"
cid=$(fn_status "$FN" .id)
check_eq "docker inspect: CapDrop" "$(docker inspect -f '{{json .HostConfig.CapDrop}}' "$cid")" '["ALL"]'
capadd=$(docker inspect -f '{{json .HostConfig.CapAdd}}' "$cid")
check_contains "docker inspect: CapAdd keeps NET_BIND_SERVICE" "$capadd" '"NET_BIND_SERVICE"'
check_not_contains "docker inspect: not NET_RAW" "$capadd" NET_RAW
check_contains "no-new-privileges" "$(docker inspect -f '{{json .HostConfig.SecurityOpt}}' "$cid")" no-new-privileges

http DELETE "$F_URL/function/delete/$FN" -H "Authorization: $F_KEY"
check_eq "delete" "$H_STATUS" 200
faas_stop TERM
check_eq "exit 0" "$F_RC" 0
t_done
