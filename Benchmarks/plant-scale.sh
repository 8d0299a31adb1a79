#!/usr/bin/env bash
# The gateway against the ceiling of a thin relay (Benchmarks/scale/relay.c: libmosquitto,
# QoS 1 in and out, TCP_NODELAY, RELAY_IN_FLIGHT in flight), each on a fresh private mosquitto, in one run:
#
#   Benchmarks/plant-scale.sh [CASE ...]        cases: live burst catchup flood latency steady restart
#                                               measurements (default: all of them)
# Sizes (environment): LIVE="1000 100" BURST="10000 100" CATCHUP="10000 100" (sensors, readings
# each), FLOOD=100000 new ids, STEADY_SECONDS=600 and STEADY_SENSORS=1000 (sensors at 1 Hz with the field fault
# mix), RESTART="10000 100" (journal filled, then SIGKILL and restart; with GATEWAY_EXTRA="--snapshot-interval-ms
# 3600000 --restart-replay-max-records 0" and RESTART="10000 60" no snapshot covers the input, so the restart replays all of it), MEASUREMENTS="5000 20" (sensors, readings each of
# temperature, humidity and pressure, one simulator per measurement at once; the gateway only, the relay takes one topic), LATENCY_SECONDS=20, LATENCY_RATE=readings/s (default: half the relay's live rate), KEEP=1 keeps the working folder (logs), KILLED_COPY=dir a copy of the restart case's data folder as the SIGKILL left it. GATEWAY=path to another sensor-gateway binary to compare builds;
# GATEWAY_EXTRA=flags for it; SIM_EXTRA=more sensor-sim flags for `steady` (e.g. --spread, readings spread
# over each second as a plant's are, not one burst a second); BROKER_EXTRA=more broker configuration lines
# (scripts/lib/local-broker.sh; e.g. "set_tcp_nodelay true", which takes the broker's Nagle delay out of `latency` at
# low rates and costs it throughput at high ones, docs/PERFORMANCE.md); RELAY_IN_FLIGHT=the relay's in-flight limit (default 1000, as the gateway's
# client: 0 is unlimited, which on Debian's libmosquitto 2.0 falls to about 1,700 readings/s
# because it walks the whole in-flight list for every acknowledgement).
#
# Prints one table row per system and case: readings/s, completeness (distinct sensor+seq that
# came out), CPU ms per 1,000 readings, peak RSS, disk bytes written per reading (/proc/PID/io),
# the broker's CPU ms per 1,000 readings over the same interval (live, burst, catchup), and for `latency` the publish-to-output p50/p99/p99.9 (HdrHistogram, Benchmarks/scale), with the gateway's syncs a second and disk bytes per reading against its journal records'.
# Nothing here asserts a figure; the figures go into docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cases=${*:-live burst catchup flood latency steady restart measurements}
read -r live_sensors live_per <<< "${LIVE:-1000 100}"
read -r burst_sensors burst_per <<< "${BURST:-10000 100}"
read -r catchup_sensors catchup_per <<< "${CATCHUP:-10000 100}"
read -r restart_sensors restart_per <<< "${RESTART:-10000 100}"
read -r measure_sensors measure_per <<< "${MEASUREMENTS:-5000 20}"
flood=${FLOOD:-100000}
steady_seconds=${STEADY_SECONDS:-600}
steady_sensors=${STEADY_SENSORS:-1000}
latency_seconds=${LATENCY_SECONDS:-20}

swift build -c release --product sensor-gateway >&2
swift build -c release --product sensor-sim >&2
swift build -c release --package-path Benchmarks/scale --product latency-probe >&2
gateway=${GATEWAY:-$root/.build/release/sensor-gateway}
sim=$root/.build/release/sensor-sim
probe=$root/Benchmarks/scale/.build/release/latency-probe
# On disk, not tmpfs: disk bytes written are part of the figures.
work=$(mktemp -d /var/tmp/plant-scale.XXXXXX)
cc -O2 -o "$work/relay" Benchmarks/scale/relay.c -lmosquitto
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT

source scripts/lib/local-broker.sh

# Starts SYSTEM (relay|gateway) on the current broker; sets $pid and $out_filter.
start_system() {
    local log="$work/$1-$port.log"
    : > "$log"
    if [ "$1" = relay ]; then
        "$work/relay" "$port" "${RELAY_IN_FLIGHT:-1000}" > "$log" 2>&1 &
        pid=$!; out_filter='relay/#'
        wait_for "$log" "relay subscribed"
    else
        http_port=$(free_port)
        "$gateway" run --broker "mqtt://127.0.0.1:$port" --data-dir "$work/data-$port" --gateway-id bench \
            --http "127.0.0.1:$http_port" --reorder-window-ms 2000 ${GATEWAY_EXTRA:-} > "$log" 2>&1 &
        pid=$!; out_filter='cleaned/+/temperature'
        wait_for "$log" "subscribed to"
    fi
}
stop_system() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }

# Figures of the running system, read before it stops.
sample_process() {
    cpu_s=$(awk '{print ($14 + $15) / 100}' "/proc/$pid/stat")
    rss_mib=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
    disk_bytes=$(awk '/^write_bytes/ {print $2}' "/proc/$pid/io")
}
broker_cpu_s() { awk '{print ($14 + $15) / 100}' "/proc/$broker/stat"; }
metric() { curl -s "http://127.0.0.1:$http_port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

publish() { # SENSORS PER RATE [extra sim flags...]
    local sensors=$1 per=$2 rate=$3; shift 3
    "$sim" run --broker "mqtt://127.0.0.1:$port" --sensors "$sensors" --count "$per" --rate "$rate" --linger 0 \
        --skip-rate 0 --error-rate 0 --dup-rate 0 --reorder-rate 0 --corrupt-rate 0 --start-ts 1795660000000 "$@" \
        > "$work/sim-$port.log" 2>&1
}

printf '| case | system | readings | readings/s | complete | CPU ms per 1,000 | peak RSS MiB | disk bytes per reading | extra |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
row() { # CASE SYSTEM TOTAL ELAPSED_MS DISTINCT EXTRA
    local rate; rate=$(echo "$3 * 1000 / $4" | bc)
    printf '| %s | %s | %d | %d | %s | %.1f | %s | %.0f | %s |\n' "$1" "$2" "$3" "$rate" \
        "$([ "$5" -eq "$3" ] && echo yes || echo "no ($5)")" "$(echo "$cpu_s * 1000000 / $3" | bc -l)" "$rss_mib" \
        "$(echo "${disk_bytes:-0} / $3" | bc -l)" "$6"
    eval "rate_${1}_${2}=$rate"
}
distinct() { python3 -c 'import json,sys; print(len({(j["sensor_id"], j["seq"]) for j in map(json.loads, open(sys.argv[1]))}))' "$1"; }

# live, burst: the system runs while sensor-sim publishes as fast as it can.
# catchup: everything is queued in the broker while the system is stopped; then it starts.
throughput_case() { # CASE SYSTEM SENSORS PER
    local name=$1 system=$2 total=$(($3 * $4)) t0 t1 b0 extra=""
    start_broker
    start_system "$system"
    if [ "$name" = catchup ]; then stop_system; fi
    mosquitto_sub -p "$port" -q 1 -t "$out_filter" -C "$total" > "$work/out-$port.jsonl" &
    local sub=$!
    sleep 0.3  # the counting subscriber's SUBSCRIBE reaches the broker before the first reading
    if [ "$name" = catchup ]; then
        publish "$3" "$4" max
        b0=$(broker_cpu_s); t0=$(now_ms); start_system "$system"
    else
        b0=$(broker_cpu_s); t0=$(now_ms); publish "$3" "$4" max
    fi
    wait "$sub"; t1=$(now_ms)
    sample_process
    extra="broker CPU $(echo "($(broker_cpu_s) - $b0) * 1000000 / $total" | bc -l | xargs printf '%.1f') ms per 1,000"
    [ "$system" = gateway ] && extra="$extra; longest loop turn $(metric sensor_gateway_service_turn_longest_seconds) s"
    stop_system; stop_broker
    row "$name" "$system" "$total" "$((t1 - t0))" "$(distinct "$work/out-$port.jsonl")" "$extra"
}

# flood: FLOOD new sensor ids, one reading each.
flood_case() { # SYSTEM
    local system=$1 t0 t1 extra=""
    start_broker
    start_system "$system"
    [ "$system" = gateway ] && [ -z "${GATEWAY_EXTRA:-}" ] && { stop_system; GATEWAY_EXTRA="--max-sensors $((flood * 2))" start_system gateway; }
    mosquitto_sub -p "$port" -q 1 -t "$out_filter" -C "$flood" > "$work/out-$port.jsonl" &
    local sub=$!
    sleep 0.3
    t0=$(now_ms); publish "$flood" 1 max --sensor-prefix flood-; wait "$sub"; t1=$(now_ms)
    sample_process
    [ "$system" = gateway ] && extra="longest loop turn $(metric sensor_gateway_service_turn_longest_seconds) s"
    stop_system; stop_broker
    row flood "$system" "$flood" "$((t1 - t0))" "$(distinct "$work/out-$port.jsonl")" "$extra"
}

# latency: publish-to-output at half the relay's live rate (LIVE's sensors), with the system's CPU
# ms per 1,000 readings over the whole run and, for the gateway, its journal syncs a second.
latency_case() { # SYSTEM RATE
    local system=$1 rate=$2 per result syncs="" t0 t1
    per=$(( rate * latency_seconds / live_sensors + 1 ))
    start_broker
    start_system "$system"
    t0=$(now_ms)
    result=$("$probe" "$port" "$live_sensors" "$rate" "$per" "$([ "$system" = relay ] && echo relay || echo cleaned)")
    t1=$(now_ms)
    sample_process
    [ "$system" = gateway ] && syncs="; journal syncs $(echo "$(metric sensor_gateway_journal_syncs_total) * 1000 / ($t1 - $t0)" | bc -l | xargs printf '%.0f')/s; disk $(echo "$disk_bytes / ($live_sensors * $per)" | bc -l | xargs printf '%.0f') bytes per reading (journal records $(echo "$(metric sensor_gateway_journal_appended_bytes_total) / ($live_sensors * $per)" | bc -l | xargs printf '%.0f'))"
    stop_system; stop_broker
    printf '| latency at %d/s | %s | %s | CPU %.1f ms per 1,000%s |\n' "$rate" "$system" "$result" \
        "$(echo "$cpu_s * 1000000 / ($live_sensors * $per)" | bc -l)" "$syncs"
}

# steady: 1,000 sensors at 1 Hz with the field fault mix; disk bytes written per reading against
# the journal's own record bytes.
steady_case() {
    local readings journal_bytes
    start_broker
    start_system gateway
    "$sim" run --broker "mqtt://127.0.0.1:$port" --sensors "$steady_sensors" --rate 1 --duration "$steady_seconds" --linger 0 \
        --resend-buffer 50 ${SIM_EXTRA:-} > "$work/sim-$port.log" 2>&1
    sleep 3
    sample_process
    readings=$(metric sensor_gateway_messages_received_total)
    journal_bytes=$(metric sensor_gateway_journal_appended_bytes_total)
    stop_system; stop_broker
    printf '| steady %ss, %s sensors at 1 Hz, field faults | gateway | %d received | CPU %.1f ms per 1,000 | peak RSS %s MiB | disk %.0f bytes per reading | journal records %.0f bytes per reading; disk/journal %.2f |\n' \
        "$steady_seconds" "$steady_sensors" "$readings" "$(echo "$cpu_s * 1000000 / $readings" | bc -l)" "$rss_mib" \
        "$(echo "$disk_bytes / $readings" | bc -l)" "$(echo "$journal_bytes / $readings" | bc -l)" "$(echo "$disk_bytes / $journal_bytes" | bc -l)"
}

# restart: RESTART="10000 100" (sensors, readings each) fill the journal, the gateway is killed
# (SIGKILL, so the restart replays the journal after the last snapshot), then restarted: time to
# the first HTTP answer (503 while restoring) and to /healthz 200.
restart_case() {
    local total=$((restart_sensors * restart_per)) t0 t_http="" t_ok="" code journal_mib
    start_broker
    start_system gateway
    mosquitto_sub -p "$port" -q 1 -t "$out_filter" -C "$total" > /dev/null &
    local sub=$!
    sleep 0.3
    publish "$restart_sensors" "$restart_per" max
    wait "$sub"
    journal_mib=$(du -sm "$work/data-$port/journal" | cut -f1)
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    # KILLED_COPY=dir keeps a copy of the killed data folder, to profile a restart on its own.
    [ -n "${KILLED_COPY:-}" ] && rm -rf "$KILLED_COPY" && cp -a "$work/data-$port" "$KILLED_COPY"
    t0=$(now_ms)
    "$gateway" run --broker "mqtt://127.0.0.1:$port" --data-dir "$work/data-$port" --gateway-id bench \
        --http "127.0.0.1:$http_port" --reorder-window-ms 2000 ${GATEWAY_EXTRA:-} >> "$work/gateway-$port.log" 2>&1 &
    pid=$!
    while [ -z "$t_ok" ]; do
        code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$http_port/healthz" || true)
        [ "$code" != 000 ] && [ -z "$t_http" ] && t_http=$(( $(now_ms) - t0 ))
        [ "$code" = 200 ] && t_ok=$(( $(now_ms) - t0 ))
        sleep 0.01
    done
    # The restart's peak resident size (the restore's replay is its largest moment) and how
    # much it replayed.
    local rss replayed
    rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
    replayed=$(grep -o 'replayed_inputs=[0-9]*' "$work/gateway-$port.log" | tail -1 | cut -d= -f2)
    stop_system; stop_broker
    printf '| restart after SIGKILL, %s sensors, %s readings through the %s MiB journal ring | gateway | first HTTP answer %s ms | /healthz 200 after %s ms | %s inputs replayed | peak RSS %s MiB |\n' \
        "$restart_sensors" "$total" "$journal_mib" "$t_http" "$t_ok" "${replayed:-?}" "$rss"
}

# measurements: MEASUREMENTS="5000 20" sensors each publishing temperature, humidity and pressure
# (three simulators at once, as fast as they can), through one gateway with the two declared.
measurements_case() {
    local total=$((measure_sensors * measure_per * 3)) t0 t1 extra config="$work/measurements.conf"
    printf 'measurement.humidity.unit: %%RH\nmeasurement.humidity.valid-min: 20\nmeasurement.humidity.valid-max: 80\n' > "$config"
    printf 'measurement.pressure.unit: bar\nmeasurement.pressure.valid-min: 0.5\nmeasurement.pressure.valid-max: 1.5\n' >> "$config"
    start_broker
    GATEWAY_EXTRA="${GATEWAY_EXTRA:-} --config $config" start_system gateway
    mosquitto_sub -p "$port" -q 1 -t 'cleaned/#' -v -C "$total" > "$work/out-$port.txt" &
    local sub=$!
    sleep 0.3
    b0=$(broker_cpu_s); t0=$(now_ms)
    publish "$measure_sensors" "$measure_per" max &
    local p1=$!
    "$sim" run --broker "mqtt://127.0.0.1:$port" --sensors "$measure_sensors" --count "$measure_per" --rate max --linger 0 \
        --skip-rate 0 --error-rate 0 --dup-rate 0 --reorder-rate 0 --corrupt-rate 0 --start-ts 1795660000000 --seed 2 \
        --measurement humidity --valid-min 20 --valid-max 80 > "$work/sim-humidity-$port.log" 2>&1 &
    local p2=$!
    "$sim" run --broker "mqtt://127.0.0.1:$port" --sensors "$measure_sensors" --count "$measure_per" --rate max --linger 0 \
        --skip-rate 0 --error-rate 0 --dup-rate 0 --reorder-rate 0 --corrupt-rate 0 --start-ts 1795660000000 --seed 3 \
        --measurement pressure --valid-min 0.5 --valid-max 1.5 > "$work/sim-pressure-$port.log" 2>&1 &
    local p3=$!
    wait "$p1" "$p2" "$p3"
    wait "$sub"; t1=$(now_ms)
    sample_process
    extra="broker CPU $(echo "($(broker_cpu_s) - $b0) * 1000000 / $total" | bc -l | xargs printf '%.1f') ms per 1,000; $(curl -s "http://127.0.0.1:$http_port/metrics" | awk '/^sensor_gateway_sensors\{/ {s += $2} END {print s}') streams tracked"
    stop_system; stop_broker
    local distinct
    distinct=$(python3 -c 'import json,sys; print(len({(l.split(" ",1)[0], json.loads(l.split(" ",1)[1])["seq"]) for l in open(sys.argv[1])}))' "$work/out-$port.txt")
    row measurements gateway "$total" "$((t1 - t0))" "$distinct" "$extra"
}

for c in $cases; do
    case $c in
        live) throughput_case live relay "$live_sensors" "$live_per"; throughput_case live gateway "$live_sensors" "$live_per" ;;
        burst) throughput_case burst relay "$burst_sensors" "$burst_per"; throughput_case burst gateway "$burst_sensors" "$burst_per" ;;
        catchup) throughput_case catchup relay "$catchup_sensors" "$catchup_per"; throughput_case catchup gateway "$catchup_sensors" "$catchup_per" ;;
        flood) flood_case relay; flood_case gateway ;;
        latency)
            [ -n "${rate_live_relay:-}" ] || [ -n "${LATENCY_RATE:-}" ] || { throughput_case live relay "$live_sensors" "$live_per" > /dev/null; }
            half=${LATENCY_RATE:-$((rate_live_relay / 2))}
            latency_case relay "$half"; latency_case gateway "$half" ;;
        steady) steady_case ;;
        restart) restart_case ;;
        measurements) measurements_case ;;
        *) echo "unknown case $c" >&2; exit 64 ;;
    esac
done
