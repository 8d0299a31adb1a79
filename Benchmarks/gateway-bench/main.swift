// Prints throughput figures for the recovery engine and the journal. Run in release mode:
//   swift run -c release gateway-bench [engine|flood|journal|recovery|state|all] [--dir DIR]
// Figures are for docs/PERFORMANCE.md; nothing here asserts a timing.
import DeterministicRandom
import Foundation
import Journal
import Recovery

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func fmt(_ v: Double) -> String { String(format: "%.0f", v) }

/// 1,000 sensors at 10 Hz: 10% missing, 5% out of range, 1% duplicated, 1% reordered.
func engineBenchmark(readingsPerSensor: Int) {
    let sensors = 1000
    var rng = SplitMix64(seed: 7)
    var messages: [(topic: String, payload: [UInt8], at: Int64)] = []
    messages.reserveCapacity(sensors * readingsPerSensor)
    let topics = (0..<sensors).map { "sensors/sensor-\($0)/temperature" }
    for round in 0..<readingsPerSensor {
        var held: [Int: (String, [UInt8])] = [:]
        for s in 0..<sensors {
            let at = Int64(round) * 100 + Int64(s) / 10
            if rng.nextUnit() < 0.10 { continue }
            let t = rng.nextUnit() < 0.05 ? 70.5 : 50 + Double(rng.next() % 500) / 100
            let body = Array("{\"seq\":\(round),\"ts\":\(1_795_660_000_000 + Int64(round) * 100),\"temperature\":\(t),\"status\":\"normal\",\"boot\":1}".utf8)
            if rng.nextUnit() < 0.01 { held[s] = (topics[s], body); continue }
            messages.append((topics[s], body, at))
            if rng.nextUnit() < 0.01 { messages.append((topics[s], body, at)) }
            if let h = held.removeValue(forKey: s) { messages.append((h.0, h.1, at)) }
        }
    }
    var engine = RecoveryEngine(configuration: EngineConfiguration())
    var out: [Publication] = []
    out.reserveCapacity(4096)
    var published = 0
    let elapsed = seconds {
        var next: Int64? = nil
        for (i, m) in messages.enumerated() {
            m.payload.withUnsafeBufferPointer { engine.ingest(topic: m.topic, payload: $0, receivedAt: m.at, into: &out) }
            if i % 1000 == 999 {
                if next == nil || m.at >= next! { engine.tick(now: m.at, into: &out) }
                next = engine.nextDeadline()
                published += out.count
                out.removeAll(keepingCapacity: true)
            }
        }
    }
    print("engine: \(messages.count) messages from 1000 sensors (10% missing, 5% out of range, 1% dup, 1% reordered), parse included")
    print("  \(fmt(Double(messages.count) / elapsed)) messages/s on one core (\(String(format: "%.2f", elapsed)) s, \(published) publications)")
}

/// 100,000 new sensor ids, one reading each, ticked as the daemon would every 1,000 messages:
/// total time and the longest single batch (a stall of the service loop).
func newSensorFloodBenchmark(sensors: Int) {
    var configuration = EngineConfiguration()
    configuration.maxSensors = nil
    var engine = RecoveryEngine(configuration: configuration)
    var out: [Publication] = []
    var longest = 0.0
    var published = 0
    let total = seconds {
        var batchStart = DispatchTime.now().uptimeNanoseconds
        var next: Int64? = nil
        for i in 0..<sensors {
            let at = 1_000 + Int64(i / 10)
            let body = Array("{\"seq\":0,\"ts\":\(1_795_660_000_000 + at),\"temperature\":52.5,\"status\":\"normal\"}".utf8)
            body.withUnsafeBufferPointer { engine.ingest(topic: "sensors/flood-\(i)/temperature", payload: $0, receivedAt: at, into: &out) }
            if i % 1000 == 999 {
                if next == nil || at >= next! { engine.tick(now: at, into: &out) }
                next = engine.nextDeadline()
                published += out.count
                out.removeAll(keepingCapacity: true)
                let now = DispatchTime.now().uptimeNanoseconds
                longest = max(longest, Double(now - batchStart) / 1e6)
                batchStart = now
            }
        }
    }
    print(
        "new-sensor flood: \(sensors) new ids in \(String(format: "%.2f", total)) s; longest batch of 1,000 messages (with its tick) \(String(format: "%.1f", longest)) ms; \(published) publications"
    )
}

func journalBenchmark(directory: String, records: Int) throws {
    let payload = [UInt8](repeating: 0x42, count: 100)
    for mode in [FsyncMode.never, .interval] {
        let dir = "\(directory)/bench-\(mode.rawValue)"
        try? FileManager.default.removeItem(atPath: dir)
        let j = try Journal(layout: JournalLayout(directory: dir, maxBytes: 256 << 20), fsync: mode, syncIntervalMs: 50)
        var now: Int64 = 0
        let t = try seconds {
            for i in 0..<records {
                try j.append(type: 1, time: Int64(i), payload: payload)
                if i % 256 == 255 {
                    now = Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
                    try j.commit(now: now)
                }
            }
            try j.sync()
        }
        print("journal \(mode.rawValue): \(fmt(Double(records) / t)) appends/s of 100-byte records (\(records) records, commit every 256)")
    }
    // Group commit vs a raw pwrite+fdatasync loop on the same disk.
    let commits = 2000
    for batch in [1, 16, 128] {
        let dir = "\(directory)/bench-always-\(batch)"
        try? FileManager.default.removeItem(atPath: dir)
        let j = try Journal(layout: JournalLayout(directory: dir, maxBytes: 64 << 20), fsync: .always)
        let t = try seconds {
            for _ in 0..<commits {
                for _ in 0..<batch { try j.append(type: 1, time: 0, payload: payload) }
                try j.commit(now: 0)
            }
        }
        print("journal always, \(batch) per commit: \(fmt(Double(commits * batch) / t)) appends/s, \(fmt(Double(commits) / t)) fdatasyncs/s")
    }
    let path = "\(directory)/raw-pwrite"
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
    _ = posix_fallocate(fd, 0, 64 << 20)
    let record = [UInt8](repeating: 0x42, count: 136)
    let t = seconds {
        for i in 0..<commits {
            _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(i * 136)) }
            fdatasync(fd)
        }
    }
    close(fd)
    unlink(path)
    print("raw pwrite+fdatasync loop (136-byte writes): \(fmt(Double(commits) / t)) writes/s")
}

func recoveryBenchmark(directory: String) throws {
    let dir = "\(directory)/bench-recovery"
    try? FileManager.default.removeItem(atPath: dir)
    let layout = try JournalLayout(directory: dir, maxBytes: 256 << 20)
    let payload = [UInt8](repeating: 0x42, count: 100)
    do {
        let j = try Journal(layout: layout, fsync: .never)
        // Fill the whole ring (and wrap once) so recovery scans 256 MiB.
        for i in 0..<(2_200_000) {
            try j.append(type: 1, time: Int64(i), payload: payload)
            if i % 4096 == 0 { try j.commit(now: 0) }
        }
        try j.sync()
    }
    var records = 0
    let t = try seconds {
        let j = try Journal(layout: layout, fsync: .never)
        records = j.report.records
    }
    print("open + recover a full 256 MiB journal: \(String(format: "%.3f", t)) s (\(records) records scanned and checked, page cache warm)")
}

let args = CommandLine.arguments.dropFirst()
let what = args.first { !$0.hasPrefix("-") } ?? "all"
let dir = args.firstIndex(of: "--dir").map { args[$0 + 1] } ?? NSTemporaryDirectory() + "gateway-bench"
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
if what == "engine" || what == "all" { engineBenchmark(readingsPerSensor: Int(ProcessInfo.processInfo.environment["BENCH_READINGS"] ?? "") ?? 1000) }
if what == "flood" || what == "all" { newSensorFloodBenchmark(sensors: 100_000) }
if what == "journal" || what == "all" { try journalBenchmark(directory: dir, records: 2_000_000) }
if what == "recovery" || what == "all" { try recoveryBenchmark(directory: dir) }
if what == "state" || what == "all" {
    let environment = ProcessInfo.processInfo.environment
    try stateBenchmark(
        sensors: Int(environment["BENCH_SENSORS"] ?? "") ?? 1000, simulatedSeconds: Int(environment["BENCH_SECONDS"] ?? "") ?? 4200)
}
if ProcessInfo.processInfo.environment["BENCH_KEEP"] == nil { try? FileManager.default.removeItem(atPath: dir) }
