// The gateway's hot spots, each on its own: what one reading (JSON or CSV; the parser alone too),
// one Sparkplug B data message (decoded alone, and through the engine), one new sensor, one idle tick, one snapshot (both ways) and one journal append cost.
// Allocations are the stable figure on a noisy machine (a virtual machine here exposes no
// instruction counter), so the thresholds checked in
// (Thresholds/) hold them within 5%; throughput is shown for information only. Nothing here runs
// in CI: regressions show when someone runs `swift package benchmark thresholds check`.
import Benchmark
import CompactCoding
import Foundation
import Journal
import Recovery
import Sparkplug

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal, .throughput],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        // `thresholds check` compares each run's p90 with Thresholds/ (names hold no spaces: the
        // tool writes shell-safe file names and reads the names as given). Throughput varies
        // several-fold on a shared virtual machine, so only a collapse of it fails the check.
        thresholds: [
            .mallocCountTotal: .init(relative: [.p90: 5.0]),
            .throughput: .init(relative: [.p90: 75.0]),
        ]
    )

    // An in-order reading from one of 1,000 started sensors: parse, release, render.
    Benchmark("ingest-in-order-reading-1000-started-sensors") { benchmark in
        let fleet = Fleet(sensors: 1_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { fleet.sendNext() }
        benchmark.stopMeasurement()
    }

    // The same through the CSV form (`41,1795660041000,52.5,normal`): at least as fast as JSON.
    Benchmark("ingest-in-order-csv-reading-1000-started-sensors") { benchmark in
        let fleet = Fleet(sensors: 1_000, csv: true)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { fleet.sendNext() }
        benchmark.stopMeasurement()
    }

    // The parser alone, each form of the same reading: the part of the ingest above that CSV changes.
    for (name, text) in [
        ("parse-json-reading", "{\"seq\":41,\"ts\":1795660041000,\"temperature\":52.31,\"status\":\"normal\"}"),
        ("parse-csv-reading", "41,1795660041000,52.31,normal"),
    ] {
        Benchmark(name) { benchmark in
            let payload = Array(text.utf8)
            benchmark.startMeasurement()
            payload.withUnsafeBufferPointer { bytes in
                for _ in benchmark.scaledIterations { blackHole(ReadingParser.parse(bytes, sensorID: "press-01")) }
            }
            benchmark.stopMeasurement()
        }
    }

    // A Sparkplug NDATA of 50 Double metrics by alias, each with its timestamp (about 900
    // bytes): decoding alone, and through the engine from a node whose birth declared them.
    // Metrics a second is 50 times the throughput shown (issue 26's target: 500,000 on one core).
    let sparkplugData = SparkplugBench.data(seq: 1)
    Benchmark("sparkplug-decode-ndata-50-metrics") { benchmark in
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try SparkplugPayload(decoding: sparkplugData)) }
        benchmark.stopMeasurement()
    }
    Benchmark("sparkplug-ingest-ndata-50-metrics") { benchmark in
        var bench = SparkplugBench()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { bench.sendNext() }
        benchmark.stopMeasurement()
    }

    // A first reading from an id never seen: state, deadlines, topics.
    Benchmark("admission-reading-from-new-sensor-id") { benchmark in
        let fleet = Fleet(sensors: 0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { fleet.sendFromNewSensor() }
        benchmark.stopMeasurement()
    }

    // nextDeadline and a tick with nothing due among 10,000 sensors: must not visit them all.
    Benchmark("deadlines-idle-tick-10000-sensors") { benchmark in
        let fleet = Fleet(sensors: 10_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { fleet.idleTick() }
        benchmark.stopMeasurement()
    }

    // The engine's state as the snapshot writer encodes it (header, then a sensor at a time,
    // in the compact binary form), 1,000 sensors.
    Benchmark("snapshot-encode-1000-sensors", configuration: .init(scalingFactor: .one)) { benchmark in
        let fleet = Fleet(sensors: 1_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try fleet.snapshotFrames()) }
        benchmark.stopMeasurement()
    }

    // And back: key names learnt in order, then each sensor decoded (on one core here).
    Benchmark("snapshot-decode-1000-sensors", configuration: .init(scalingFactor: .one)) { benchmark in
        let frames = try Fleet(sensors: 1_000).snapshotFrames()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var decoder = CompactDecoder()
            let starts = try frames.map { try decoder.learnKeys($0[...]) }
            blackHole(try decoder.decode(RecoveryEngine.SnapshotHeader.self, from: frames[0][...], valueAt: starts[0]))
            for i in 1..<frames.count {
                blackHole(try decoder.decode(RecoveryEngine.SensorSnapshot.self, from: frames[i][...], valueAt: starts[i]))
            }
        }
        benchmark.stopMeasurement()
    }

    // One journal record of a typical reading's size; a commit every 100 (fsync never).
    Benchmark("journal-append-120-byte-record-fsync-never") { benchmark in
        let directory = NSTemporaryDirectory() + "micro-journal-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal(layout: JournalLayout(directory: directory, maxBytes: 64 << 20), fsync: .never)
        let payload = [UInt8](repeating: 0x61, count: 120)
        var time: Int64 = 1_795_660_000_000
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            time += 1
            blackHole(try journal.append(type: 1, time: time, payload: payload))
            if i % 100 == 99 { try journal.commit(now: time) }
        }
        benchmark.stopMeasurement()
    }
}
