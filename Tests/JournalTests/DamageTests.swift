import FaultSimulation
import Foundation
import DeterministicRandom
import Testing
import TestSupport
@testable import Journal

/// Damage a hostile tester found (issue 29): every case asserts what opening keeps, what it
/// reports, and that `journal verify` said the same beforehand.
@Suite("Journal damage: salvage, resynchronisation, reports that agree with verify")
struct DamageTests {
    /// Appends `count` records (payload by seq) with `fsync always` and closes the journal.
    static func fill(_ layout: JournalLayout, _ fs: FileSystem, count: UInt64, checkpoint: UInt64? = nil) throws {
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        for seq in UInt64(1)...count {
            try j.append(type: 1, time: Int64(seq), payload: payload(for: seq))
            if seq % 100 == 0 { try j.commit(now: 0) }
        }
        try j.commit(now: 0)
        if let checkpoint { try j.checkpoint.store(checkpoint) }
    }

    static func expectIntact(_ layout: JournalLayout, _ fs: FileSystem, count: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let records = try readAll(layout.directory, fs).records
        let allThere = records.map(\.seq) == Array(1...count)
        #expect(allThere, "\(records.count) of \(count) records", sourceLocation: sourceLocation)
        #expect(records.allSatisfy { $0.payload == payload(for: $0.seq) }, sourceLocation: sourceLocation)
    }

    // MARK: 1. A segment of the wrong size

    @Test("a segment one byte too long keeps every record, sets the file aside, and says so; verify said the same first")
    func segmentTooLong() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        try Self.fill(layout, fs, count: 3000)
        let path = layout.segmentPath(0)
        let original = fs.bytes(path)
        fs.mutate(path) { $0.append(0x41) }
        let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
        #expect(verification.records == 3000)
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(j.report.records == 3000)
        #expect(j.nextSeq == 3001)
        #expect(j.report.corruption.count == 1)
        #expect(j.report.corruption.first?.contains("segment-0000.log has \((1 << 17) + 1) bytes") == true, "\(j.report.corruption)")
        #expect(verification.problems == j.report.corruption)
        #expect(j.report.setAside == ["/j/segment-0000.log.damaged-1"])
        let copyIsAsFound = fs.bytes("/j/segment-0000.log.damaged-1") == original + [0x41]
        let segmentKeptItsBytes = fs.bytes(path) == original
        #expect(copyIsAsFound)
        #expect(segmentKeptItsBytes)
        try Self.expectIntact(layout, fs, count: 3000)
        // Opening again finds nothing more to do.
        let again = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(again.report.corruption.isEmpty && again.report.records == 3000)
        // What the gateway shows: degraded with the reason after the first open, clean after.
        #expect(j.report.needsAttention && !again.report.needsAttention)
        #expect(j.report.attentionSummary?.hasPrefix("journal damage found at start: segment file segment-0000.log has 131073 bytes") == true)
        #expect(j.report.attentionSummary?.hasSuffix("run `sensor-gateway journal verify`") == true)
        #expect(again.report.attentionSummary == nil)
    }

    @Test("a segment deleted from a wrapped ring is recreated, and the ring goes on reclaiming past it: the segment before it is not taken for the newest")
    func deletedSegmentDoesNotWedgeTheRing() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        let j0 = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        var seq: UInt64 = 0
        for _ in 0..<12_000 {  // about three laps of the ring
            seq += 1
            j0.retainFrom = seq
            try j0.append(type: 1, time: Int64(seq), payload: payload(for: seq))
            if seq % 100 == 0 { try j0.commit(now: 0) }
        }
        try j0.commit(now: 0)
        #expect(j0.statistics.reclaimedSegments >= 4, "the ring has wrapped")
        let newest = seq
        // The segment two after the newest: the middle of what the ring keeps.
        let generations = (0..<4).map { SegmentHeader.decode(Array(fs.bytes(layout.segmentPath($0)).prefix(SegmentHeader.size)))?.generation ?? 0 }
        let active = try #require(generations.indices.max { generations[$0] < generations[$1] })
        let victim = (active + 2) % 4
        try fs.remove(layout.segmentPath(victim))
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(!j.report.corruption.isEmpty, "the missing segment is reported")
        // All but the last 50 records are finished with (as in a running gateway, some always
        // wait): the ring must reclaim its way round, hole and all.
        var next = j.nextSeq
        for _ in 0..<12_000 {
            j.retainFrom = next - 50
            try j.append(type: 1, time: Int64(next), payload: payload(for: next))
            if next % 100 == 0 { try j.commit(now: 0) }
            next += 1
        }
        try j.commit(now: 0)
        #expect(j.appendableBytes > 0)
        #expect((j.oldestSeq ?? 0) > newest, "the ring reclaimed past the records it held before the hole")
    }

    @Test(
        "a read across a segment lost from the middle says which records are missing (a replay or export over it may be incomplete), and a read starting after the hole does not"
    )
    func readAcrossLostSegmentReportsTheHole() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        try Self.fill(layout, fs, count: 3000)  // about two and a half segments
        let firsts = try (0..<3).map { i -> UInt64 in
            try #require(SegmentHeader.decode(Array(fs.bytes(layout.segmentPath(i)).prefix(SegmentHeader.size)))?.baseSeq)
        }
        try fs.remove(layout.segmentPath(1))
        var seen: [UInt64] = []
        let outcome = try JournalReader(directory: layout.directory, fileSystem: fs).read { record in
            seen.append(record.seq)
            return true
        }
        #expect(outcome.corruption == ["records \(firsts[1])...\(firsts[2] - 1) missing between segments"])
        #expect(outcome.lostSeqs == [firsts[1]...(firsts[2] - 1)])
        #expect(!seen.contains(firsts[1]) && seen.contains(firsts[2]))
        let after = try JournalReader(directory: layout.directory, fileSystem: fs).read(fromSeq: firsts[2] + 1) { _ in true }
        #expect(after.corruption.isEmpty)
    }

    @Test("a segment cut short keeps the records that verify in what is left and is extended")
    func segmentTooShort() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        try Self.fill(layout, fs, count: 3000)
        let path = layout.segmentPath(0)
        let keep = 70_000
        fs.mutate(path) { $0.removeLast($0.count - keep) }
        let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(verification.problems == j.report.corruption)
        #expect(verification.records == j.report.records)
        #expect(j.report.corruption.contains { $0.contains("segment-0000.log has \(keep) bytes") })
        #expect(fs.bytes(path).count == 1 << 17)
        #expect(fs.bytes("/j/segment-0000.log.damaged-1").count == keep)
        let records = try readAll(layout.directory, fs).records
        // Every record wholly inside the 70,000 bytes left survives, and every later segment.
        let seqs = Set(records.map(\.seq))
        var offset = SegmentHeader.size
        var seq: UInt64 = 1
        while offset + RecordFormat.paddedSize(payload: payload(for: seq).count) <= keep {
            #expect(seqs.contains(seq), "record \(seq) at \(offset) was inside what was left")
            offset += RecordFormat.paddedSize(payload: payload(for: seq).count)
            seq += 1
        }
        #expect(records.allSatisfy { $0.payload == payload(for: $0.seq) })
        #expect(records.last?.seq == 3000)
    }

    // MARK: 2. A flipped header

    @Test(
        "three bits flipped in a segment header: the header is rebuilt from its records, nothing is lost", arguments: [0, 5, 8, 9, 13, 16, 18, 23, 24, 40, 61])
    func segmentHeaderFlip(byte: Int) throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        try Self.fill(layout, fs, count: 3000)
        fs.mutate(layout.segmentPath(1)) { $0[byte] ^= 0b1001_0001 }
        let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(verification.problems == j.report.corruption)
        #expect(j.report.records == 3000, "flip at header byte \(byte): \(j.report.corruption)")
        #expect(j.report.lostSeqs.isEmpty)
        #expect(j.report.corruption.count == 1 && j.report.corruption[0].contains("damaged header; rebuilt"), "\(j.report.corruption)")
        try Self.expectIntact(layout, fs, count: 3000)
        let again = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(again.report.corruption.isEmpty && again.report.records == 3000)
    }

    @Test("three bits flipped in a record header in the middle of a full segment lose that record only, reported by seq")
    func recordHeaderFlip() throws {
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        // Offsets of every record in segment 0.
        var offsets: [(seq: UInt64, offset: Int)] = []
        var offset = SegmentHeader.size
        for seq in UInt64(1)...500 {
            offsets.append((seq, offset))
            offset += RecordFormat.paddedSize(payload: payload(for: seq).count)
        }
        for (target, field) in [(250, 0), (251, 4), (252, 8), (253, 12), (254, 28), (255, 1)] {
            let fs = FaultyFileSystem()
            try Self.fill(layout, fs, count: 3000)
            let at = offsets[target - 1].offset + field
            fs.mutate(layout.segmentPath(0)) { bytes in
                bytes[at] ^= 0x10
                bytes[at + 1] ^= 0x04
                bytes[at + 2] ^= 0x80
            }
            let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
            let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
            #expect(verification.problems == j.report.corruption)
            let t = UInt64(target)
            #expect(j.report.lostSeqs == [t...t], "field \(field): \(j.report.corruption)")
            #expect(j.report.records == 2999)
            let allButOne = try readAll(layout.directory, fs).records.map(\.seq) == Array(1..<t) + Array((t + 1)...3000)
            #expect(allButOne)
        }
    }

    // MARK: 3. An unreadable checkpoint

    @Test("a garbage checkpoint is reported with what the gateway will republish, by open and by verify")
    func garbageCheckpoint() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        try Self.fill(layout, fs, count: 300, checkpoint: 200)
        var rng = SplitMix64(seed: 29)
        fs.mutate(layout.checkpointPath) { bytes in
            for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        }
        let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(j.checkpoint.value == nil)
        #expect(j.report.corruption.count == 1)
        #expect(j.report.corruption.first?.hasPrefix("checkpoint unreadable") == true)
        #expect(j.report.corruption.first?.contains("from seq 1 on will be republished") == true, "\(j.report.corruption)")
        #expect(verification.problems == j.report.corruption)
        #expect(j.report.records == 300)
        // A fresh checkpoint file (never written) is not a problem.
        let fresh = FaultyFileSystem()
        try Self.fill(layout, fresh, count: 10)
        #expect(try Journal(layout: layout, fsync: .always, fileSystem: fresh).report.corruption.isEmpty)
    }

    @Test(
        "a deleted checkpoint file, or one cut short (truncated to 0 or 60 bytes, no slot left whole: found black-box, silent), is reported with what the gateway will republish, by open and by verify; a new journal's is not",
        arguments: [nil, 0, 60])
    func deletedCheckpoint(cutTo bytes: Int?) throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        try Self.fill(layout, fs, count: 300, checkpoint: 200)
        if let bytes {
            fs.mutate(layout.checkpointPath) { $0 = Array($0.prefix(bytes)) }
        } else {
            try fs.remove(layout.checkpointPath)
        }
        let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(j.checkpoint.value == nil)
        #expect(
            j.report.corruption == [
                "checkpoint file missing or cut short: output journaled from seq 1 on will be republished (consumers de-duplicate on sensor, boot, seq and quality)"
            ])
        #expect(verification.problems == j.report.corruption)
        #expect(j.report.records == 300)
        // Opened again, the file it made whole holds no value: nothing is reported twice.
        let again = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(again.report.corruption.isEmpty)
        let fresh = FaultyFileSystem()
        #expect(try Journal(layout: layout, fsync: .always, fileSystem: fresh).report.corruption.isEmpty)
    }

    // MARK: 4. Garbage over the tail

    @Test("0xFF over the last 1,000 records is damage, not a torn write: verify and open report the same lost range")
    func garbageOverTheTail() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 20)
        try Self.fill(layout, fs, count: 3000)
        var offset = SegmentHeader.size
        var starts: [Int] = []
        for seq in UInt64(1)...3000 {
            starts.append(offset)
            offset += RecordFormat.paddedSize(payload: payload(for: seq).count)
        }
        let from = starts[2000]  // record 2001 on
        let end = offset
        fs.mutate(layout.segmentPath(0)) { bytes in
            for i in from..<end { bytes[i] = 0xFF }
        }
        let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
        #expect(verification.corrupt)
        #expect(verification.records == 2000)
        #expect(verification.summary.contains("corruption: 1 problem(s)"))
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(!j.report.tornTail)
        #expect(verification.problems == j.report.corruption)
        #expect(j.report.corruption.count == 1)
        #expect(j.report.corruption[0].contains("damaged after seq 2000"), "\(j.report.corruption)")
        let lost = try #require(j.report.lostSeqs.first)
        #expect(lost.lowerBound == 2001 && lost.upperBound >= 3000)
        #expect(j.nextSeq == lost.upperBound + 1, "no seq the damaged bytes could have held is reused")
        #expect(j.report.setAside == ["/j/segment-0000.log.damaged-1"])
        #expect(verification.setAside == j.report.setAside)
        // Appends carry on after the damage; opening again is clean.
        try j.append(type: 1, time: 0, payload: [1])
        try j.commit(now: 0)
        let again = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(again.report.corruption.isEmpty && again.report.records == 2001)
    }

    @Test("garbage after the last record is damage when the checkpoint says later output was acknowledged, however short")
    func shortGarbageBehindTheCheckpoint() throws {
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        for checkpoint in [UInt64(95), 99] {
            let fs = FaultyFileSystem()
            try Self.fill(layout, fs, count: 100, checkpoint: checkpoint)
            var offset = SegmentHeader.size
            for seq in UInt64(1)...97 { offset += RecordFormat.paddedSize(payload: payload(for: seq).count) }
            var end = offset
            for seq in UInt64(98)...100 { end += RecordFormat.paddedSize(payload: payload(for: seq).count) }
            fs.mutate(layout.segmentPath(0)) { bytes in
                for i in offset..<(end + 16) { bytes[i] = 0xFF }
            }
            let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
            let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
            #expect(verification.problems == j.report.corruption)
            if checkpoint == 95 {
                // Nothing acknowledged is missing: an interrupted write, cleared quietly.
                #expect(j.report.tornTail && j.report.corruption.isEmpty)
                #expect(verification.notes.count == 1 && !verification.corrupt)
            } else {
                #expect(!j.report.tornTail)
                #expect(j.report.corruption.count == 1 && j.report.corruption[0].contains("the checkpoint says output up to seq 99"), "\(j.report.corruption)")
                #expect(j.report.lostSeqs.first?.lowerBound == 98)
            }
        }
    }

    @Test(
        "garbage over records the checkpoint says were synced is damage, not a torn write, and a journal that ends before them lost them; their seqs are never reused; without the mark (an older checkpoint) it is a torn write as before"
    )
    func damageBehindTheSyncedMark() throws {
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        for (mark, zeroed) in [(UInt64(100), false), (100, true), (0, false)] {
            let fs = FaultyFileSystem()
            let j0 = try Journal(layout: layout, fsync: .always, fileSystem: fs)
            for seq in UInt64(1)...100 { try j0.append(type: 1, time: Int64(seq), payload: payload(for: seq)) }
            try j0.commit(now: 0)
            // Acknowledged through 50 only; synced through `mark` (0: a checkpoint that does not say).
            if mark > 0 {
                #expect(j0.checkpointIsBehind(acknowledged: 50))
                try j0.storeCheckpoint(50)
                #expect(j0.checkpoint.durable == 100)
                #expect(!j0.checkpointIsBehind(acknowledged: 50))
            } else {
                try j0.checkpoint.store(50)
            }
            var offset = SegmentHeader.size
            for seq in UInt64(1)...97 { offset += RecordFormat.paddedSize(payload: payload(for: seq).count) }
            var end = offset
            for seq in UInt64(98)...100 { end += RecordFormat.paddedSize(payload: payload(for: seq).count) }
            fs.mutate(layout.segmentPath(0)) { bytes in
                for i in offset..<end { bytes[i] = zeroed ? 0 : 0xFF }
            }
            let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
            let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
            #expect(verification.problems == j.report.corruption)
            if mark == 0 {
                #expect(j.report.tornTail && j.report.corruption.isEmpty)
                #expect(j.nextSeq == 98)
            } else {
                #expect(!j.report.tornTail)
                #expect(j.report.corruption.count == 1 && j.report.corruption[0].contains("records up to seq 100 were synced"), "\(j.report.corruption)")
                // At most lost: past the mark as far as the damaged bytes could have held records.
                let lost = try #require(j.report.lostSeqs.first)
                #expect(lost.lowerBound == 98 && lost.upperBound >= 100, "\(j.report.lostSeqs)")
                #expect(j.nextSeq == lost.upperBound + 1)
                // Zeroed bytes read as never written, so records past the mark (written, not yet
                // synced) may have been there too: the seqs the rest of the segment could have
                // held are skipped, not handed out again (found black-box).
                #expect(lost.upperBound == 97 + UInt64((layout.segmentSize - offset) / RecordFormat.headerSize), "\(lost)")
                // Appends go on in the next segment, whose header records the skip: the hole is
                // reported at this open only.
                try j.append(type: 1, time: 0, payload: [1])
                try j.commit(now: 0)
                let again = try Journal(layout: layout, fsync: .always, fileSystem: fs)
                #expect(again.report.corruption.isEmpty, "\(again.report.corruption)")
                #expect(again.nextSeq == lost.upperBound + 2)
            }
        }
    }

    @Test("with fsync never the checkpoint says synced only what an explicit sync made durable, and keeps it across an open")
    func syncedMarkWithoutRoutineSyncs() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        let j = try Journal(layout: layout, fsync: .never, fileSystem: fs)
        for seq in UInt64(1)...10 { try j.append(type: 1, time: Int64(seq), payload: payload(for: seq)) }
        try j.commit(now: 0)
        try j.storeCheckpoint(5)
        #expect(j.checkpoint.value == 5 && j.checkpoint.durable == nil)
        try j.sync()  // as before a snapshot or at shutdown
        #expect(j.checkpointIsBehind(acknowledged: 5))
        try j.storeCheckpoint(5)
        #expect(j.checkpoint.durable == 10)
        let reopened = try Journal(layout: layout, fsync: .never, fileSystem: fs)
        #expect(!reopened.checkpointIsBehind(acknowledged: 5))
    }

    // MARK: 5. Meta values

    @Test("random journal.meta contents never trap: open heals it (segments agree) or refuses with a message; verify reads or refuses")
    func randomMeta() throws {
        var rng = SplitMix64(seed: 5)
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 8192)
        let numbers = ["0", "-1", "2", "4", "8192", "4096", "9223372036854775807", "-9223372036854775808", "99999999999999999999", "1e9", "", " 4"]
        for round in 0..<300 {
            let fs = FaultyFileSystem()
            try Self.fill(layout, fs, count: 50)
            var meta: [UInt8]
            switch round % 3 {
            case 0:
                meta = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1:
                let count = numbers.randomElement(using: &rng)!
                let size = numbers.randomElement(using: &rng)!
                meta = Array("segments=\(count)\nsegment_size=\(size)\n".utf8)
            default:
                meta = Array("segments=\(Int.random(in: Int.min...Int.max, using: &rng))\nsegment_size=\(Int.random(in: -5...Int.max, using: &rng))\n".utf8)
            }
            fs.mutate(layout.metaPath) { $0 = meta }
            let verification = try? JournalVerification.run(directory: layout.directory, fileSystem: fs)
            if let verification { #expect(verification.records == 50, "round \(round)") }
            do {
                let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
                #expect(j.report.records == 50, "round \(round)")
            } catch let error as JournalError {
                guard case .invalidConfiguration(let message) = error else {
                    Issue.record("round \(round): \(error)")
                    continue
                }
                // A meta file of valid numbers other than the segment files show is named as such.
                #expect(message.contains("created with") || message.contains("but the segment files were written with"), "round \(round): \(message)")
            }
        }
    }

    @Test("a huge segment count or size in journal.meta is refused by readers with a message")
    func hugeMetaValues() throws {
        let fs = FaultyFileSystem()
        _ = try fs.open("/x/journal.meta", create: true)
        for text in [
            "segments=4611686018427387904\nsegment_size=4096\n", "segments=4\nsegment_size=4611686018427387904\n", "segments=100000\nsegment_size=4096\n",
        ] {
            fs.mutate("/x/journal.meta") { $0 = Array(text.utf8) }
            #expect(throws: JournalError.self) { try JournalVerification.run(directory: "/x", fileSystem: fs) }
            #expect(throws: JournalError.self) { try JournalReader(directory: "/x", fileSystem: fs) }
        }
        #expect(throws: JournalError.self) { try JournalLayout(directory: "/x", maxBytes: Int.max, segmentCount: 16) }
        #expect(throws: JournalError.self) { try JournalLayout(directory: "/x", maxBytes: 1 << 30, segmentCount: Int.max) }
    }

    // MARK: 6. Self-healing at open

    @Test("a damaged journal.meta with segments that agree is rewritten, the old one kept aside")
    func badMetaHealed() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 8192)
        try Self.fill(layout, fs, count: 100)
        fs.mutate(layout.metaPath) { $0 = Array("segm\u{0}ents=zz".utf8) }
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(j.report.records == 100)
        #expect(j.report.setAside == ["/j/journal.meta.damaged-1"])
        #expect(j.report.fileProblems.contains { $0.hasPrefix("journal.meta was unreadable") })
        #expect(fs.bytes(layout.metaPath) == Array(layout.metaText.utf8))
        #expect(fs.bytes("/j/journal.meta.damaged-1") == Array("segm\u{0}ents=zz".utf8))
    }

    @Test("a damaged journal.meta with segments of another size is refused, naming the file and journal verify")
    func badMetaRefused() throws {
        let fs = FaultyFileSystem()
        try Self.fill(.tiny(segments: 4, segmentSize: 8192), fs, count: 100)
        fs.mutate("/j/journal.meta") { $0 = Array("garbage".utf8) }
        #expect {
            try Journal(layout: .tiny(segments: 4, segmentSize: 4096), fsync: .always, fileSystem: fs)
        } throws: { error in
            let text = "\(error)"
            return text.contains("/j/journal.meta is unreadable") && text.contains("4 segments of 8192 bytes") && text.contains("sensor-gateway journal verify")
        }
        #expect(fs.bytes("/j/journal.meta") == Array("garbage".utf8), "nothing was changed")
        // verify reads it with the layout the segments show.
        let v = try JournalVerification.run(directory: "/j", fileSystem: fs)
        #expect(v.records == 100 && v.problems.first?.hasPrefix("journal.meta is unreadable") == true)
    }

    @Test("the newest segment deleted while the gateway is down: the seqs it held are not handed out again, the loss is reported once, and appends go on")
    func newestSegmentDeleted() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 4, segmentSize: 1 << 14)
        // About two and a half segments: the ring has not wrapped, and no checkpoint is stored,
        // so nothing but the files says how far the seqs went.
        try Self.fill(layout, fs, count: 300)
        // Not wrapped: the newest is the last file with a header.
        let newest = try #require((0..<4).last { segmentHolds(layout, fs, $0) })
        #expect(newest > 0)
        try fs.remove(layout.segmentPath(newest))
        let verification = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(verification.problems == j.report.fileProblems + j.report.corruption)
        #expect(j.report.corruption.contains { $0.contains("segment file(s) \(JournalLayout.segmentName(newest)) lost after seq") }, "\(j.report.corruption)")
        #expect(j.nextSeq > 300, "seq \(j.nextSeq) would be handed out again")
        let first = try j.append(type: 1, time: 0, payload: [1])
        try j.commit(now: 0)
        #expect(first > 300)
        let again = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(again.report.corruption.isEmpty && again.report.fileProblems.isEmpty, "\(again.report.corruption) \(again.report.fileProblems)")
        #expect(again.nextSeq == first + 1)
    }

    /// Whether segment file `index` holds records (a used segment's header).
    private func segmentHolds(_ layout: JournalLayout, _ fs: FileSystem, _ index: Int) -> Bool {
        guard let h = try? fs.open(layout.segmentPath(index), create: false) else { return false }
        defer { fs.close(h) }
        guard let raw = try? fs.read(h, count: SegmentHeader.size, at: 0), let header = SegmentHeader.decode(raw) else { return false }
        return header.generation > 0
    }

    @Test("a segment path that is a directory is moved aside and recreated; the other segments' records stay")
    func segmentIsADirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 4 << 16, segmentCount: 4)
        try Self.fill(layout, POSIXFileSystem(), count: 1000)
        let lost = try readAll(layout.directory, POSIXFileSystem()).records
        let path = layout.segmentPath(1)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try Data("evidence".utf8).write(to: URL(fileURLWithPath: path + "/inside"))
        let verification = try JournalVerification.run(directory: layout.directory)
        let j = try Journal(layout: layout, fsync: .always)
        #expect(verification.problems == j.report.corruption)
        #expect(j.report.corruption.first?.contains("segment-0001.log cannot be used") == true, "\(j.report.corruption)")
        // Segment 1 comes after the newest (segment 0, the ring having wrapped): it may have held
        // newer records, so their seqs are skipped, and said so.
        #expect(j.report.corruption.count == 2 && j.report.corruption[1].contains("segment file(s) segment-0001.log lost after seq"), "\(j.report.corruption)")
        #expect(j.report.setAside == [path + ".damaged-1"])
        #expect(FileManager.default.fileExists(atPath: path + ".damaged-1/inside"))
        // The records of the other segments are all there; the new segment takes appends.
        let records = try readAll(layout.directory, POSIXFileSystem()).records
        #expect(records.count < lost.count && records.count > 0)
        #expect(records.allSatisfy { $0.payload == payload(for: $0.seq) })
        for _ in 0..<2000 { try j.append(type: 1, time: 0, payload: [1, 2, 3]) }
        try j.commit(now: 0)
    }
}
