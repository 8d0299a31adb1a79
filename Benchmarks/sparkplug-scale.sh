#!/usr/bin/env bash
# Sparkplug B at plant scale: NODES edge nodes x METRICS metrics (default 200 x 50) through the
# gateway on a private mosquitto, from Benchmarks/sparkplug-fleet.py (pysparkplug).
#
#   Benchmarks/sparkplug-scale.sh [ROUNDS] [RATE] [LOSS]     (defaults 60 rounds at 1 a second, no loss)
#   NODES=200 METRICS=50 GATEWAY=.build/release/sensor-gateway Benchmarks/sparkplug-scale.sh 60 1 0.1
#   KILLS=3 Benchmarks/sparkplug-scale.sh 60 1 0.1     (SIGKILL and restart the gateway 3 times mid-run)
#
# Every node's metrics are streams (m0 read as temperature, m1.. as declared measurements). Prints
# the metrics a second through the gateway (fleet start to the last cleaned reading), its CPU
# seconds and peak RSS, and whether every seq of every stream came out (births, data, and a fill
# for each lost message). With KILLS=N the gateway is killed (SIGKILL) and restarted on the same
# data N times while the fleet publishes, and completeness is what must still hold (the CPU and
# RSS are then the last run's only). Release build expected: swift build -c release.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-60}
rate=${2:-1}
loss=${3:-0}
nodes=${NODES:-200}
metrics=${METRICS:-50}
gateway=${GATEWAY:-.build/release/sensor-gateway}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
total=$((nodes * metrics * (rounds + 1)))

source scripts/lib/local-broker.sh
start_broker

{
    echo 'sparkplug-topic-filter: "spBv1.0/#"'
    echo "sparkplug-metrics: m0=temperature"
    echo "max-payload-bytes: 65536"
    for i in $(seq 1 $((metrics - 1))); do
        echo "measurement.m$i.unit: u"
        echo "measurement.m$i.valid-min: 0"
        echo "measurement.m$i.valid-max: 100"
    done
} > "$work/gateway.conf"
kills=${KILLS:-0}
start_gateway() { # LOG
    "$gateway" run --config "$work/gateway.conf" --broker "mqtt://127.0.0.1:$port" --data-dir "$work/data" --gateway-id bench \
        --http off --latest off ${GATEWAY_EXTRA:-} > "$1" 2>&1 &
    gw=$!
    wait_for "$1" "subscribed to"
}
start_gateway "$work/gateway.log"

# Every cleaned message: as many as stream seqs without kills (the run ends at the last), more with
# them (a restart sends again what the broker had not acknowledged: the run ends when all are in).
count=()
[ "$kills" -eq 0 ] && count=(-C "$total")
mosquitto_sub -p "$port" -q 1 -c -i bench-watcher -t 'cleaned/#' "${count[@]}" -F '%t %p' > "$work/cleaned.txt" &
sub=$!
sleep 0.5
t0=$(now_ms)
python3 Benchmarks/sparkplug-fleet.py --port "$port" --nodes "$nodes" --metrics "$metrics" --rounds "$rounds" --rate "$rate" \
    --loss "$loss" > "$work/fleet.json" &
fleet=$!
for k in $(seq 1 "$kills"); do
    sleep "$(python3 -c "print(max(1.0, $rounds / max($rate, 0.001) / ($kills + 1)))")"
    kill -KILL "$gw"; wait "$gw" 2>/dev/null || true
    echo "killed the gateway ($k of $kills) at $(( ($(now_ms) - t0) / 1000 )) s" >&2
    start_gateway "$work/gateway-run$k.log"
done
wait "$fleet"

# The distinct stream seqs out, first or filled (restatements aside), and whether they are all.
check() {
    python3 - "$work/cleaned.txt" "$nodes" "$metrics" "$rounds" <<'PY'
import json, sys
path, nodes, metrics, rounds = sys.argv[1], *map(int, sys.argv[2:])
seen, quality = set(), {}
for line in open(path):
    topic, payload = line.split(" ", 1)
    try:
        m = json.loads(payload)
    except ValueError:
        continue  # the last line, half written
    if m["quality"] == "restated":
        continue
    seqs = range(m["seq"], m.get("to_seq", m["seq"]) + 1) if m["quality"] == "gap" else [m["seq"]]
    new = [(topic, m.get("boot"), s) for s in seqs if (topic, m.get("boot"), s) not in seen]
    seen.update(new)
    if new:
        quality[m["quality"]] = quality.get(m["quality"], 0) + 1
want = nodes * metrics * (rounds + 1)
print(f"{'yes' if len(seen) == want else 'NO'} ({len(seen)} of {want} stream seqs; by quality {json.dumps(quality, sort_keys=True)})")
PY
}
if [ "$kills" -eq 0 ]; then
    timeout 600 tail --pid="$sub" -f /dev/null || true
    t1=$(now_ms)
    complete=$(check)
else
    for _ in $(seq 120); do
        complete=$(check)
        [[ $complete == yes* ]] && break
        sleep 5
    done
    t1=$(now_ms)
fi
read -r utime stime < <(awk '{print $14, $15}' "/proc/$gw/stat")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$gw/status")
ticks=$(getconf CLK_TCK)
got=$(wc -l < "$work/cleaned.txt")
cpu=$(python3 -c "print(round(($utime + $stime) / $ticks, 2))")
secs=$(python3 -c "print(round(($t1 - $t0) / 1000, 2))")
echo "fleet: $(cat "$work/fleet.json")"
echo "nodes=$nodes metrics=$metrics rounds=$rounds rate=$rate loss=$loss"
echo "cleaned messages: $got; complete: $complete; kills: $kills"
echo "wall ${secs}s, $(python3 -c "print(round($total / (($t1 - $t0) / 1000)))") metrics/s; gateway CPU ${cpu}s ($(python3 -c "print(round(1000 * $cpu / $total * 1000, 1))") ms per 1,000 metrics); peak RSS $((hwm / 1024)) MiB"
kill -TERM "$gw"; wait "$gw" || true
