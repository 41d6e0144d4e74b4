#!/bin/sh
# test/fuzz/run.sh: runs one fuzz target as `ctest -L fuzz` does, for a bounded time.
#   run.sh <target binary> <seed corpus folder> <work folder>
# FAAS_FUZZ_SECONDS (default 20): how long to fuzz; 0 only replays the seeds and what earlier
# runs found. New inputs go to <work>/corpus (never into the seeds of the source tree), a crash
# to <work>/crash-* with the command that replays it, libFuzzer's output to <work>/log, and one
# line of figures (runs, executions per second, coverage) to <work>/summary and stdout.
set -eu
bin=$1 seeds=$2 work=$3
secs=${FAAS_FUZZ_SECONDS:-20}
name=$(basename "$bin")
mkdir -p "$work/corpus"
if [ "$secs" = 0 ]; then
    bound=-runs=0
else
    bound=-max_total_time=$secs
fi
# -timeout: one input taking 10 s is a hang; -rss_limit_mb: two fuzzers share a 2-core CI machine.
rc=0
"$bin" "$bound" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work/corpus" "$seeds" >"$work/log" 2>&1 || rc=$?
# The last status line (DONE, or INITED when only the corpus ran) and the final figures.
last=$(grep -E '^#[0-9]+[[:space:]]+(INITED|DONE|NEW|REDUCE|pulse)' "$work/log" | tail -n 1 || true)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([^ ]*\).*/cov \1 ft \2 corpus \3/p')
if [ "$rc" = 0 ]; then
    echo "fuzz: $name: ${runs:-?} runs in ${secs}s, ${eps:-?} exec/s, ${cov:-no coverage line}"
else
    echo "fuzz: $name: FAILED after ${runs:-?} runs (exit $rc), ${cov:-no coverage line}"
fi | tee "$work/summary"
if [ "$rc" != 0 ]; then
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$work/log" | tail -n 80
    for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
        [ -e "$f" ] && echo "fuzz: reproduce with: $bin $f"
    done
fi
exit "$rc"
