import Foundation
import Journal
import Recovery
import Testing
import TestSupport
import Wire
@testable import Gateway

/// `ReplayQuery` over a journal of many segments, as the live and offline replays use it.
@Suite("Replay queries over a long journal")
struct ReplayQueryTests {
    /// A journal of `count` cleaned publications for sensors a and b, one received every second
    /// with `ts` equal to the receive time (and a few backfilled readings with old timestamps).
    static func journal(_ dir: TemporaryDirectory, count: Int) throws -> (directory: String, start: Int64) {
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 20, segmentCount: 16)
        let journal = try Journal(layout: layout, fsync: .never)
        let start: Int64 = 1_795_660_000_000
        for n in 0..<count {
            let received = start + Int64(n) * 1000
            // Every 500th reading is a backfill: received now, measured a day earlier.
            let ts = n % 500 == 499 ? received - 86_400_000 : received
            let sensor = n % 2 == 0 ? "a" : "b"
            let payload = "{\"sensor_id\":\"\(sensor)\",\"seq\":\(n),\"ts\":\(ts),\"temperature\":52.0,\"status\":\"normal\",\"quality\":\"ok\"}"
            let p = Publication(kind: .cleaned, topic: "cleaned/\(sensor)/temperature", payload: Array(payload.utf8), retain: false)
            _ = try journal.append(
                type: RecordType.publication.rawValue, flags: UInt16(Publication.Kind.cleaned.rawValue), time: received,
                payload: JournalRecords.encodePublication(p))
        }
        try journal.commit(now: 0)
        try journal.sync()
        return (layout.directory, start)
    }

    /// The answer by reading every record, for comparison.
    static func everything(_ directory: String, sensor: String?, from: Int64, to: Int64) throws -> [Publication] {
        var out: [Publication] = []
        try JournalReader(directory: directory).read { record in
            if let p = JournalRecords.decodePublication(record.payload), let ts = CleanedMessage.eventTime(p.payload),
                ts >= from, ts < to, sensor.map({ p.topic == "cleaned/\($0)/temperature" }) ?? true
            {
                out.append(p)
            }
            return true
        }
        return out
    }

    @Test("a window late in the journal, read from the segment it needs, gives what reading it all gives, backfills included, and is not truncated")
    func lateWindow() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (journal, start) = try Self.journal(dir, count: 6000)
        let reader = try JournalReader(directory: journal)
        #expect(reader.segmentsInUse > 8)
        // The late windows really start past the journal's first segments.
        let (oldest, startSeq) = try reader.start(receivedFrom: start + 5_000_000 - 3_660_000)
        #expect((startSeq ?? 0) > (oldest ?? 0) + 1000)
        for (sensor, from, to) in [
            ("a", start + 5_000_000, start + 5_600_000), (nil, start + 4_000_000, start + 4_100_000),
            ("b", start - 86_400_000, start + 10_000), ("a", start + 5_999_000, start + 6_000_000),
        ] as [(String?, Int64, Int64)] {
            var got: [Publication] = []
            // A future tolerance of a minute: the query may skip what was received over 61 minutes before `from`.
            let query = ReplayQuery(sensorID: sensor, from: from, to: to, futureToleranceMs: 60_000)
            let result = try query.run(journalDirectory: journal) { got.append($0) }
            let expected = try Self.everything(journal, sensor: sensor, from: from, to: to)
            #expect(got == expected, "\(sensor ?? "*") \(from - start)...\(to - start): \(got.count) vs \(expected.count)")
            #expect(result.count == expected.count && !result.truncated)
        }
    }
}

/// A replay of a window the ring has partly overwritten says so, for every sensor asked for.
@Suite("Replay queries over a wrapped journal")
struct WrappedReplayQueryTests {
    @Test(
        "sensors journaled one after another over the same hour, the ring overwriting the first ones: an all-sensor window says truncated, and so does a window of a sensor with nothing left, each with a time from which the answer is whole (found black-box: half the fleet missing, no truncated)"
    )
    func sensorsJournaledOneAfterAnother() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 256 << 10, segmentCount: 8)
        let journal = try Journal(layout: layout, fsync: .never)
        let start: Int64 = 1_795_660_000_000
        // Ten sensors' backlogs, each 300 readings from `start` on, one sensor after another.
        for sensor in 0..<10 {
            for n in 0..<300 {
                let payload =
                    "{\"sensor_id\":\"w\(sensor)\",\"seq\":\(n),\"ts\":\(start + Int64(n) * 1000),\"humidity\":41.0,\"status\":\"normal\",\"quality\":\"ok\"}"
                let p = Publication(kind: .cleaned, topic: "cleaned/w\(sensor)/humidity", payload: Array(payload.utf8), retain: false)
                _ = try journal.append(
                    type: RecordType.publication.rawValue, flags: UInt16(Publication.Kind.cleaned.rawValue), time: start + 400_000 + Int64(sensor * 300 + n),
                    payload: JournalRecords.encodePublication(p))
            }
        }
        try journal.commit(now: 0)
        try journal.sync()
        let (from, to) = (start, start + 3_600_000)
        let held = try ReplayQueryTests.everything(layout.directory, sensor: nil, from: from, to: to)
        let topics = Set(held.map(\.topic))
        #expect(
            held.count < 3000 && topics.contains("cleaned/w9/humidity") && !topics.contains("cleaned/w0/humidity"),
            "the ring must have overwritten the first sensors only")
        // The oldest sensor left begins part-way through its backlog, the newest at `from`.
        var count = 0
        let all = try ReplayQuery(sensorID: nil, from: from, to: to).run(journalDirectory: layout.directory) { _ in count += 1 }
        #expect(count == held.count && all.count == held.count)
        #expect(all.truncated && all.reclaimed, "an all-sensor answer missing whole sensors must say so: \(all)")
        let whole = try #require(all.oldestAvailable)
        #expect(whole > from, "asking again from \(whole) must give a whole answer")
        // From that time on, nothing is missing for any sensor left: asked again, not truncated.
        let again = try ReplayQuery(sensorID: nil, from: whole, to: to).run(journalDirectory: layout.directory) { _ in }
        #expect(!again.truncated, "\(again)")
        // A sensor with nothing left: truncated, from the receipt of the journal's oldest record
        // on (not at `from`, nor at the other sensors' oldest `ts`: w0's readings, journaled 400 s
        // after their `ts`, were overwritten past that too; 91st review).
        let gone = try ReplayQuery(sensorID: "w0", from: from, to: to).run(journalDirectory: layout.directory) { _ in }
        let goneWhole = try #require(gone.oldestAvailable)
        #expect(gone.count == 0 && gone.truncated && goneWhole >= whole && goneWhole > start + 400_000, "\(gone)")
        // Asked again from that time, as the answer says: whole, nothing of it left to give.
        let goneAgain = try ReplayQuery(sensorID: "w0", from: goneWhole, to: to).run(journalDirectory: layout.directory) { _ in }
        #expect(goneAgain.count == 0 && !goneAgain.truncated, "\(goneAgain)")
        // The newest sensor, whole from `from`: not truncated.
        let newest = try ReplayQuery(sensorID: "w9", from: from, to: to).run(journalDirectory: layout.directory) { _ in }
        #expect(newest.count == 300 && !newest.truncated, "\(newest)")
    }
}

extension WrappedReplayQueryTests {
    /// A journal of 256 KiB in 8 segments, which a few thousand messages wrap.
    static func smallJournal(in dir: TemporaryDirectory) throws -> (JournalLayout, Journal) {
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 256 << 10, segmentCount: 8)
        return (layout, try Journal(layout: layout, fsync: .never))
    }

    /// Journals sensor `sensor`'s cleaned temperature message for `seq` at receive time `received`.
    static func append(to journal: Journal, _ sensor: String, seq: Int, ts: Int64, quality: String, received: Int64) throws {
        let payload = "{\"sensor_id\":\"\(sensor)\",\"seq\":\(seq),\"ts\":\(ts),\"temperature\":52.0,\"status\":\"normal\",\"quality\":\"\(quality)\"}"
        let p = Publication(kind: .cleaned, topic: "cleaned/\(sensor)/temperature", payload: Array(payload.utf8), retain: false)
        _ = try journal.append(
            type: RecordType.publication.rawValue, flags: UInt16(Publication.Kind.cleaned.rawValue), time: received,
            payload: JournalRecords.encodePublication(p))
    }

    @Test(
        "a sensor the ring took whole while another's fill backlog, stamped earlier, was journaled after it: its window says truncated, not an empty whole answer (found black-box, 91st review: 49 readings gone, count 0, no truncated)"
    )
    func takenBeforeALateJournaledBacklog() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (layout, journal) = try Self.smallJournal(in: dir)
        let start: Int64 = 1_795_660_000_000
        // L: 300 readings, one a second, journaled as they come.
        for seq in 0..<300 { try Self.append(to: journal, "L", seq: seq, ts: start + Int64(seq) * 1000, quality: "ok", received: start + Int64(seq) * 1000) }
        // Then a fill backlog of another sensor, stamped from 30 s on, drained from 400 s on.
        for n in 0..<4000 {
            try Self.append(to: journal, "amp", seq: n, ts: start + 30_000 + Int64(n), quality: "synthetic", received: start + 400_000 + Int64(n) * 10)
        }
        try journal.commit(now: 0)
        try journal.sync()
        #expect(try ReplayQueryTests.everything(layout.directory, sensor: "L", from: start, to: start + 300_000).isEmpty, "the ring must have taken L")
        let answer = try ReplayQuery(sensorID: "L", from: start + 100_000, to: start + 160_000).run(journalDirectory: layout.directory) { _ in }
        #expect(answer.count == 0 && answer.truncated && answer.reclaimed, "\(answer)")
        let whole = try #require(answer.oldestAvailable)
        #expect(whole > start + 400_000, "L's readings went before the backlog's oldest record left: \(whole - start)")
        let again = try ReplayQuery(sensorID: "L", from: whole, to: whole + 60_000).run(journalDirectory: layout.directory) { _ in }
        #expect(!again.truncated, "\(again)")
    }

    @Test(
        "a sensor whose only message the ring left is a late restated one, published long after its ts: asked from that ts, the answer says truncated (its later readings were overwritten), and asked again from oldest_available it is whole (found black-box, 40th review: answered whole with one message of six)"
    )
    func onlyALateRestatementLeft() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (layout, journal) = try Self.smallJournal(in: dir)
        let start: Int64 = 1_795_660_000_000
        // m: seqs 0-10, seq 6 synthetic; then a fleet wraps the ring; then m's real seq 6.
        for seq in 0...10 {
            try Self.append(
                to: journal, "m", seq: seq, ts: start + Int64(seq) * 1000, quality: seq == 6 ? "synthetic" : "ok", received: start + Int64(seq) * 1000)
        }
        for n in 0..<3000 {
            let t = start + 20_000 + Int64(n) * 10
            try Self.append(to: journal, "f\(n % 50)", seq: n / 50, ts: t, quality: "ok", received: t)
        }
        try Self.append(to: journal, "m", seq: 6, ts: start + 6000, quality: "restated", received: start + 60_000)
        try journal.commit(now: 0)
        try journal.sync()
        let held = try ReplayQueryTests.everything(layout.directory, sensor: "m", from: start, to: start + 11_000)
        #expect(held.count == 1, "the ring must have left m's late restatement only: \(held.count)")
        var count = 0
        let answer = try ReplayQuery(sensorID: "m", from: start + 6000, to: start + 11_000).run(journalDirectory: layout.directory) { _ in count += 1 }
        #expect(count == 1 && answer.truncated && answer.reclaimed, "\(answer)")
        let whole = try #require(answer.oldestAvailable)
        #expect(whole > start + 10_000, "seqs 7-10 went out after \(whole - start) ms")
        let again = try ReplayQuery(sensorID: "m", from: whole, to: whole + 11_000).run(journalDirectory: layout.directory) { _ in }
        #expect(!again.truncated, "\(again)")
    }
}

/// A replay of a window the journal cannot fully give back says so (issue 28, found black-box).
@Suite("Replay queries over a damaged journal")
struct DamagedReplayQueryTests {
    @Test("a window whose journal range is damaged is answered as incomplete, not silently short")
    func damagedRange() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (journal, start) = try ReplayQueryTests.journal(dir, count: 3000)
        let (from, to) = (start - 2 * 86_400_000, start + 4_000_000)
        let whole = try ReplayQueryTests.everything(journal, sensor: nil, from: from, to: to)
        // Scribble over records in the middle of the fourth segment.
        let handle = try #require(FileHandle(forUpdatingAtPath: "\(journal)/segment-0003.log"))
        try handle.seek(toOffset: 20_000)
        handle.write(Data(repeating: 0xA5, count: 200))
        try handle.close()
        var got = 0
        let result = try ReplayQuery(sensorID: nil, from: from, to: to).run(journalDirectory: journal) { _ in got += 1 }
        #expect(got < whole.count, "the damage took no record in the window")
        #expect(result.count == got)
        #expect(result.truncated, "the answer must say it is incomplete")
        #expect(!result.damage.isEmpty && !result.reclaimed && result.oldestAvailable == nil)
        // What the MQTT answer says.
        let done = ReplayAnswer.done("r", count: got, truncated: result.reclaimed, oldestAvailable: nil, damaged: !result.damage.isEmpty)
        #expect(String(decoding: done.json, as: UTF8.self) == #"{"request_id":"r","done":true,"count":\#(got),"truncated":true,"damaged":true}"#)
    }

    @Test(
        "a window across a segment file lost from the middle is answered as damaged (its records are named), not as a journal that no longer reaches back (found black-box)"
    )
    func lostSegmentInTheWindow() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (journal, start) = try ReplayQueryTests.journal(dir, count: 3000)
        let (from, to) = (start - 2 * 86_400_000, start + 4_000_000)
        let whole = try ReplayQueryTests.everything(journal, sensor: nil, from: from, to: to)
        try FileManager.default.removeItem(atPath: "\(journal)/segment-0003.log")
        var got = 0
        let result = try ReplayQuery(sensorID: nil, from: from, to: to).run(journalDirectory: journal) { _ in got += 1 }
        #expect(got < whole.count, "the lost segment held records in the window")
        #expect(result.truncated, "the answer must say it is incomplete")
        #expect(!result.reclaimed && result.oldestAvailable == nil, "the journal still reaches back: \(result)")
        #expect(result.damage.count == 1 && result.damage.first?.hasSuffix("missing between segments") == true, "\(result.damage)")
    }
}
