#!/usr/bin/env bash
# Resident memory per tracked sensor: the gateway's RSS once SENSORS sensors have each sent PER
# readings (through a private mosquitto, at 20,000 readings/s, no faults) and every cleaned
# reading has come out, minus its RSS idle before them, divided by SENSORS.
#
#   Benchmarks/per-sensor-memory.sh [SENSORS] [PER]      (default 1000 20)
#
# GATEWAY=path measures another build (the .deb's static one: .build-static/release/sensor-gateway).
# FAULTS=field keeps sensor-sim's field fault mix (lost, duplicated, reordered, corrupt and late
# readings, out-of-range values): fills, resends and restatements then hold state too. The run is
# then over when the cleaned stream has stopped growing for 10 s after the sensors finished.
# QUEUED=1 sends the readings while the gateway is stopped (its persistent session queues them)
# and then starts it: a catch-up, where resend requests go unanswered (the sensors are done) and
# every sensor is new at once. Its idle figure is taken before it is stopped.
# Release build expected (swift build -c release). Nothing here asserts a figure.
set -euo pipefail
cd "$(dirname "$0")/.."
sensors=${1:-1000} per=${2:-20}
gateway=${GATEWAY:-.build/release/sensor-gateway}
work=$(mktemp -d /var/tmp/per-sensor-memory.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
source scripts/lib/local-broker.sh
start_broker
http_port=$(free_port)
"$gateway" run --broker "mqtt://127.0.0.1:$port" --data-dir "$work/data" --http "127.0.0.1:$http_port" \
    --reorder-window-ms 2000 > "$work/gateway.log" 2>&1 &
pid=$!
wait_for "$work/gateway.log" "subscribed to"
sleep 2
rss() { awk "/$1/ {print \$2}" "/proc/$pid/status"; }
idle=$(rss VmRSS)
seqs() { { curl -s "http://127.0.0.1:$http_port/metrics" || true; } | awk '/^sensor_gateway_cleaned_seqs_total[{ ]/ {n += $2; seen = 1} END {if (seen) print n}'; }
sim=(.build/release/sensor-sim run --broker "mqtt://127.0.0.1:$port" --sensors "$sensors" --count "$per" --rate 20000 --linger 0)
if [ "${QUEUED:-0}" = 1 ]; then
    [ "${FAULTS:-none}" = field ] || sim+=(--skip-rate 0 --error-rate 0 --dup-rate 0 --reorder-rate 0 --corrupt-rate 0)
    kill -TERM "$pid"; wait "$pid" || true
    "${sim[@]}" > /dev/null 2>&1
    "$gateway" run --broker "mqtt://127.0.0.1:$port" --data-dir "$work/data" --http "127.0.0.1:$http_port" \
        --reorder-window-ms 2000 >> "$work/gateway.log" 2>&1 &
    pid=$!
    until [ -n "$(seqs)" ]; do sleep 1; done
    last=-1
    while [ "$(seqs)" != "$last" ]; do last=$(seqs); sleep 10; done
elif [ "${FAULTS:-none}" = field ]; then
    "${sim[@]}" > /dev/null 2>&1
    last=-1
    while [ "$(seqs)" != "$last" ]; do last=$(seqs); sleep 10; done
else
    mosquitto_sub -p "$port" -q 1 -t 'cleaned/+/temperature' -C $((sensors * per)) > /dev/null &
    sub=$!
    "${sim[@]}" --skip-rate 0 --error-rate 0 --dup-rate 0 --reorder-rate 0 --corrupt-rate 0 > /dev/null 2>&1
    wait "$sub"
fi
sleep 65  # a snapshot's buffers come and go, and free memory goes back once a minute: the figure is the state that stays
after=$(rss VmRSS)
echo "sensors=$sensors readings_each=$per faults=${FAULTS:-none} queued=${QUEUED:-0} idle_rss_kib=$idle rss_kib=$after peak_rss_kib=$(rss VmHWM) bytes_per_sensor=$(( (after - idle) * 1024 / sensors ))"
kill -TERM "$pid"; wait "$pid" || true
stop_broker
