#!/usr/bin/env bash
# Counts instructions with valgrind's callgrind (repeatable on a busy machine; seconds are not):
#
#   Benchmarks/callgrind.sh [SENSORS READINGS_EACH]     (default 1000 10)
#
# 1. The thin relay, whole, on a private mosquitto while sensor-sim publishes the readings (QoS 1,
#    no faults), stopped once every reading has come out: instructions per reading and where they
#    went by shared object.
# 2. The gateway's recovery engine (`gateway-bench engine`, the field's fault mix, 1,000 sensors):
#    instructions per message inside `RecoveryEngine.ingest` (parse, validate, release, render),
#    and the top functions by self cost. The whole daemon does not run under Debian 12's
#    valgrind 3.19 (it stops with an internal SIGSEGV as the process starts, debug info stripped
#    or not), so its CPU against the relay's is measured in seconds by plant-scale.sh and
#    profiled with perf (docs/PERFORMANCE.md).
# KEEP=1 keeps the callgrind.out files for callgrind_annotate or kcachegrind.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sensors=${1:-1000}
per=${2:-10}
total=$((sensors * per))
swift build -c release --product sensor-sim >&2
work=$(mktemp -d /var/tmp/callgrind.XXXXXX)
cc -O2 -g -o "$work/relay" Benchmarks/scale/relay.c -lmosquitto
swift build -c release --product gateway-bench >&2
# Debian 12's valgrind gives up on the Swift toolchain's DWARF; the symbol table is enough.
mkdir -p "$work/bin" && strip --strip-debug -o "$work/bin/gateway-bench" .build/release/gateway-bench
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
source scripts/lib/local-broker.sh

relay() {
    local out=$work/callgrind.out.relay log=$work/relay.log filter pid
    start_broker
    valgrind --tool=callgrind --callgrind-out-file="$out" "$work/relay" "$port" 1000 > "$log" 2>&1 &
    filter='relay/#'
    pid=$!
    for _ in $(seq 1200); do grep -q "relay subscribed" "$log" && break; sleep 0.1; done
    mosquitto_sub -p "$port" -q 1 -t "$filter" -C "$total" > /dev/null &
    local sub=$!
    sleep 0.5
    "$root/.build/release/sensor-sim" run --broker "mqtt://127.0.0.1:$port" --sensors "$sensors" --count "$per" \
        --rate max --linger 0 --skip-rate 0 --error-rate 0 --dup-rate 0 --reorder-rate 0 --corrupt-rate 0 \
        --start-ts 1795660000000 > "$work/sim.log" 2>&1
    wait "$sub"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    stop_broker
    local ir
    ir=$(grep -E "^(summary|totals):" "$out" | head -1 | awk '{print $2}')
    printf '\nrelay: %s instructions, %d per reading (%d readings, start-up and shut-down included)\n' "$ir" "$((ir / total))" "$total"
    printf '| shared object | share of instructions |\n|---|---|\n'
    callgrind_annotate --inclusive=no --threshold=100 "$out" 2>/dev/null \
        | awk -v total="$ir" '
          # The function list is the block after PROGRAM TOTALS; later blocks repeat the counts.
          /PROGRAM TOTALS/ { started = 1; next }
          started && /^--/ && counted { started = 0 }
          started && /^ *[0-9,]+ \(/ {
              n = $1; gsub(",", "", n); counted = 1
              obj = "the program itself"
              if (match($0, /\[[^]]*\]$/)) { obj = substr($0, RSTART + 1, RLENGTH - 2); sub(".*/", "", obj) }
              by[obj] += n
          }
          END { for (o in by) if (by[o] / total >= 0.005) printf "| %s | %.1f%% |\n", o, 100 * by[o] / total }' \
        | sort -t'|' -k3 -rn
}

engine() {
    local out=$work/callgrind.out.engine ir messages
    (cd "$work" && BENCH_READINGS=$per valgrind --tool=callgrind --callgrind-out-file="$out" "$work/bin/gateway-bench" engine \
        --dir "$work/bench" > "$work/engine.log" 2>&1)
    messages=$(grep -oE "engine: [0-9]+ messages" "$work/engine.log" | grep -oE "[0-9]+")
    ir=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null | grep -E "EngineV6ingest5topic7payload" | head -1 | awk '{print $1}' | tr -d ,)
    printf '\nengine: %s instructions inside RecoveryEngine.ingest for %s messages, %d per message\n' "$ir" "$messages" "$((ir / messages))"
    printf '(gateway-bench engine, %s readings from each of 1,000 sensors, the field fault mix; first readings of each sensor included)\n' "$per"
    printf '\ntop functions by self cost (the whole benchmark: building its messages included):\n'
    callgrind_annotate --inclusive=no "$out" 2>/dev/null | grep -E "^ *[0-9,]+ \(" | grep -v "PROGRAM TOTALS" | head -20 | cut -c1-200 || true
}

relay
engine
