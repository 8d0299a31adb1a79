# Shell helpers shared by Benchmarks/plant-scale.sh, Benchmarks/sparkplug-scale.sh and scripts/fault-suite.sh: a private
# mosquitto on a free loopback port, with persistence in the caller's $work folder.
# Sets $port and $broker (its pid). BROKER_EXTRA: more lines for its configuration (e.g. "set_tcp_nodelay true").

now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # FILE TEXT: waits up to 30 s for TEXT to appear in FILE
    for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return; sleep 0.05; done
    echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

# Starts a broker on $port (a new free one unless $port is set and KEEP_PORT=1).
start_broker() {
    [ "${KEEP_PORT:-0}" = 1 ] || port=$(free_port)
    mkdir -p "$work/broker-$port"
    cat > "$work/broker-$port/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence true
persistence_location $work/broker-$port/
max_queued_messages 10000000
max_inflight_messages 1000
${BROKER_EXTRA:-}
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
CONF
    mosquitto -c "$work/broker-$port/mosquitto.conf" >> "$work/broker-$port/log" 2>&1 &
    broker=$!
    for _ in $(seq 100); do mosquitto_pub -p "$port" -t ping -m x 2>/dev/null && return; sleep 0.05; done
    echo "mosquitto did not start" >&2; exit 1
}
stop_broker() { kill "$broker" 2>/dev/null || true; wait "$broker" 2>/dev/null || true; }
