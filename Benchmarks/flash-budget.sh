#!/usr/bin/env bash
# Flash budget: what the gateway writes to disk per reading in steady state, and whether its
# snapshot (per-sensor state) levels off once the late horizon has passed.
#
#   Benchmarks/flash-budget.sh                 1,000 sensors at 1 Hz for 70 minutes, the field's
#                                              fault mix, a resend buffer of 50, default settings
# Environment: SECONDS_TO_RUN (default 4200, past the one-hour late horizon), SENSORS (1000),
# GATEWAY and SIM (other sensor-gateway and sensor-sim binaries, e.g. copies, so a rebuild during
# the run leaves it alone), GATEWAY_EXTRA (more flags, e.g. "--late-horizon-s 300"),
# WORK (the working folder; on disk, not tmpfs, since disk writes are the figure; default a new
# folder under /var/tmp), NO_BUILD=1 (use the release binaries as built).
#
# Prints a line a minute: minutes, readings received, the gateway's disk bytes written
# (/proc/PID/io write_bytes: journal, checkpoints and snapshots together), journal bytes by record
# type (metric sensor_gateway_journal_appended_bytes_by_type_total), the snapshot file's size, and the
# ratios: disk / input (message and tick records), disk / whole journal, snapshot bytes per sensor;
# and the gateway's resident memory (VmRSS, KiB), which follows the per-sensor state.
# Nothing is asserted; the figures go into docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
run_seconds=${SECONDS_TO_RUN:-4200}
sensors=${SENSORS:-1000}
if [ -z "${NO_BUILD:-}" ]; then
    swift build -c release --product sensor-gateway >&2
    swift build -c release --product sensor-sim >&2
fi
gateway=${GATEWAY:-$root/.build/release/sensor-gateway}
sim=${SIM:-$root/.build/release/sensor-sim}
work=${WORK:-$(mktemp -d /var/tmp/flash-budget.XXXXXX)}
mkdir -p "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT
source scripts/lib/local-broker.sh

start_broker
http_port=$(free_port)
"$gateway" run --broker "mqtt://127.0.0.1:$port" --data-dir "$work/data" --gateway-id bench \
    --http "127.0.0.1:$http_port" ${GATEWAY_EXTRA:-} > "$work/gateway.log" 2>&1 &
pid=$!
wait_for "$work/gateway.log" "subscribed to"
"$sim" run --broker "mqtt://127.0.0.1:$port" --sensors "$sensors" --rate 1 --duration "$run_seconds" --linger 0 \
    --resend-buffer 50 > "$work/sim.log" 2>&1 &
sim_pid=$!

metrics() { curl -s "http://127.0.0.1:$http_port/metrics"; }
by_type() { awk -v t="$2" -F'[{}" ]+' '$1 == "sensor_gateway_journal_appended_bytes_by_type_total" && $3 == t {print $4}' <<< "$1"; }
plain() { awk -v m="$2" '$1 == m {print $2}' <<< "$1"; }

printf 'minute,readings,disk_bytes,message_bytes,tick_bytes,publication_bytes,snapshot_file_bytes,disk_per_reading,disk_per_input_byte,disk_per_journal_byte,snapshot_bytes_per_sensor,rss_kib\n'
start=$(date +%s)
minute=0
while kill -0 "$sim_pid" 2>/dev/null; do
    sleep $(( start + (minute + 1) * 60 - $(date +%s) > 0 ? start + (minute + 1) * 60 - $(date +%s) : 0 ))
    minute=$((minute + 1))
    m=$(metrics)
    readings=$(plain "$m" sensor_gateway_messages_received_total)
    disk=$(awk '/^write_bytes/ {print $2}' "/proc/$pid/io")
    msg=$(by_type "$m" message); tick=$(by_type "$m" tick); pub=$(by_type "$m" publication)
    snap=$(stat -c %s "$work/data/engine.snapshot" 2>/dev/null || echo 0)
    journal=$(plain "$m" sensor_gateway_journal_appended_bytes_total)
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    printf '%d,%.0f,%d,%.0f,%.0f,%.0f,%d,%.1f,%.3f,%.3f,%.0f,%d\n' "$minute" "$readings" "$disk" "$msg" "$tick" "$pub" "$snap" \
        "$(echo "$disk / ($readings + 1)" | bc -l)" "$(echo "$disk / ($msg + $tick + 1)" | bc -l)" \
        "$(echo "$disk / ($journal + 1)" | bc -l)" "$(echo "$snap / $sensors" | bc -l)" "$rss"
done
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
stop_broker
echo "working folder: $work" >&2
