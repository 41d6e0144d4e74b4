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
