#!/usr/bin/env bash
# The standing fault suite: a fleet with the field's fault mix and resend-capable sensors, driven
# through gateway kills, broker restarts and hostile senders, then scored by `sensor-sim verify`.
#
#   scripts/fault-suite.sh [short|long] [CASE ...]     cases: baseline kills powerloss broker hostile diskfull (default all)
#
# short: 200 sensors at 2 Hz for 60 s, 5 SIGKILLs; long: 200 sensors at 2 Hz for 300 s, 20
# SIGKILLs (SENSORS, RATE, DURATION, KILLS override; LINGER, default 30, is how long the sensors
# keep answering resends after their last reading; CONFIGURATION=debug uses the debug build, as
# scripts/test.sh does to keep CI short). Prints one table row per case: readings
# measured, covered, lost (holes in the output), conflicting duplicates, estimates out of range,
# the verifier's verdict, and the case's own figure (time to serve again, /healthz latency), with
# the fleet's latency (receipt of its `ok` readings on cleaned/ minus their scheduled send time).
# Exit status 1 when a verdict fails. Nothing is timed against a threshold. KEEP=1 keeps the
# working folder (logs, truth, cleaned output) for a closer look.
set -euo pipefail
cd "$(dirname "$0")/.."
form=${1:-short}
case "$form" in short|long) shift || true ;; *) form=short ;; esac
cases=${*:-baseline kills powerloss broker hostile diskfull}
sensors=${SENSORS:-200}
rate=${RATE:-2}
seconds=${DURATION:-$([ "$form" = long ] && echo 300 || echo 60)}
kills=${KILLS:-$([ "$form" = long ] && echo 20 || echo 5)}

configuration=${CONFIGURATION:-release}
swift build -c "$configuration" --product sensor-gateway >&2
swift build -c "$configuration" --product sensor-sim >&2
gateway=$PWD/.build/$configuration/sensor-gateway
sim=$PWD/.build/$configuration/sensor-sim
work=$(mktemp -d /var/tmp/fault-suite.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; umount "$work/data-diskfull" 2>/dev/null || true
      [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
source scripts/lib/local-broker.sh
failed=0

gateway_flags=()
gateway_env=()
start_gateway() { # sets $gw
    env "${gateway_env[@]}" "$gateway" run --broker "mqtt://127.0.0.1:$port" --data-dir "$work/data-$case" --gateway-id faults \
        --http "127.0.0.1:$http_port" "${gateway_flags[@]}" >> "$work/gateway-$case.log" 2>&1 &
    gw=$!
}
healthy() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/healthz" 2>/dev/null | grep -q 200; }
wait_healthy() { for _ in $(seq 1200); do healthy && return; sleep 0.05; done; echo "gateway never became healthy" >&2; exit 1; }

# The verifier's subscriber keeps a persistent session, so it misses nothing across broker restarts;
# each line starts with its time of receipt (the verifier reads from the first `{`).
start_watch() {
    mosquitto_sub -p "$port" -q 1 -c -i "fault-watch-$case" -t 'cleaned/#' -F '%U %p' >> "$work/cleaned-$case.jsonl" 2>/dev/null &
    watch=$!
}
start_fleet() {
    "$sim" run --broker "mqtt://127.0.0.1:$port" --sensors "$sensors" --rate "$rate" --duration "$seconds" \
        --resend-buffer 100000 --linger "${LINGER:-30}" --seed 7 --start-ts "$(now_ms)" --truth "$work/truth-$case.jsonl" > "$work/sim-$case.log" 2>&1 &
    fleet=$!
}
# Waits for the fleet to finish, then for the output to cover every reading the fleet delivered
# (each stream's output reaching its last delivered seq) and be quiet for 5 s; gives up once the
# output has been quiet for 60 s. A fixed quiet spell alone ended the capture while a loaded debug
# gateway was still working through other output (the hostile case's 30,000 ids), so a stream's
# last readings came out after it. If it gives up, the streams left uncovered are printed with
# the gateway's view of them, and the verdict fails.
settle() {
    wait "$fleet"
    local last=-1 count quiet=0
    while true; do
        count=$(wc -l < "$work/cleaned-$case.jsonl")
        if [ "$count" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; last=$count; fi
        if [ "$quiet" -ge 5 ] && tails_covered; then break; fi
        if [ "$quiet" -ge 60 ]; then
            echo "fault-suite: $case: output quiet for 60 s with delivered readings not covered:" >&2
            tails_covered --explain >&2 || true
            curl -s "http://127.0.0.1:$http_port/metrics" | grep -E '^sensor_gateway_(sensors|input_paused|outbound|ingest_pending|journal_appendable|published_total|dead_letters_by_reason)' >&2 || true
            break
        fi
        sleep 1
    done
    kill "$watch" 2>/dev/null || true
}
# Waits (up to 120 s) until every fleet sensor has a cleaned message.
wait_fleet_heard() {
    for _ in $(seq 600); do
        [ "$(grep -o '"sensor_id":"sim-[0-9]*"' "$work/cleaned-$case.jsonl" 2>/dev/null | sort -u | wc -l)" -ge "$sensors" ] && return
        sleep 0.2
    done
    echo "fault-suite: $case: not every fleet sensor had output after 120 s" >&2
}
# Whether every sensor's last delivered reading (truth file) is covered by the cleaned output.
tails_covered() { # [--explain]
    python3 - "$work/truth-$case.jsonl" "$work/cleaned-$case.jsonl" "${1:-}" <<'PY'
import json, sys
delivered = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("fault", "none") in ("none", "error", "dup"):
        key = (r["sensor_id"], r.get("boot"))
        delivered[key] = max(delivered.get(key, -1), r["seq"])
covered = {}
for line in open(sys.argv[2]):
    _, _, body = line.partition(" ")
    try: m = json.loads(body)
    except ValueError: continue
    if not str(m.get("sensor_id", "")).startswith("sim-") or m.get("quality") == "restated": continue
    key = (m["sensor_id"], m.get("boot"))
    covered[key] = max(covered.get(key, -1), m.get("to_seq", m["seq"]))
short = sorted((k, v, covered.get(k, -1)) for k, v in delivered.items() if covered.get(k, -1) < v)
if sys.argv[3] == "--explain":
    for (sensor, boot), want, got in short[:20]:
        print(f"  {sensor} boot {boot}: delivered up to seq {want}, output up to {got}")
sys.exit(1 if short else 0)
PY
}
# Every case: a fresh broker, the gateway, the verifier's subscriber and the fleet; then, after
# the fleet and the output settle, everything stops.
begin_case() { case=$1; start_broker; http_port=$(free_port); start_gateway; wait_healthy; start_watch; start_fleet; }
end_case() { settle; kill "$gw"; wait "$gw" 2>/dev/null || true; stop_broker; }

printf '| case | measured | covered | lost (holes) | outside the covered span | conflicting duplicates | estimates out of range | verdict | figure |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
score() { # FIGURE
    local report
    report=$(grep '"sensor_id":"sim-' "$work/cleaned-$case.jsonl" > "$work/fleet-$case.jsonl"; \
             "$sim" verify --truth "$work/truth-$case.jsonl" --cleaned "$work/fleet-$case.jsonl" 2>&1) || true
    field() { awk -v k="$1" 'index($0, k) == 1 { sub(/^[^ ]+( [^ ]+)*  +/, ""); print; exit }' <<< "$report"; }
    local verdict; verdict=$(field verdict)
    local latency; latency=$(python3 - "$work/fleet-$case.jsonl" <<'PY'
import json, sys
lat = []
for line in open(sys.argv[1]):
    received, _, body = line.partition(" ")
    m = json.loads(body)
    if m.get("quality") == "ok":
        lat.append(float(received) * 1000 - m["ts"])
lat.sort()
q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))]) if lat else 0
print(f"fleet latency p50 {q(0.5)} ms, p99 {q(0.99)} ms")
PY
)
    [ "$verdict" = PASS ] || { failed=1; echo "$report" >&2; }
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$case" "$(field 'readings measured')" "$(field 'covered by')" \
        "$(field 'holes')" "$(field 'outside the covered')" "$(field 'duplicates with')" "$(field 'estimates outside')" "$verdict" "$1; $latency"
}

# baseline: the fleet and the gateway, nothing else: the figures the other cases compare with.
baseline_case() {
    begin_case baseline
    end_case
    score "no fault beyond the fleet's own"
}

# kills: SIGKILL the gateway at random moments while the fleet runs; restart it at once.
kill_loop() { # CASE FIGURE-PREFIX
    begin_case "$1"
    local worst=0 total=0 t0 took
    for i in $(seq "$kills"); do
        sleep "$(python3 -c "import random; print(round(random.uniform(0.3, 2 * $seconds / $kills), 2))")"
        kill -9 "$gw"; wait "$gw" 2>/dev/null || true
        t0=$(now_ms); start_gateway; wait_healthy; took=$(( $(now_ms) - t0 ))
        total=$((total + took)); [ "$took" -gt "$worst" ] && worst=$took
    done
    end_case
    score "$2$kills SIGKILLs; back to healthy in $((total / kills)) ms on average, $worst ms at most"
}
kills_case() { kill_loop kills ""; }

# powerloss: the kills again, with the gateway holding unsynced journal writes in memory
# (SENSOR_GATEWAY_FAULT_INJECTION=power-loss), so each kill costs what a power cut would; once
# with fsync always (nothing acknowledged may be lost) and once with interval (the last 50 ms
# of readings may be; the sensors' resend buffers must fill them).
powerloss_case() {
    gateway_env=(SENSOR_GATEWAY_FAULT_INJECTION=power-loss)
    for mode in always interval; do
        gateway_flags=(--fsync "$mode")
        kill_loop "powerloss-$mode" "simulated power cuts, fsync $mode: "
    done
    gateway_env=()
    gateway_flags=()
}

# broker: restart the broker three times (SIGTERM: it saves its persistence) while the fleet runs.
broker_case() {
    begin_case broker
    local worst=0 t0 took
    for _ in 1 2 3; do
        sleep "$(( seconds / 4 ))"
        stop_broker; sleep 2
        t0=$(now_ms); KEEP_PORT=1 start_broker; wait_healthy; took=$(( $(now_ms) - t0 ))
        [ "$took" -gt "$worst" ] && worst=$took
        kill -0 "$watch" 2>/dev/null || start_watch  # mosquitto_sub gives up on a lost broker
    done
    end_case
    score "3 broker restarts, 2 s down each; gateway healthy again $worst ms after the broker at most"
}

# hostile: beside the fleet, a flood of new ids, a sender flipping between far-apart seqs and
# 50 HTTP clients that connect and never finish a request.
hostile_case() {
    begin_case hostile
    # The fleet is the plant the flood arrives at: once every fleet sensor has output, the flood
    # of new ids starts. A fleet sensor first heard while the flood holds every place under
    # max-sensors is dead-lettered too_many_sensors (flagged, as the contract says) until
    # room comes back, so its first readings would be on dlq/, outside the cleaned stream.
    wait_fleet_heard
    "$sim" run --broker "mqtt://127.0.0.1:$port" --sensors 30000 --count 1 --rate max --linger 0 --sensor-prefix flood- \
        > "$work/flood.log" 2>&1 &
    python3 - "$port" > /dev/null 2>&1 <<'PY' &
import sys, subprocess, time
p = subprocess.Popen(["mosquitto_pub", "-p", sys.argv[1], "-q", "1", "-t", "sensors/amp/temperature", "-l"], stdin=subprocess.PIPE, text=True)
for i in range(20000):
    seq = 600 if i % 2 == 0 else 1601
    p.stdin.write('{"seq":%d,"ts":%d,"temperature":52,"status":"normal"}\n' % (seq, 1795660000000 + i))
    if i % 100 == 0: p.stdin.flush(); time.sleep(0.05)
p.stdin.close(); p.wait()
PY
    python3 - "$http_port" "$seconds" > /dev/null 2>&1 <<'PY' &
import socket, sys, time
held = []
for _ in range(50):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.send(b"GET / HTTP/1.1\r\n"); held.append(s)
time.sleep(float(sys.argv[2]))
PY
    local worst=0 t
    for _ in $(seq $((seconds / 2))); do
        t=$(curl -s -o /dev/null -m 30 -w '%{time_total}' "http://127.0.0.1:$http_port/healthz" || echo 30)
        worst=$(python3 -c "print(max($worst, $t))")
        sleep 1
    done
    end_case
    score "30,000 new ids, a seq-flipping sender, 50 stalled HTTP clients; slowest /healthz $(python3 -c "print(round($worst * 1000))") ms"
}

# diskfull: the data folder on a 40 MiB tmpfs (a 16 MiB journal ring), filled to the last byte
# for a third of the run, then freed. Needs root (mount); skipped otherwise.
diskfull_case() {
    mkdir -p "$work/data-diskfull"
    if ! mount -t tmpfs -o size=40m tmpfs "$work/data-diskfull" 2>/dev/null; then
        printf '| diskfull | - | - | - | - | - | - | skipped | needs root to mount a small tmpfs |\n'; return
    fi
    gateway_flags=(--journal-max-bytes 16M)
    begin_case diskfull
    sleep "$((seconds / 3))"
    dd if=/dev/zero of="$work/data-diskfull/filler" bs=1M 2>/dev/null || true
    local free_kib; free_kib=$(df -k --output=avail "$work/data-diskfull" | tail -1 | tr -d ' ')
    sleep "$((seconds / 3))"
    local failures; failures=$(curl -s "http://127.0.0.1:$http_port/metrics" \
        | awk '$1 == "sensor_gateway_snapshot_failures_total" || $1 == "sensor_gateway_checkpoint_failures_total" {n += $2} END {print n + 0}')
    rm -f "$work/data-diskfull/filler"
    end_case
    gateway_flags=()
    umount "$work/data-diskfull"
    score "disk full ($free_kib KiB free) for $((seconds / 3)) s, then freed; $failures snapshot and checkpoint writes failed meanwhile, counted, none fatal"
}

for c in $cases; do "${c}_case"; done
exit $failed
