#!/usr/bin/env bash
# The one-command demo: builds in release mode, starts a private mosquitto on a free loopback
# port, the gateway and a simulated fleet with the field's fault rates (each sensor measuring
# temperature and humidity), shows a live summary for about 30 s (DEMO_SECONDS), then the
# verifier's table for each measurement. Cleans up every process it started,
# also on Ctrl-C. Files (logs, journal, truth, cleaned output) stay in the folder it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${DEMO_SECONDS:-30}
sensors=${DEMO_SENSORS:-20}

scripts/setup.sh
echo "building (release, the first time takes a few minutes)..."
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d /tmp/sensor-gateway-demo.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "demo files: $work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # what, command...
    local what=$1; shift
    for _ in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "error: $what did not come up; see $work" >&2; exit 1
}
mqtt_port=$(free_port)
http_port=$(free_port)
{
    echo "listener $mqtt_port 127.0.0.1"
    echo "allow_anonymous true"
    echo "persistence true"
    echo "persistence_location $work/"
    [ "$(id -u)" -eq 0 ] && echo "user root"
} > "$work/mosquitto.conf"
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$mosquitto" -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 & pids+=($!)
wait_for "mosquitto" bash -c "exec 3<>/dev/tcp/127.0.0.1/$mqtt_port"

# Humidity beside temperature: a measurement is declared in the config file (docs/OPERATIONS.md).
printf 'measurement.humidity.unit: %%RH\nmeasurement.humidity.valid-min: 20\nmeasurement.humidity.valid-max: 80\n' > "$work/gateway.conf"
"$bin/sensor-gateway" run --config "$work/gateway.conf" --broker "mqtt://127.0.0.1:$mqtt_port" --data-dir "$work/data" --gateway-id demo \
    --http "127.0.0.1:$http_port" > "$work/gateway.log" 2>&1 & gateway=$!; pids+=($gateway)
wait_for "the gateway" curl -sf "http://127.0.0.1:$http_port/healthz"
mosquitto_sub -p "$mqtt_port" -q 1 -t 'cleaned/+/temperature' > "$work/cleaned.jsonl" & pids+=($!)
mosquitto_sub -p "$mqtt_port" -q 1 -t 'cleaned/+/humidity' > "$work/cleaned-humidity.jsonl" & pids+=($!)

echo
echo "broker:       mqtt://127.0.0.1:$mqtt_port   (try: mosquitto_sub -p $mqtt_port -t 'cleaned/#' -v)"
echo "status page:  http://127.0.0.1:$http_port/   metrics: http://127.0.0.1:$http_port/metrics"
echo "simulating $sensors sensors at 5 Hz for ${seconds}s, each measuring temperature (50-55 °C) and humidity (20-80 %RH):"
echo "10% lost, 5% out of range, 1% duplicated, 1% reordered, 1% late, some corrupt"
echo
"$bin/sensor-sim" run --broker "mqtt://127.0.0.1:$mqtt_port" --sensors "$sensors" --rate 5 --duration "$seconds" \
    --resend-buffer 200 --late-rate 0.01 --restart-rate 0.0005 --truth "$work/truth.jsonl" --linger 8 > "$work/simulator.log" 2>&1 & sim=$!; pids+=($sim)
"$bin/sensor-sim" run --broker "mqtt://127.0.0.1:$mqtt_port" --sensors "$sensors" --rate 5 --duration "$seconds" --seed 2 \
    --measurement humidity --valid-min 20 --valid-max 80 \
    --resend-buffer 200 --late-rate 0.01 --truth "$work/truth-humidity.jsonl" --linger 8 > "$work/simulator-humidity.log" 2>&1 & sim2=$!; pids+=($sim2)

metric() { awk -v name="$1" '$1 == name { print $2 }' "$work/metrics.txt" | head -1; }
printf "%6s %9s %7s %9s %9s %8s %5s %12s %7s\n" time received ok corrected synthetic restated gaps dead_letters resends
started=$(date +%s)
while kill -0 "$sim" 2>/dev/null || kill -0 "$sim2" 2>/dev/null; do
    sleep 2
    curl -sf "http://127.0.0.1:$http_port/metrics" > "$work/metrics.txt" || continue
    printf "%5ss %9s %7s %9s %9s %8s %5s %12s %7s\n" "$(( $(date +%s) - started ))" \
        "$(metric sensor_gateway_messages_received_total)" "$(metric 'sensor_gateway_cleaned_total{quality="ok"}')" \
        "$(metric 'sensor_gateway_cleaned_total{quality="corrected"}')" "$(metric 'sensor_gateway_cleaned_total{quality="synthetic"}')" \
        "$(metric 'sensor_gateway_cleaned_total{quality="restated"}')" "$(metric 'sensor_gateway_cleaned_total{quality="gap"}')" \
        "$(metric sensor_gateway_dead_letters_total)" "$(metric sensor_gateway_resend_requests_total)"
done
kill -TERM "$gateway" && wait "$gateway" || true
sleep 0.5
echo
echo "verifier, temperature (cleaned output against what the sensors measured):"
"$bin/sensor-sim" verify --truth "$work/truth.jsonl" --cleaned "$work/cleaned.jsonl" || true
echo
echo "verifier, humidity:"
"$bin/sensor-sim" verify --truth "$work/truth-humidity.jsonl" --cleaned "$work/cleaned-humidity.jsonl" \
    --measurement humidity --valid-min 20 --valid-max 80 || true
