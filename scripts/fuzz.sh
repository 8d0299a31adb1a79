#!/usr/bin/env bash
# Fuzzes the payload parser, the recovery engine and the Sparkplug B decoder with libFuzzer (Swift's -sanitize=fuzzer,
# with AddressSanitizer), starting from the seed corpus in Tests/Fuzz/corpus.
#
#   scripts/fuzz.sh [SECONDS]     each target runs SECONDS (default 60); CI runs a short form
#
# New inputs that add coverage are kept in .build/fuzz/corpus (not in git); a crash or a broken
# invariant stops the run with a non-zero status and leaves the input as .build/fuzz/crash-*.
# Make each one a regression test (Tests/RecoveryTests) and add it to Tests/Fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=.build/fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6)
# gold warns once per AddressSanitizer helper symbol; those lines say nothing.
quiet() { "$@" 2> >(grep -v "Cannot export local symbol" >&2); }

# The engine's modules, compiled by hand: SwiftPM cannot instrument one product alone.
quiet swiftc "${flags[@]}" -emit-library -static -module-name DeterministicRandom \
    -emit-module-path "$out/DeterministicRandom.swiftmodule" -o "$out/libDeterministicRandom.a" \
    Sources/DeterministicRandom/*.swift
quiet swiftc "${flags[@]}" -emit-library -static -module-name Wire \
    -emit-module-path "$out/Wire.swiftmodule" -o "$out/libWire.a" \
    $(find Sources/Wire -name '*.swift' | sort)
# Sparkplug B payloads: swift-protobuf's runtime (from the resolved checkout; not instrumented,
# not fuzzed itself, and built without optimisation: with them it took minutes) and the module.
protobuf=.build/checkouts/swift-protobuf/Sources/SwiftProtobuf
[[ -d $protobuf ]] || swift package resolve
quiet swiftc -parse-as-library -Onone -swift-version 6 -enable-upcoming-feature ExistentialAny -package-name swift_protobuf -emit-library -static -module-name SwiftProtobuf \
    -emit-module-path "$out/SwiftProtobuf.swiftmodule" -o "$out/libSwiftProtobuf.a" \
    $(find "$protobuf" -name '*.swift' | sort)
quiet swiftc "${flags[@]}" -emit-library -static -module-name Sparkplug -I "$out" \
    -emit-module-path "$out/Sparkplug.swiftmodule" -o "$out/libSparkplug.a" \
    $(find Sources/Sparkplug -name '*.swift' | sort)
quiet swiftc "${flags[@]}" -emit-library -static -module-name Recovery -I "$out" \
    -emit-module-path "$out/Recovery.swiftmodule" -o "$out/libRecovery.a" \
    $(find Sources/Recovery -name '*.swift' | sort)

status=0
for target in parser engine sparkplug; do
    harness=Tests/Fuzz/$(tr '[:lower:]' '[:upper:]' <<< "${target:0:1}")${target:1}Fuzzer.swift
    quiet swiftc "${flags[@]}" -I "$out" -L "$out" -lRecovery -lSparkplug -lSwiftProtobuf -lDeterministicRandom -lWire -o "$out/fuzz-$target" "$harness"
    mkdir -p "$out/corpus/$target"
    log=$out/fuzz-$target.log
    if "$out/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix="$out/crash-$target-" "$out/corpus/$target" "Tests/Fuzz/corpus/$target" > "$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
        grep -E "ERROR|Fatal|precondition|SUMMARY|Test unit written" "$log" | head -20 >&2 || tail -30 "$log" >&2
    fi
    # libFuzzer's last status line: executions, edge coverage, corpus size.
    summary=$(grep -E "^#[0-9]+" "$log" | tail -1 | sed -E 's/^#([0-9]+)[[:space:]]+[A-Z]+[[:space:]]+/\1 executions, /')
    echo "fuzz-$target: $result in ${seconds}s: $summary"
done
exit $status
