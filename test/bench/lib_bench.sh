# test/bench/lib_bench.sh: what the benchmarks share, sourced after test/e2e/lib.sh.

# bench_tools "PACKAGES" TOOL...: installs PACKAGES (Debian) unless every TOOL is there already.
bench_tools() {
    local pkgs=$1 tool; shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null && continue
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null ||
            { echo "cannot install $tool"; exit 1; }
    done
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# h2load_run SECONDS H2LOAD-ARGS...: "<req/s> <p50 ms> <p99 ms>" of h2load -t2 -c16 -m10 for SECONDS,
# the percentiles from its per-request log.
h2load_run() {
    local secs=$1 out log=$T_DIR/h2.log; shift
    rm -f "$log"
    out=$(h2load -t2 -c16 -m10 -D "$secs" --log-file="$log" "$@" 2>&1)
    echo "$(awk '/^finished in/ {print int($4)}' <<<"$out") $(awk '{print $3}' "$log" | sort -n |
        awk '{a[NR]=$1} END {printf "%.3f %.3f", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}')"
}

# bench_nginx_function NAME PORT: deploys NAME, a function that is Debian's nginx binary (1 worker,
# keep-alive) serving a 100-byte index.html on 8080 (HTTP/1.1) and 8081 (h2c) in its container:
# an upstream fast enough that the proxy, not the function, is what a benchmark measures. Builds
# the base image first (removed when the test exits). Needs faas started (F_URL, F_KEY). 1 on failure.
bench_nginx_function() {
    local fn=$1 port=$2 base=$T_PREFIX-nginx-base
    mkdir -p "$T_DIR/base/lib"
    cp /usr/sbin/nginx "$T_DIR/base/"
    ldd /usr/sbin/nginx | awk '/=> \// {print $3}' | grep -vE '/(libc|libm|libpthread|libdl)\.so' |
        xargs -I{} cp -L {} "$T_DIR/base/lib/"
    cat >"$T_DIR/base/nginx.conf" <<'NGINX'
daemon off; user root; worker_processes 1; error_log stderr error; pid /tmp/nginx.pid;
events { worker_connections 8192; }
http {
    access_log off; default_type text/plain; keepalive_requests 10000000; keepalive_timeout 300s;
    client_body_temp_path /tmp/b; proxy_temp_path /tmp/p; fastcgi_temp_path /tmp/f; uwsgi_temp_path /tmp/u; scgi_temp_path /tmp/s;
    server { listen 8080; listen 8081 http2; root /www; }
}
NGINX
    cat >"$T_DIR/base/Dockerfile" <<'DOCKERFILE'
FROM python:3.11-slim
COPY nginx /usr/sbin/nginx
COPY lib/ /opt/nginx-lib/
COPY nginx.conf /etc/nginx/faas.conf
ENV LD_LIBRARY_PATH=/opt/nginx-lib
RUN mkdir -p /var/lib/nginx /var/log/nginx /www
DOCKERFILE
    docker build -q -t "$base:1" "$T_DIR/base" >/dev/null 2>&1 || { echo "cannot build the upstream image"; return 1; }
    trap 'docker rmi -f "'"$base"':1" >/dev/null 2>&1; t_cleanup' EXIT
    http POST "$F_URL/runtime/upload/$T_PREFIX-nginx" -H "Authorization: $F_KEY" -F "file=@-;filename=Dockerfile" \
        <<<"$(printf 'FROM %s:1\nCOPY . /www\nCMD ["/usr/sbin/nginx", "-c", "/etc/nginx/faas.conf"]\n' "$base")"
    mkdir -p "$T_DIR/site" && head -c 100 /dev/zero | tr '\0' 'x' >"$T_DIR/site/index.html"
    zip_dir "$T_DIR/site" "$T_DIR/site.zip"
    http POST "$F_URL/function/upload" -H "Authorization: $F_KEY" -F "name=$fn" -F "tag=$fn:1" \
        -F "runtime=$T_PREFIX-nginx" -F "port=$port" -F "file=@$T_DIR/site.zip"
    deployed "$fn" || { echo "the upstream did not deploy"; cat "$F_LOG"; return 1; }
}

# bench_nginx_proxy UPSTREAM PORT H2PORT: Debian's nginx as a reverse proxy to UPSTREAM (host:port),
# 2 workers, keep-alive upstream connections, HTTP/1.1 on PORT and h2c on H2PORT (loopback).
# Sets NGINX_PID. 1 when it does not come up.
bench_nginx_proxy() {
    local up=$1 port=$2 port2=$3 d=$T_DIR/nginx
    mkdir -p "$d/logs"
    cat >"$d/nginx.conf" <<NGINX
worker_processes 2; error_log $d/error.log error; pid $d/nginx.pid;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $d/b; proxy_temp_path $d/p; fastcgi_temp_path $d/f; uwsgi_temp_path $d/u; scgi_temp_path $d/s;
    upstream fn { server $up; keepalive 64; }
    server {
        listen 127.0.0.1:$port; listen 127.0.0.1:$port2 http2; keepalive_requests 10000000;
        location / { proxy_pass http://fn; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host; }
    }
}
NGINX
    nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;' &
    NGINX_PID=$!
    T_PIDS+=("$NGINX_PID")
    wait_for "nginx" 10 curl -sf -o /dev/null "http://127.0.0.1:$port/" || { cat "$d/error.log"; return 1; }
}

# bench_haproxy UPSTREAM PORT H2PORT: Debian's HAProxy in front of UPSTREAM, nbthread = cores,
# keep-alive and `http-reuse always`, HTTP/1.1 on PORT and h2c (`proto h2`) on H2PORT. Sets HAPROXY_PID.
bench_haproxy() {
    local up=$1 port=$2 port2=$3 d=$T_DIR/haproxy
    mkdir -p "$d"
    cat >"$d/haproxy.cfg" <<HAPROXY
global
    nbthread $(nproc)
    maxconn 8000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
    http-reuse always
frontend fe
    bind 127.0.0.1:$port
    bind 127.0.0.1:$port2 proto h2
    default_backend be
backend be
    server s1 $up
HAPROXY
    haproxy -f "$d/haproxy.cfg" -db >"$d/log" 2>&1 &
    HAPROXY_PID=$!
    T_PIDS+=("$HAPROXY_PID")
    wait_for "haproxy" 10 curl -sf -o /dev/null "http://127.0.0.1:$port/" || { cat "$d/log"; return 1; }
}
