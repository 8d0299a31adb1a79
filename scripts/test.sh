#!/usr/bin/env bash
# Runs the whole test suite. Tests start their own mosquitto processes on free loopback ports,
# so nothing else needs to be running. Needs: mosquitto, libmosquitto-dev (see scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests -Xswiftc -warnings-as-errors
swift test --skip-build --parallel 2>&1 | tee .build/test-output.txt
