#!/usr/bin/env bash
# Generates Sources/Sparkplug/Generated/sparkplug_b.pb.swift from sparkplug_b.proto beside it
# (Eclipse Tahu's, commit 5736e404889d4b95910613040a99ba79589ffb13). The output is committed, so
# builds never need this: run it only when the .proto or swift-protobuf's version changes.
#
# Needs protoc (apt-get install protobuf-compiler); builds swift-protobuf's protoc-gen-swift at
# the version Package.resolved pins (a minute or two).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(python3 -c 'import json; print(next(p["state"]["version"] for p in json.load(open("Package.resolved"))["pins"] if p["identity"] == "swift-protobuf"))')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift package resolve
git clone -q .build/checkouts/swift-protobuf "$work/swift-protobuf"
git -C "$work/swift-protobuf" checkout -q "$version"
swift build -c release --package-path "$work/swift-protobuf" --product protoc-gen-swift
protoc --plugin="$work/swift-protobuf/.build/release/protoc-gen-swift" --proto_path=Sources/Sparkplug/Generated \
    --swift_out=Sources/Sparkplug/Generated Sources/Sparkplug/Generated/sparkplug_b.proto
echo "generated Sources/Sparkplug/Generated/sparkplug_b.pb.swift with swift-protobuf $version"
