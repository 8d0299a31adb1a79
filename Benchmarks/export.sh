#!/usr/bin/env bash
# `sensor-gateway export` over a full journal: fills a journal of MIB MiB past its capacity (the
# ring wrapped: about 7,800 cleaned messages a MiB from 200 sensors, one in 97 restated later,
# gaps and unrestated fills among them), exports everything as CSV under GNU time and script(1)
# (a terminal, so the progress bar is drawn), checks the counts by quality and prints the
# figures: rows, peak resident size, time.
#
#   Benchmarks/export.sh [MIB]      (default 256, the default journal size)
#
# It is the test ExportLargeJournalTests at another size (the test suite runs it at 32 MiB), so it
# measures the debug build the tests use. Nothing else here asserts a figure; the test asserts the
# peak resident size stays under 64 MiB plus 100 bytes per restatement.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
SENSOR_GATEWAY_EXPORT_TEST_MIB=${1:-256} swift test --skip-build --filter ExportLargeJournalTests 2>&1 | grep -E "export of a full|✔|✘|Expectation failed|recorded an issue"
