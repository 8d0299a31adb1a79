#!/usr/bin/env bash
# The deterministic fault simulator (docs/SIMULATION.md): SEEDS seeded worlds, each driving the
# real recovery engine and journal (over a fault-injecting in-memory file layer) through sensor,
# network, crash, power-cut, clock and disk faults, with the contract's guarantees checked after
# every step. Prints seeds per second, seeds run, faults per seed by kind, and every failure
# (seed, step, invariant, trace); exit status 1 when a seed failed.
#
#   scripts/simulate.sh SEEDS [fault-sim options]     e.g. scripts/simulate.sh 1000 --from 5000
#
# Options go to fault-sim: --from S (first seed, default 1), --steps K (faulty steps per seed),
# --avoid-open-findings (without finding 8's lost segment ends, as the aimed worlds are; none is open),
# --finding N (worlds aimed at finding N), --measurements (humidity streams too), --own-windows
# (humidity with its own reorder window and late horizon; implies --measurements), --input-outages
# (the gateway's input connection lost now and then). Reproduce one
# seed with its trace:
#   .build/release/fault-sim --seed S [--finding N] [--measurements] --verbose
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/simulate.sh SEEDS [--from S] [--steps K] [--measurements] [--own-windows] [--input-outages] [--avoid-open-findings | --finding N]" >&2
    exit 64
fi
seeds=$1
shift
swift build -c release --product fault-sim >&2
exec .build/release/fault-sim --seeds "$seeds" "$@"
