#!/usr/bin/env bash
# Installs what building, testing and the demo need on Debian/Ubuntu: the mosquitto broker and
# clients, libmosquitto's headers, and curl; with --tests also what only the tests use
# (promtool, from Debian's prometheus package, headless chromium for the status page, InfluxDB
# 1.x (`influxd`, Debian's influxdb package) for the export's line protocol, GNU time for the
# export's peak memory, and pysparkplug from PyPI: the independent Sparkplug B edge node the
# Sparkplug tests talk to).
# Does nothing when they are already there.
# The Swift toolchain (6.x) must already be installed: see README.md.
set -euo pipefail
need=()
if [ "${1:-}" = --tests ]; then
    [ -x /usr/bin/promtool ] || need+=(prometheus)
    [ -x /usr/bin/chromium ] || need+=(chromium)
    command -v influxd >/dev/null 2>&1 || [ -x /usr/bin/influxd ] || need+=(influxdb)
    [ -x /usr/bin/time ] || need+=(time)
    command -v python3 >/dev/null 2>&1 || need+=(python3)
    python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
fi
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_sub >/dev/null 2>&1 || need+=(mosquitto-clients)
pkg-config --exists libmosquitto 2>/dev/null || need+=(libmosquitto-dev)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing: ${need[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [ "${1:-}" = --tests ] && ! python3 -c "import pysparkplug" 2>/dev/null; then
    echo "installing: pysparkplug (PyPI)"
    # Debian's own python3 refuses system-wide installs (PEP 668) unless told.
    python3 -m pip install --quiet pysparkplug 2>/dev/null || python3 -m pip install --quiet --break-system-packages pysparkplug
fi
command -v swift >/dev/null 2>&1 || { echo "error: swift is not on PATH; install Swift 6.x (see README.md)" >&2; exit 1; }
