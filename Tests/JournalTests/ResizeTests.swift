import FaultSimulation
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Journal

/// Resizing in place (issue 28): grow and shrink at open, seqs unchanged, crash-safe.
@Suite("Journal: resize in place")
struct ResizeTests {
    @discardableResult
    static func fill(_ layout: JournalLayout, _ fs: FileSystem, count: UInt64) throws -> (oldest: UInt64, next: UInt64) {
        let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        for seq in UInt64(1)...count {
            try j.append(type: 1, time: Int64(seq), payload: payload(for: seq))
            if seq % 50 == 0 { try j.commit(now: 0) }
        }
        try j.commit(now: 0)
        return (j.oldestSeq ?? 1, j.nextSeq)
    }

    static func seqsAndPayloadsIntact(_ directory: String, _ fs: FileSystem) throws -> [UInt64] {
        let records = try readAll(directory, fs).records
        let intact = records.allSatisfy { $0.payload == payload(for: $0.seq) && $0.time == Int64($0.seq) }
        #expect(intact)
        return records.map(\.seq)
    }

    @Test("growing keeps every record with its seq, and appends carry on")
    func grow() throws {
        let fs = FaultyFileSystem()
        let small = JournalLayout.tiny(segments: 4, segmentSize: 8192)
        let (oldest, next) = try Self.fill(small, fs, count: 1000)
        #expect(oldest > 1, "the ring wrapped")
        let before = try Self.seqsAndPayloadsIntact("/j", fs)
        let large = JournalLayout.tiny(segments: 8, segmentSize: 16384)
        #expect(
            Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: fs) == .resize(from: small, keptFrom: oldest, kept: before.count, dropped: 0))
        #expect { try Journal(layout: large, fsync: .always, fileSystem: fs) } throws: { "\($0)".contains("created with 4 segments") }
        let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: fs)
        #expect(j.report.resized?.contains("\(before.count) records kept") == true, "\(j.report.resized ?? "nil")")
        #expect(j.report.corruption.isEmpty && j.report.records == before.count)
        #expect(j.nextSeq == next)
        #expect(try Self.seqsAndPayloadsIntact("/j", fs) == before)
        #expect(try j.append(type: 1, time: Int64(next), payload: payload(for: next)) == next)
        try j.commit(now: 0)
        #expect(Journal.plan(layout: large, resizeKeepingFrom: nil, fileSystem: fs) == .open)
        #expect(try JournalLayout.stored(in: "/j", fileSystem: fs) == large)
    }

    @Test("growing and shrinking back on real files, under the writer's lock")
    func realFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fs = POSIXFileSystem()
        let small = try JournalLayout(directory: dir.file("journal"), maxBytes: 4 * 8192, segmentCount: 4)
        let large = try JournalLayout(directory: dir.file("journal"), maxBytes: 8 * 16384, segmentCount: 8)
        let (oldest, next) = try Self.fill(small, fs, count: 1000)
        let before = try Self.seqsAndPayloadsIntact(small.directory, fs)
        do {
            let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: fs)
            #expect(j.nextSeq == next && j.report.records == before.count)
        }
        #expect(try Self.seqsAndPayloadsIntact(small.directory, fs) == before)
        let j = try Journal(layout: small, fsync: .always, resizeKeepingFrom: next - 20, fileSystem: fs)
        #expect(j.nextSeq == next)
        let after = try Self.seqsAndPayloadsIntact(small.directory, fs)
        #expect(after.last == next - 1 && after.first! <= next - 20)
        #expect(try FileManager.default.contentsOfDirectory(atPath: small.directory).filter { $0.hasPrefix("segment-") }.count == 4)
    }

    @Test("a resize leaves no resize folder; an empty one, left by a start killed right after its resize, is removed by the next open and noted")
    func stagingFolderRemoved() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fs = POSIXFileSystem()
        let small = try JournalLayout(directory: dir.file("journal"), maxBytes: 4 * 8192, segmentCount: 4)
        let large = try JournalLayout(directory: dir.file("journal"), maxBytes: 8 * 16384, segmentCount: 8)
        let (oldest, next) = try Self.fill(small, fs, count: 300)
        let before = try Self.seqsAndPayloadsIntact(small.directory, fs)
        let staging = large.directory + "/resize"
        do {
            let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: fs)
            #expect(j.report.resized != nil)
        }
        #expect(!FileManager.default.fileExists(atPath: staging))
        // What a kill after the resize's last rename left: its staging folder, emptied.
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
        let j = try Journal(layout: large, fsync: .always, fileSystem: fs)
        #expect(!FileManager.default.fileExists(atPath: staging))
        #expect(j.report.fileProblems.contains { $0.contains("an empty resize folder") && $0.contains("was removed") }, "\(j.report.fileProblems)")
        #expect(j.report.corruption.isEmpty && j.report.resized == nil)
        #expect(j.nextSeq == next)
        #expect(try Self.seqsAndPayloadsIntact(large.directory, fs) == before)
    }

    @Test("damage in the old journal stays damage after a resize: reported by the copy, by every open and by a read over it, never a silent hole")
    func damageStaysReported() throws {
        let fs = FaultyFileSystem()
        let small = JournalLayout.tiny(segments: 4, segmentSize: 1 << 17)
        try Self.fill(small, fs, count: 3000)  // about two and a half segments
        fs.flip(small.segmentPath(0), at: 40_000, mask: 0xFF)
        let before = try readAll("/j", fs)
        let lost = try #require(before.outcome.lostSeqs.first, "the flip destroyed a record: \(before.outcome.corruption)")
        let large = JournalLayout.tiny(segments: 8, segmentSize: 1 << 18)
        guard case .resize(_, _, _, _, let damage) = Journal.plan(layout: large, resizeKeepingFrom: 1, fileSystem: fs) else {
            Issue.record("no resize planned")
            return
        }
        #expect(damage == before.outcome.corruption)
        do {
            let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: 1, fileSystem: fs)
            #expect(j.report.resized?.contains("the old journal was damaged") == true, "\(j.report.resized ?? "nil")")
            #expect(j.report.corruption.contains("records \(lost.lowerBound)...\(lost.upperBound) missing between segments"), "\(j.report.corruption)")
            #expect(j.report.corruption.contains { $0.hasPrefix("found before the resize: ") }, "\(j.report.corruption)")
            #expect(j.report.records == before.records.count)
        }
        let reopened = try Journal(layout: large, fsync: .always, fileSystem: fs)
        #expect(reopened.report.corruption.count == 1, "reported at every open, not marked as skipped on purpose")
        let after = try readAll("/j", fs)
        #expect(after.outcome.lostSeqs == [lost])
        #expect(after.records.map(\.seq) == before.records.map(\.seq))
    }

    @Test("a grow after the newest segment was lost hands out no seq the old journal may have: the loss is reported, appends go on past it")
    func growAfterNewestSegmentLost() throws {
        let fs = FaultyFileSystem()
        let small = JournalLayout.tiny(segments: 4, segmentSize: 1 << 14)
        try Self.fill(small, fs, count: 300)  // about two and a half segments, not wrapped
        let newest = try #require((0..<4).last { fs.bytes(small.segmentPath($0)).prefix(8).contains { $0 != 0 } })
        try fs.remove(small.segmentPath(newest))
        let floor = try JournalVerification.run(directory: "/j", fileSystem: fs).nextSeq
        #expect(floor > 300)
        let large = JournalLayout.tiny(segments: 8, segmentSize: 1 << 15)
        let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: 1, fileSystem: fs)
        #expect(j.nextSeq >= floor, "seq \(j.nextSeq) would be handed out again (the old journal continued at \(floor))")
        #expect(j.report.corruption.contains { $0.contains("lost") && !$0.hasPrefix("found before") }, "\(j.report.corruption)")
    }

    @Test("a shrink that drops damaged old records reports the damage at that start; the journal it leaves holds none")
    func shrinkDroppingDamage() throws {
        let fs = FaultyFileSystem()
        let large = JournalLayout.tiny(segments: 8, segmentSize: 1 << 17)
        let (_, next) = try Self.fill(large, fs, count: 3000)
        fs.flip(large.segmentPath(0), at: 40_000, mask: 0xFF)
        let small = JournalLayout.tiny(segments: 4, segmentSize: 1 << 15)
        do {
            let j = try Journal(layout: small, fsync: .always, resizeKeepingFrom: next - 100, fileSystem: fs)
            #expect(j.report.corruption.contains { $0.hasPrefix("found before the resize: ") }, "\(j.report.corruption)")
        }
        let reopened = try Journal(layout: small, fsync: .always, fileSystem: fs)
        #expect(reopened.report.corruption.isEmpty, "\(reopened.report.corruption)")
    }

    @Test("a disk too full for the new segments: refused as a setting, the partial copy removed, the old journal untouched")
    func fullDiskDuringGrow() throws {
        let fs = FaultyFileSystem()
        let small = JournalLayout.tiny(segments: 4, segmentSize: 8192)
        try Self.fill(small, fs, count: 500)
        let before = try Self.seqsAndPayloadsIntact("/j", fs)
        fs.failWrites(with: ENOSPC)
        let large = JournalLayout.tiny(segments: 8, segmentSize: 16384)
        #expect {
            try Journal(layout: large, fsync: .always, resizeKeepingFrom: 1, fileSystem: fs)
        } throws: { error in
            guard case JournalError.invalidConfiguration(let why) = error else { return false }
            return why.contains("disk is full") && why.contains("nothing was changed")
        }
        fs.disarm()
        #expect(try fs.list("/j/resize").isEmpty, "the partial copy stays")
        let j = try Journal(layout: small, fsync: .always, fileSystem: fs)
        #expect(j.report.corruption.isEmpty && j.report.fileProblems.isEmpty, "\(j.report.corruption) \(j.report.fileProblems)")
        #expect(try Self.seqsAndPayloadsIntact("/j", fs) == before)
    }

    @Test("shrinking keeps every record from the given seq (and older ones as far as they fit), seqs unchanged")
    func shrink() throws {
        let fs = FaultyFileSystem()
        let large = JournalLayout.tiny(segments: 8, segmentSize: 16384)
        let (_, next) = try Self.fill(large, fs, count: 1000)
        let small = JournalLayout.tiny(segments: 4, segmentSize: 8192)
        let keep = next - 60
        let j = try Journal(layout: small, fsync: .always, resizeKeepingFrom: keep, fileSystem: fs)
        let seqs = try Self.seqsAndPayloadsIntact("/j", fs)
        #expect(seqs.first! <= keep && seqs.last == next - 1)
        #expect(seqs == Array(seqs.first!...(next - 1)))
        #expect(j.nextSeq == next && j.report.corruption.isEmpty)
        #expect(j.report.resized?.contains("older records did not fit and were dropped") == true)
        let reopened = try Journal(layout: small, fsync: .always, fileSystem: fs)
        #expect(reopened.report.records == seqs.count && reopened.report.corruption.isEmpty)
    }

    @Test("shrinking is refused, with nothing changed, when the records to keep do not fit")
    func refused() throws {
        let fs = FaultyFileSystem()
        let large = JournalLayout.tiny(segments: 8, segmentSize: 16384)
        _ = try Self.fill(large, fs, count: 1000)
        let before = try Self.seqsAndPayloadsIntact("/j", fs)
        let small = JournalLayout.tiny(segments: 4, segmentSize: 8192)
        guard case .refuse(let message) = Journal.plan(layout: small, resizeKeepingFrom: before.first!, fileSystem: fs) else {
            Issue.record("plan should refuse")
            return
        }
        #expect(message.contains("need") && message.contains("keep the old journal-max-bytes"), "\(message)")
        #expect { try Journal(layout: small, fsync: .always, resizeKeepingFrom: before.first!, fileSystem: fs) } throws: { "\($0)" == message }
        #expect(try JournalLayout.stored(in: "/j", fileSystem: fs) == large)
        #expect(try Self.seqsAndPayloadsIntact("/j", fs) == before)
    }

    /// Two resizes: one adds segments; one has fewer, larger segments, so the swap also
    /// removes old segment files beyond the new count.
    enum Resizing: String, CaseIterable, Sendable {
        case moreSegments = "4 segments of 8192 bytes to 6 of 8192"
        case fewerLargerSegments = "8 segments of 8192 bytes to 4 of 16384"

        var layouts: (from: JournalLayout, to: JournalLayout) {
            switch self {
            case .moreSegments: (.tiny(segments: 4, segmentSize: 8192), .tiny(segments: 6, segmentSize: 8192))
            case .fewerLargerSegments: (.tiny(segments: 8, segmentSize: 8192), .tiny(segments: 4, segmentSize: 16384))
            }
        }
    }

    @Test(
        "a resize interrupted at any step (a failing rename, remove or write) is finished or undone by the next open: nothing kept is lost",
        arguments: Resizing.allCases, 0..<150)
    func interrupted(_ resizing: Resizing, failAt: Int) throws {
        let base = FaultyFileSystem()
        let (small, large) = resizing.layouts
        let (oldest, next) = try Self.fill(small, base, count: 600)
        let before = try Self.seqsAndPayloadsIntact("/j", base)
        let fs = FailingFileSystem(over: base, failAt: failAt)
        var completed = false
        do {
            _ = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: fs)
            completed = true
        } catch {}
        // The steps run out before the last failure point: every step of the resize was tried.
        if failAt == 149 { #expect(completed) }
        // Swapped in and cleaned up (a failure after that was in the open's recovery): done.
        let stagingLeft = try base.list("/j/resize")
        let swappedIn = (try? JournalLayout.stored(in: "/j", fileSystem: base)) == large && stagingLeft.isEmpty
        // `journal verify` says what the next start will do with what the resize left (found
        // black-box, 41st review: a partial copy was there, and verify said nothing of it).
        let pending = Journal.pendingResizeNote(directory: "/j", fileSystem: base)
        #expect((pending != nil) == !stagingLeft.isEmpty, "fail at \(failAt): \(pending ?? "no note"), \(stagingLeft.count) file(s) left")
        // A failure in the middle of the copy leaves a partial one: the note is checked on a leftover
        // (the 20th change is in the copy of the smaller journal).
        if resizing == .moreSegments, failAt == 20 {
            #expect(pending?.contains("the partial copy of an interrupted resize") == true, "\(pending ?? "no note")")
        }
        if let pending { #expect(try JournalVerification.run(directory: "/j", fileSystem: base).notes.contains(pending), "fail at \(failAt)") }
        // The next start, as the gateway would make it.
        let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base)
        #expect(j.nextSeq == next, "fail at \(failAt)")
        #expect(try Self.seqsAndPayloadsIntact("/j", base) == before, "fail at \(failAt)")
        #expect(j.report.corruption.isEmpty, "fail at \(failAt): \(j.report.corruption)")
        // Finished here (committed before the failure) or done here (not committed), the resize
        // is said by the start that ends it, with what the copy kept (found black-box: a start
        // finishing a committed one logged only `journal opened`).
        // (Stopped between the staging folder's last unlink and its rmdir, the resize is done and
        // only the empty folder is found: that note stands for it.)
        let emptyFolderOnly = j.report.fileProblems.contains { $0.hasPrefix("an empty resize folder") }
        if completed || swappedIn || emptyFolderOnly {
            #expect(j.report.resized == nil, "fail at \(failAt)")
        } else {
            let said = j.report.resized ?? ""
            #expect(
                said.hasPrefix("journal resized from \(resizing.rawValue): ") && said.contains("records kept"), "fail at \(failAt): \(said)")
        }
    }
}
