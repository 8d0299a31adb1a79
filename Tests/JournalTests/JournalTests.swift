import FaultSimulation
import Foundation
import Testing
import TestSupport
@testable import Journal

@Suite("Journal: format, ring, readers, checkpoint")
struct JournalTests {
    @Test("CRC32C matches the Castagnoli check value")
    func crcCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        let check = Array("123456789".utf8).withUnsafeBytes { ~CRC32C.tableUpdate(0xFFFF_FFFF, $0) }
        #expect(check == 0xE306_9283)
    }

    @Test("the CPU's CRC-32C instructions, where used, agree with the tables at every length and alignment")
    func crcHardwareMatchesTables() {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
        bytes.withUnsafeBytes { raw in
            for start in 0..<9 {
                for length in [0, 1, 7, 8, 9, 15, 16, 63, 100, 1000, 4000] {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    #expect(CRC32C.update(0x1234_5678, slice) == CRC32C.tableUpdate(0x1234_5678, slice))
                }
            }
        }
    }

    @Test("records round-trip through real files and survive reopening")
    func roundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.path, maxBytes: 1 << 20, segmentCount: 4)
        do {
            let j = try Journal(layout: layout, fsync: .always)
            for seq in UInt64(1)...2000 {
                #expect(try j.append(type: UInt16(seq % 3), flags: 7, time: Int64(seq) * 10, payload: payload(for: seq)) == seq)
            }
            try j.commit(now: 0)
            #expect(j.durableSeq == 2000)
        }
        let j = try Journal(layout: layout, fsync: .always)
        #expect(j.report.records == 2000)
        #expect(j.report.corruption.isEmpty && !j.report.tornTail)
        #expect(j.nextSeq == 2001)
        let (records, outcome) = try readAll(dir.path, POSIXFileSystem())
        #expect(records.count == 2000)
        #expect(records.allSatisfy { $0.payload == payload(for: $0.seq) && $0.time == Int64($0.seq) * 10 && $0.flags == 7 })
        #expect(!outcome.truncated)
    }

    @Test("after the ring has wrapped, a clean end over a former lap's records is not reported as a torn write, and nothing is rewritten at open")
    func wrappedRingEndsClean() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.path, maxBytes: 1 << 20, segmentCount: 4)
        var last: UInt64 = 0
        do {
            let j = try Journal(layout: layout, fsync: .never)
            // Records of varying sizes, so the newest end falls inside a former lap's record.
            for seq in UInt64(1)...12_000 {
                last = try j.append(type: 1, time: Int64(seq), payload: [UInt8](repeating: UInt8(seq % 251), count: Int(seq * 7919 % 300)))
                if seq % 10 == 0 { try j.commit(now: 0) }
            }
            try j.commit(now: 0)
            #expect(j.statistics.reclaimedSegments > 4)
        }
        let before = try (0..<layout.segmentCount).map { try Data(contentsOf: URL(fileURLWithPath: layout.segmentPath($0))) }
        let j = try Journal(layout: layout, fsync: .never)
        #expect(!j.report.tornTail && j.report.corruption.isEmpty)
        #expect(j.nextSeq == last + 1)
        let after = try (0..<layout.segmentCount).map { try Data(contentsOf: URL(fileURLWithPath: layout.segmentPath($0))) }
        #expect(before == after)
        #expect(try j.append(type: 1, time: 0, payload: [1, 2, 3]) == last + 1)
    }

    @Test("the ring reclaims the oldest whole segment, counts what it dropped, and never refuses data")
    func wraparound() throws {
        let fs = FaultyFileSystem()
        let j = try Journal(layout: .tiny(), fsync: .always, fileSystem: fs)
        for seq in UInt64(1)...500 {
            try j.append(type: 1, time: Int64(seq), payload: payload(for: seq))
            if seq % 10 == 0 { try j.commit(now: 0) }
        }
        #expect(j.statistics.droppedRecords > 0)
        #expect(j.statistics.reclaimedSegments > 0)
        let (records, outcome) = try readAll("/j", fs, from: 1)
        #expect(outcome.truncated)
        #expect(records.first?.seq == j.oldestSeq)
        #expect(records.last?.seq == 500)
        #expect(records.map(\.seq) == Array(records.first!.seq...500))
        #expect(UInt64(records.count) + j.statistics.droppedRecords == 500)
        #expect(records.allSatisfy { $0.payload == payload(for: $0.seq) })
    }

    @Test("the oldest record's time follows the ring as it wraps, to within the index's 256 records")
    func oldestTime() throws {
        let fs = FaultyFileSystem()
        let j = try Journal(layout: .tiny(segments: 8, segmentSize: 1 << 16), fsync: .never, fileSystem: fs)
        #expect(j.oldestTime == nil)
        for seq in UInt64(1)...30_000 { try j.append(type: 1, time: Int64(seq) * 100, payload: [1]) }
        try j.commit(now: 0)
        let oldest = try #require(j.oldestSeq)
        #expect(oldest > 1, "the ring wrapped")
        let time = try #require(j.oldestTime)
        #expect(time >= Int64(oldest) * 100 && time < Int64(oldest + 256) * 100, "oldest seq \(oldest), time \(time)")
    }

    @Test("both checkpoint slots corrupt gives no checkpoint; one corrupt slot falls back to the other")
    func checkpointSlots() throws {
        let fs = FaultyFileSystem()
        do {
            let c = try CheckpointStore(path: "/cp", fileSystem: fs)
            #expect(c.value == nil)
            try c.store(10)
            try c.store(20)
        }
        #expect(try CheckpointStore(path: "/cp", fileSystem: fs).value == 20)
        fs.mutate("/cp") { $0[16] ^= 0xFF }  // slot 0 holds the newer value (counter 2)
        #expect(try CheckpointStore(path: "/cp", fileSystem: fs).value == 10)
        fs.mutate("/cp") { $0[64 + 20] ^= 0x01 }
        #expect(try CheckpointStore(path: "/cp", fileSystem: fs).value == nil)
    }

    @Test("missing, zero-length and extra segment files are reported and the journal keeps working")
    func segmentFiles() throws {
        let fs = FaultyFileSystem()
        do {
            let j = try Journal(layout: .tiny(), fsync: .always, fileSystem: fs)
            for seq in UInt64(1)...60 { try j.append(type: 1, time: 0, payload: payload(for: seq)) }
            try j.commit(now: 0)
        }
        try fs.remove("/j/segment-0003.log")
        let h = try fs.open("/j/segment-0002.log", create: false)
        try fs.truncate(h, size: 0)
        _ = try fs.open("/j/segment-0099.log", create: true)
        let j = try Journal(layout: .tiny(), fsync: .always, fileSystem: fs)
        #expect(j.report.fileProblems.contains { $0.contains("segment-0099.log") })
        #expect(j.report.fileProblems.contains { $0.contains("segment-0002.log") && $0.contains("0 bytes") })
        try j.append(type: 1, time: 0, payload: [9])
        try j.commit(now: 0)
        let verification = try JournalVerification.run(directory: "/j", fileSystem: fs)
        #expect(verification.records > 0)
    }

    @Test("a full disk during append poisons the journal until it is reopened")
    func diskFull() throws {
        let fs = FaultyFileSystem()
        let j = try Journal(layout: .tiny(), fsync: .always, fileSystem: fs)
        try j.append(type: 1, time: 0, payload: [1])
        try j.commit(now: 0)
        fs.failWrites(with: ENOSPC)
        try j.append(type: 1, time: 0, payload: [2])
        #expect(throws: JournalError.self) { try j.commit(now: 0) }
        #expect(j.isPoisoned)
        fs.failWrites(with: nil)
        #expect { try j.append(type: 1, time: 0, payload: [3]) } throws: {
            ($0 as? JournalError).map { if case .poisoned = $0 { true } else { false } } ?? false
        }
        let reopened = try Journal(layout: .tiny(), fsync: .always, fileSystem: fs)
        #expect(reopened.report.records == 1)
        try reopened.append(type: 1, time: 0, payload: [4])
        try reopened.commit(now: 0)
    }

    @Test("a geometry change is refused with a clear error instead of discarding data")
    func geometryChange() throws {
        let fs = FaultyFileSystem()
        _ = try Journal(layout: .tiny(), fileSystem: fs)
        #expect { try Journal(layout: .tiny(segments: 8), fileSystem: fs) } throws: { "\($0)".contains("created with 4 segments") }
    }
}

@Suite("Journal retention of unfinished work")
struct JournalRetentionTests {
    @Test(
        "the ring never reclaims a segment holding a record at or after retainFrom: the append is refused, not poisoned, and goes through once the work is done"
    )
    func retention() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.path, maxBytes: 16 * 4096, segmentCount: 16)
        let journal = try Journal(layout: layout, fsync: .never)
        journal.retainFrom = 1
        let payload = [UInt8](repeating: 7, count: 1000)
        var appended: [UInt64] = []
        var full = false
        while !full {
            do {
                appended.append(try journal.append(type: 1, time: 0, payload: payload))
                try journal.commit(now: 0)
            } catch JournalError.full {
                full = true
            }
        }
        #expect(!journal.isPoisoned)
        #expect(journal.appendableBytes < 1000 + 64)
        #expect(journal.statistics.droppedRecords == 0)
        // Every record is still there.
        var seen: [UInt64] = []
        try JournalReader(directory: dir.path).read {
            seen.append($0.seq); return true
        }
        #expect(seen == appended)
        // Finishing the oldest work frees the oldest segment only.
        journal.retainFrom = appended[appended.count / 4]
        let appendable = journal.appendableBytes
        #expect(appendable >= 4096 - 64 - 1000)
        // `canAppend` stops counting early and must agree with the full count at its edge.
        #expect(journal.canAppend(bytes: appendable))
        #expect(!journal.canAppend(bytes: appendable + 1))
        #expect(journal.canAppend(bytes: 1))
        let next = try journal.append(type: 1, time: 0, payload: payload)
        #expect(next == appended.last! + 1)
        #expect(journal.oldestSeq! <= appended[appended.count / 4])
    }
}
