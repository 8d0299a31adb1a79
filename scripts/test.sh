#!/usr/bin/env bash
# Runs the whole test suite. The tests start their own mosquitto processes on free loopback
# ports, so nothing else needs to be running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
# The code's layout, as .swift-format describes it (`swift format format -i -r Sources Tests
# simulator` fixes what this reports).
swift format lint --strict -r Sources Tests simulator
swift build --build-tests
# At most 8 test cases at once (Swift Testing's own setting, read from the environment): left
# unbounded it started every test it could, over a hundred brokers and forty gateways on two
# cores, and tests waiting on events timed out behind them.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-8}"
swift test --skip-build
# A short fuzzing pass over the parser and the engine (scripts/fuzz.sh SECONDS for a longer one).
scripts/fuzz.sh 20
# The standing fault suite's short form on the debug build, 30 s per case (kills, simulated power
# cuts, broker restarts, hostile senders, a full disk): a failed verdict fails the run.
CONFIGURATION=debug DURATION=30 LINGER=10 scripts/fault-suite.sh short
