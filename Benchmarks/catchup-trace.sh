#!/usr/bin/env bash
# A catch-up traced from the inside: SENSORS x PER readings are queued in a private mosquitto
# while the gateway is stopped; then it starts, and its /metrics are printed every 250 ms
# (received, published, outbound waiting and in flight, input pending and paused, syncs,
# snapshots) until a mosquitto_sub has counted every cleaned reading; then the elapsed time
# and the CPU ticks of the gateway's busiest threads.
#
#   Benchmarks/catchup-trace.sh [SENSORS] [PER] [extra gateway flags...]   (default 10000 100)
#
# GATEWAY=path compares another build. Release build expected (swift build -c release).
# Nothing here asserts a figure.
set -euo pipefail
cd "$(dirname "$0")/.."
sensors=${1:-10000} per=${2:-100}
shift $(( $# < 2 ? $# : 2 ))
gateway=${GATEWAY:-.build/release/sensor-gateway}
sim=.build/release/sensor-sim
work=$(mktemp -d /var/tmp/catchup-trace.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
source scripts/lib/local-broker.sh
start_broker
http_port=$(free_port)
total=$((sensors * per))
run_gateway() {
    "$gateway" run --broker "mqtt://127.0.0.1:$port" --data-dir "$work/data" --gateway-id bench \
        --http "127.0.0.1:$http_port" --reorder-window-ms 2000 "$@" > "$work/gateway.log" 2>&1 &
    pid=$!
}
# A first run creates the gateway's persistent session, so the broker queues for it.
run_gateway "$@"; wait_for "$work/gateway.log" "subscribed to"; kill -TERM "$pid"; wait "$pid" || true
mosquitto_sub -p "$port" -q 1 -t 'cleaned/+/temperature' -C "$total" > /dev/null &
sub=$!
sleep 0.3
"$sim" run --broker "mqtt://127.0.0.1:$port" --sensors "$sensors" --count "$per" --rate max --linger 0 \
    --skip-rate 0 --error-rate 0 --dup-rate 0 --reorder-rate 0 --corrupt-rate 0 --start-ts 1795660000000 > /dev/null 2>&1
t0=$(now_ms)
run_gateway "$@"
wanted='^sensor_gateway_(messages_received_total|published_total|outbound_waiting|outbound_in_flight|ingest_pending|input_paused|journal_syncs_total|snapshots_written_total)[ {]'
while kill -0 "$sub" 2>/dev/null; do
    figures=$(curl -s "http://127.0.0.1:$http_port/metrics" 2>/dev/null | grep -E "$wanted" | grep -v ' 0\(\.0\)\?$' |
        sed 's/^sensor_gateway_//' | tr '\n' ' ' || true)
    echo "$(( $(now_ms) - t0 )) ms: $figures"
    sleep 0.25
done
echo "elapsed $(( $(now_ms) - t0 )) ms for $total readings"
echo "busiest threads (name, CPU ticks):"
for t in /proc/$pid/task/*; do echo "  $(cat "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"; done | sort -k2 -n | tail -4
kill -TERM "$pid"; wait "$pid" || true
stop_broker
