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
