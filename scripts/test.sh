#!/usr/bin/env bash
# Runs the whole test suite. The tests start their own mosquitto processes on free loopback
# ports, so nothing else needs to be running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build
