#!/usr/bin/env bash
# End-to-end throughput and memory of the gateway against a private mosquitto on loopback.
#
#   Benchmarks/end-to-end.sh [live|catchup] [SENSORS] [READINGS_PER_SENSOR] [GATEWAY_BINARY]
#
# live:    the gateway runs while sensor-sim publishes every reading as fast as it can (QoS 1).
# catchup: the readings are queued in the broker while the gateway is stopped; then it starts.
# Prints readings/s from the first reading published (live) or the gateway's start (catch-up)
# to the last cleaned reading received, the gateway's CPU seconds and peak RSS, and whether
# every reading came out (distinct sensor+seq on cleaned/). No faults are injected, so the
# count of cleaned readings equals the count published. Release build expected:
#   swift build -c release
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-live}
sensors=${2:-1000}
per=${3:-100}
gateway=${4:-.build/release/sensor-gateway}
sim=.build/release/sensor-sim
total=$((sensors * per))
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/mosquitto.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
persistence true
persistence_location $work/
max_queued_messages 10000000
max_inflight_messages 1000
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
EOF
mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
for _ in $(seq 100); do mosquitto_pub -p "$port" -t ping -m x 2>/dev/null && break; sleep 0.05; done

start_gateway() {
    "$gateway" run --broker "mqtt://127.0.0.1:$port" --data-dir "$work/data" --gateway-id bench --http off \
        --reorder-window-ms 2000 ${GATEWAY_EXTRA:-} > "$work/gateway.log" 2>&1 &
    gw=$!
    for _ in $(seq 400); do grep -q "subscribed to" "$work/gateway.log" && return; sleep 0.05; done
    echo "gateway did not subscribe" >&2; cat "$work/gateway.log" >&2; exit 1
}
now_ms() { date +%s%3N; }

# The consumer: counts cleaned readings until every one has arrived.
mosquitto_sub -p "$port" -q 1 -t 'cleaned/#' -C "$total" > "$work/cleaned.jsonl" &
sub=$!
publish() {
    "$sim" run --broker "mqtt://127.0.0.1:$port" --sensors "$sensors" --count "$per" --rate max --linger 0 \
        --skip-rate 0 --error-rate 0 --dup-rate 0 --reorder-rate 0 --corrupt-rate 0 --start-ts 1795660000000 \
        > "$work/sim.log" 2>&1
}

if [ "$mode" = catchup ]; then
    start_gateway
    kill -TERM "$gw"; wait "$gw" || true
    publish
    t0=$(now_ms)
    start_gateway
else
    start_gateway
    t0=$(now_ms)
    publish
fi
wait "$sub"
t1=$(now_ms)
cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$gw/stat")
rss=$(awk '/VmHWM/ {print $2}' "/proc/$gw/status")
kill -TERM "$gw"; wait "$gw" || true
distinct=$(python3 -c 'import json,sys; print(len({(j["sensor_id"], j["seq"]) for j in map(json.loads, open(sys.argv[1]))}))' "$work/cleaned.jsonl")
elapsed=$((t1 - t0))
printf 'mode=%s sensors=%d readings=%d elapsed_s=%.2f readings_per_s=%.0f gateway_cpu_s=%.2f cpu_ms_per_1000=%.1f peak_rss_mib=%.1f complete=%s\n' \
    "$mode" "$sensors" "$total" "$(echo "$elapsed/1000" | bc -l)" "$(echo "$total*1000/$elapsed" | bc -l)" "$cpu" \
    "$(echo "$cpu*1000000/$total" | bc -l)" "$(echo "$rss/1024" | bc -l)" "$([ "$distinct" -eq "$total" ] && echo yes || echo "no ($distinct)")"
