import Foundation
import Journal
import Recovery
import Testing
import TestSupport
import Wire
@testable import Gateway

/// `sensor-gateway export` over a full journal (the ring wrapped), in bounded memory.
///
/// The journal's size is `SENSOR_GATEWAY_EXPORT_TEST_MIB` (default 32 MiB, about 200,000 cleaned
/// messages; Benchmarks/export.sh runs it at the default journal size, 256 MiB, and prints the
/// figures docs/PERFORMANCE.md records).
@Suite("Export of a full journal")
struct ExportLargeJournalTests {
    static let base: Int64 = 1_795_660_000_000

    /// What the export of everything must count, by quality.
    struct Expected: Sendable {
        var rows = 0
        var restated = 0
        var synthetic = 0
        var gaps = 0
    }

    /// Fills a journal of `mib` MiB past its capacity (so the ring has reclaimed its start) with
    /// 200 sensors' readings: every 97th a `synthetic` fill restated 500 messages later, every
    /// 4,999th a fill never restated, every 4,987th a `gap` of 700.
    static func fill(_ directory: String, mib: Int) throws -> Expected {
        let layout = try JournalLayout(directory: directory, maxBytes: mib << 20, segmentCount: 64)
        let journal = try Journal(layout: layout, fsync: .never)
        let capacity = journal.capacityBytes
        var kinds: [(seq: UInt64, kind: UInt8)] = []  // 0 ok, 1 restated fill, 2 restated, 3 fill, 4 gap
        var pending: [(due: Int, sensor: Int, seq: UInt64)] = []
        var next = [UInt64](repeating: 0, count: 200)
        var written = 0
        var buffer: [UInt8] = []
        func append(_ sensor: Int, _ payload: String, _ kind: UInt8) throws {
            let p = Publication(kind: .cleaned, topic: "cleaned/s\(sensor)/temperature", payload: Array(payload.utf8))
            buffer.removeAll(keepingCapacity: true)
            JournalRecords.appendPublication(p, to: &buffer)
            let seq = try journal.append(
                type: RecordType.publication.rawValue, flags: UInt16(Publication.Kind.cleaned.rawValue), time: base + Int64(kinds.count),
                payload: buffer)
            kinds.append((seq, kind))
            written += buffer.count + 32
            if kinds.count % 4096 == 0 { try journal.commit(now: 0) }
        }
        var n = 0
        while written < capacity + capacity / 4 || !pending.isEmpty {
            if let first = pending.first, first.due <= n || written >= capacity + capacity / 4 {
                pending.removeFirst()
                try append(
                    first.sensor,
                    #"{"sensor_id":"s\#(first.sensor)","seq":\#(first.seq),"ts":\#(base + Int64(first.seq) * 1000),"temperature":53.125,"status":"normal","quality":"restated","supersedes":"synthetic"}"#,
                    2)
                continue
            }
            let sensor = n % 200
            let seq = next[sensor]
            next[sensor] += 1
            let ts = base + Int64(seq) * 1000
            if n % 4987 == 4986 {  // 4,987 is prime to 200: the gaps fall on every sensor in turn
                next[sensor] += 700
                try append(
                    sensor,
                    #"{"sensor_id":"s\#(sensor)","seq":\#(seq),"ts":\#(ts),"quality":"gap","from_seq":\#(seq),"to_seq":\#(seq + 700),"from_ts":\#(ts),"to_ts":\#(ts + 701_000)}"#,
                    4)
            } else if n % 97 == 0 || n % 4999 == 0 {
                try append(
                    sensor,
                    #"{"sensor_id":"s\#(sensor)","seq":\#(seq),"ts":\#(ts),"temperature":52.5,"status":"normal","quality":"synthetic","method":"linear"}"#,
                    n % 97 == 0 ? 1 : 3)
                if n % 97 == 0 { pending.append((n + 500, sensor, seq)) }
            } else {
                try append(sensor, #"{"sensor_id":"s\#(sensor)","seq":\#(seq),"ts":\#(ts),"temperature":52.0,"status":"normal","quality":"ok"}"#, 0)
            }
            n += 1
        }
        try journal.commit(now: 0)
        try journal.sync()
        let oldest = journal.oldestSeq ?? 0
        #expect(oldest > 1, "the ring has reclaimed its start: the journal is full")
        var expected = Expected()
        for (seq, kind) in kinds where seq >= oldest && kind != 1 {
            expected.rows += 1
            if kind == 2 { expected.restated += 1 }
            if kind == 3 { expected.synthetic += 1 }
            if kind == 4 { expected.gaps += 1 }
        }
        return expected
    }

    /// Counts lines and CSV qualities in a file, reading it in pieces.
    static func count(_ path: String) throws -> Expected {
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        var counted = Expected()
        var carry: [UInt8] = []
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            var line = carry
            for byte in chunk {
                if byte != 0x0A {
                    line.append(byte)
                    continue
                }
                // The quality column (the ninth): no field before it is quoted here.
                let quality = line.split(separator: UInt8(ascii: ","), maxSplits: 9, omittingEmptySubsequences: false).dropFirst(8).first
                counted.rows += 1
                switch quality.map({ String(decoding: $0, as: UTF8.self) }) {
                case "restated": counted.restated += 1
                case "synthetic": counted.synthetic += 1
                case "gap": counted.gaps += 1
                default: break
                }
                line.removeAll(keepingCapacity: true)
            }
            carry = line
        }
        counted.rows -= 1  // the header
        return counted
    }

    @Test("a full journal exports every message it holds once, restatements applied, in bounded memory, with a progress bar on a terminal only")
    func fullJournal() async throws {
        let mib = ProcessInfo.processInfo.environment["SENSOR_GATEWAY_EXPORT_TEST_MIB"].flatMap { Int($0) } ?? 32
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let filling = ContinuousClock.now
        // Writing and counting are long synchronous work: on a thread of their own, so they
        // hold none of the cooperative pool's threads (two on CI) that other tests' awaits need.
        let journal = dir.file("data/journal")
        let expected = try await onOwnThread { Result { try Self.fill(journal, mib: mib) } }.get()
        let filled = ContinuousClock.now - filling
        #expect(expected.restated > 1000 && expected.synthetic > 10 && expected.gaps > 10)

        // Under GNU time for the peak resident size, and under script(1) for a terminal on
        // standard error: the progress bar is drawn there.
        let started = ContinuousClock.now
        let export = [
            BuiltProducts.executable("sensor-gateway"), "export", "--data-dir", dir.file("data"), "--from", "0", "--to",
            "\(Self.base + 365 * 86_400_000)", "--format", "csv", "--output", dir.file("all.csv"),
        ]
        let command = (["/usr/bin/time", "-f", "maxrss_kib=%M", "-o", dir.file("time.txt")] + export).joined(separator: " ")
        let child = try ChildProcess("/usr/bin/script", ["-qec", command, "/dev/null"], logPath: dir.file("terminal.log"))
        try await child.wait(timeout: .seconds(1800))
        let took = ContinuousClock.now - started
        #expect(child.exitCode == 0, "\(child.output.suffix(2000))")
        let terminal = child.output
        #expect(terminal.contains("export: reading the journal"))
        #expect(terminal.contains("export ["))
        #expect(terminal.contains("note: the journal no longer holds the start of this window"))

        let csv = dir.file("all.csv")
        let counted = try await onOwnThread { Result { try Self.count(csv) } }.get()
        #expect(counted.rows == expected.rows)
        #expect(counted.restated == expected.restated)
        #expect(counted.synthetic == expected.synthetic)
        #expect(counted.gaps == expected.gaps)

        let time = try String(contentsOfFile: dir.file("time.txt"), encoding: .utf8)
        let rss = time.split(whereSeparator: \.isNewline).first { $0.hasPrefix("maxrss_kib=") }.flatMap { Int($0.dropFirst(11)) } ?? .max
        let csvBytes = (try FileManager.default.attributesOfItem(atPath: dir.file("all.csv"))[.size] as? Int) ?? 0
        print(
            "export of a full \(mib) MiB journal: \(counted.rows) rows (\(counted.restated) restated), \(csvBytes >> 20) MiB of CSV, peak RSS \(rss) KiB, export \(took), journal written in \(filled)"
        )
        // Bounded: the restatement index (well under 100 bytes each) and the buffers, never the
        // window: far below the journal's or the output's size.
        #expect(rss < 64 * 1024 + expected.restated / 10, "peak RSS \(rss) KiB")
    }
}
