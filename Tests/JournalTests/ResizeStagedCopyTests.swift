import FaultSimulation
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Journal

/// A resize committed by one start and swapped in by the next: the copy waits on disk between
/// them, where it can be damaged as any file can (found by the 47th black-box review).
@Suite("Journal: a committed resize's copy damaged before it was swapped in")
struct ResizeStagedCopyTests {
    /// A resize of `resizing` committed and then stopped at the swap's `renamesDone + 1`-th
    /// segment rename (a crash there); returns the seqs before it and the journal's next seq.
    static func commitThenStop(
        _ resizing: ResizeTests.Resizing, _ base: FaultyFileSystem, renamesDone: Int
    ) throws -> (
        before: [UInt64], oldest: UInt64, next: UInt64
    ) {
        let (small, large) = resizing.layouts
        let (oldest, next) = try ResizeTests.fill(small, base, count: 600)
        let before = try ResizeTests.seqsAndPayloadsIntact("/j", base)
        let stopping = FailingFileSystem(over: base, failAt: renamesDone) { op, path in
            op == "rename" && path?.hasPrefix("/j/resize/segment-") == true
        }
        #expect(throws: (any Error).self) { try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: stopping) }
        #expect(base.exists("/j/resize/journal.meta"), "committed")
        return (before, oldest, next)
    }

    /// Flips a bit inside the first record of the staged copy's segment `index`.
    static func damageStagedSegment(_ index: Int, _ base: FaultyFileSystem) {
        base.flip("/j/resize/\(JournalLayout.segmentName(index))", at: SegmentHeader.size + 40, mask: 0x10)
    }

    @Test("before any segment was swapped in: the copy is thrown away, the old journal kept whole and copied again", arguments: ResizeTests.Resizing.allCases)
    func damagedBeforeTheSwap(_ resizing: ResizeTests.Resizing) throws {
        let base = FaultyFileSystem()
        let (before, oldest, next) = try Self.commitThenStop(resizing, base, renamesDone: 0)
        let large = resizing.layouts.to
        // Read clean, the copy would be swapped in as it is.
        #expect(Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base) == .finishResize(large))
        Self.damageStagedSegment(0, base)

        // `journal verify` and `config check` say what the next start will do.
        let note = Journal.pendingResizeNote(directory: "/j", fileSystem: base) ?? ""
        #expect(note.contains("its copy in resize/ is damaged (segment 0 bytes") && note.contains("keeps the journal as it is"), "\(note)")
        #expect(try JournalVerification.run(directory: "/j", fileSystem: base).notes.contains(note))
        guard case .resize(let from, _, let kept, 0, []) = Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base) else {
            Issue.record("plan: \(Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base))")
            return
        }
        #expect(from == resizing.layouts.from && kept == before.count)

        let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base)
        #expect(j.report.fileProblems.contains { $0.contains("its copy was damaged since (segment 0 bytes") }, "\(j.report.fileProblems)")
        #expect(j.report.resized?.hasPrefix("journal resized from \(resizing.rawValue): \(before.count) records kept") == true, "\(j.report.resized ?? "nil")")
        #expect(j.report.corruption.isEmpty, "\(j.report.corruption)")
        #expect(j.nextSeq == next)
        #expect(try ResizeTests.seqsAndPayloadsIntact("/j", base) == before)
        #expect(try JournalLayout.stored(in: "/j", fileSystem: base) == large)
        #expect(!base.exists("/j/resize"))
    }

    @Test("once a segment was swapped in the old journal is gone: the swap is finished and the copy's damage reported, never silent")
    func damagedAfterTheSwapBegan() throws {
        let base = FaultyFileSystem()
        let (before, oldest, next) = try Self.commitThenStop(.moreSegments, base, renamesDone: 1)
        Self.damageStagedSegment(1, base)
        let note = Journal.pendingResizeNote(directory: "/j", fileSystem: base) ?? ""
        #expect(note.contains("was committed but not finished") && note.contains("finishes it"), "\(note)")

        let large = ResizeTests.Resizing.moreSegments.layouts.to
        let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base)
        #expect(j.report.resized?.contains("finished at this start") == true, "\(j.report.resized ?? "nil")")
        #expect(!j.report.corruption.isEmpty, "the damage is reported")
        #expect(j.nextSeq == next)
        let after = try readAll("/j", base)
        #expect(!after.outcome.corruption.isEmpty && Set(after.records.map(\.seq)).isSubset(of: Set(before)))
    }

    @Test("a committed copy's meta file damaged into another valid size, mid-swap: plan and the start refuse, and every record stays")
    func stagedMetaDamagedIntoAnotherSize() throws {
        let base = FaultyFileSystem()
        let (before, oldest, _) = try Self.commitThenStop(.moreSegments, base, renamesDone: 1)
        let large = ResizeTests.Resizing.moreSegments.layouts.to
        let wrong = JournalLayout(directory: "/j/resize", segmentCount: large.segmentCount, segmentSize: large.segmentSize * 2)
        try AtomicFile.write(Array(wrong.metaText.utf8), to: "/j/resize/journal.meta", fileSystem: base)
        guard case .refuse(let why) = Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base) else {
            Issue.record("plan: \(Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base))")
            return
        }
        #expect(why.contains("resize/journal.meta says") && why.contains("the meta file is damaged"), "\(why)")
        let note = Journal.pendingResizeNote(directory: "/j", fileSystem: base) ?? ""
        #expect(note.hasPrefix("the next start refuses to open the journal"), "\(note)")
        #expect(throws: JournalError.self) { try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base) }
        // Refused again the same way, with nothing moved: the copy's meta file put right, the
        // swap finishes and every record is there.
        #expect(throws: JournalError.self) { try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base) }
        try AtomicFile.write(Array(large.moved(to: "/j/resize").metaText.utf8), to: "/j/resize/journal.meta", fileSystem: base)
        let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base)
        #expect(j.report.corruption.isEmpty, "\(j.report.corruption)")
        #expect(try ResizeTests.seqsAndPayloadsIntact("/j", base) == before)
    }

    @Test(
        "a swap finished but its meta file not yet renamed, and resize/ then removed by hand: the old meta file disagrees with every segment, so plan and the start refuse instead of resizing from the wrong size"
    )
    func swappedSegmentsUnderTheOldMeta() throws {
        let base = FaultyFileSystem()
        let (small, large) = ResizeTests.Resizing.fewerLargerSegments.layouts
        let (oldest, _) = try ResizeTests.fill(small, base, count: 600)
        _ = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base)
        let before = try ResizeTests.seqsAndPayloadsIntact("/j", base)
        // The old meta file back in place of the new one: the state the interrupted swap left.
        try AtomicFile.write(Array(small.metaText.utf8), to: "/j/journal.meta", fileSystem: base)
        guard case .refuse(let why) = Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base) else {
            Issue.record("plan: \(Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base))")
            return
        }
        #expect(why.contains("but the segment files were written with \(large.segmentCount) of \(large.segmentSize)"), "\(why)")
        #expect(throws: JournalError.self) { try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base) }
        #expect(throws: JournalError.self) { try Journal(layout: small, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base) }
        try AtomicFile.write(Array(large.metaText.utf8), to: "/j/journal.meta", fileSystem: base)
        #expect(try ResizeTests.seqsAndPayloadsIntact("/j", base) == before)
    }

    @Test(
        "a committed copy's meta file unreadable once its swap began: not taken for an uncommitted copy and thrown away, but refused until it is written again")
    func stagedMetaUnreadableMidSwap() throws {
        let base = FaultyFileSystem()
        let (before, oldest, _) = try Self.commitThenStop(.fewerLargerSegments, base, renamesDone: 1)
        let large = ResizeTests.Resizing.fewerLargerSegments.layouts.to
        try AtomicFile.write(Array("segments=x\n".utf8), to: "/j/resize/journal.meta", fileSystem: base)
        guard case .refuse(let why) = Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base) else {
            Issue.record("plan: \(Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base))")
            return
        }
        #expect(why.contains("had begun its swap") && why.contains("segment_size=\(large.segmentSize)"), "\(why)")
        #expect((Journal.pendingResizeNote(directory: "/j", fileSystem: base) ?? "").contains("had begun its swap"))
        #expect(throws: JournalError.self) { try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base) }
        #expect(base.exists("/j/resize/\(JournalLayout.segmentName(1))"), "the copy's rest is still there")
        try AtomicFile.write(Array(large.moved(to: "/j/resize").metaText.utf8), to: "/j/resize/journal.meta", fileSystem: base)
        let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base)
        #expect(j.report.corruption.isEmpty, "\(j.report.corruption)")
        #expect(try ResizeTests.seqsAndPayloadsIntact("/j", base) == before)
    }

    @Test(
        "a swap interrupted halfway and resize/ then removed by hand: segments of two sizes under the old meta file are refused, not resized from the old size")
    func halfSwappedWithoutItsStaging() throws {
        let base = FaultyFileSystem()
        let (_, oldest, _) = try Self.commitThenStop(.fewerLargerSegments, base, renamesDone: 2)
        for name in try base.list("/j/resize") { try base.remove("/j/resize/\(name)") }
        try base.remove("/j/resize")
        let filesBefore = try Self.contents(of: "/j", base)
        let large = ResizeTests.Resizing.fewerLargerSegments.layouts.to
        guard case .refuse(let why) = Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base) else {
            Issue.record("plan: \(Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base))")
            return
        }
        #expect(why.contains("segments of 8192 and 16384 bytes"), "\(why)")
        #expect(throws: JournalError.self) { try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base) }
        #expect(try Self.contents(of: "/j", base) == filesBefore, "nothing was changed")
    }

    /// Every file in `directory` with its bytes (the lock file's excepted: the start takes it).
    static func contents(of directory: String, _ fs: FileSystem) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in try fs.list(directory) where name != "lock" && fs.exists("\(directory)/\(name)") {
            guard let h = try? fs.openForReading("\(directory)/\(name)") else { continue }
            defer { fs.close(h) }
            out[name] = try fs.read(h, count: try fs.size(h), at: 0)
        }
        return out
    }

    @Test("a segment file far shorter than the layout it is read with is scanned to its end, not probed every 8 bytes of the missing rest with a read each")
    func shortFileScannedToItsEnd() throws {
        let base = FaultyFileSystem()
        let small = JournalLayout.tiny(segments: 4, segmentSize: 8192)
        _ = try ResizeTests.fill(small, base, count: 40)
        let counting = FailingFileSystem(over: base, failAt: .max)
        let h = try counting.openForReading(small.segmentPath(0))
        defer { counting.close(h) }
        let header = try #require(SegmentHeader.decode(try counting.read(h, count: SegmentHeader.size, at: 0)))
        // Read as if its segments were 64 MiB: the file's last 64 MiB - 8 KiB are not there.
        let scanner = SegmentScanner(fileSystem: counting, handle: h, header: header, segmentSize: 64 << 20)
        let readsBefore = counting.reads.withLock { $0 }
        let result = try scanner.scan { _, _ in true }
        #expect(result.count > 0 && result.corruption.isEmpty && !result.dirtyTail)
        // One read per window (a 1 MiB chunk), not one per 8-byte probe (about 8 million).
        #expect(counting.reads.withLock { $0 } - readsBefore < 100)
    }

    @Test(
        "a segment of a half-swapped copy removed from resize/ by hand: verify and plan say the swap is finished without it, and the start reports its records lost"
    )
    func stagedSegmentRemovedMidSwap() throws {
        let base = FaultyFileSystem()
        let (before, oldest, _) = try Self.commitThenStop(.fewerLargerSegments, base, renamesDone: 1)
        let large = ResizeTests.Resizing.fewerLargerSegments.layouts.to
        try base.remove("/j/resize/\(JournalLayout.segmentName(2))")
        let note = Journal.pendingResizeNote(directory: "/j", fileSystem: base) ?? ""
        #expect(note.contains("segment(s) 2 of its copy are missing from resize/") && note.contains("half swapped"), "\(note)")
        #expect(Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base) == .finishResize(large))
        let j = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: base)
        #expect(!j.report.corruption.isEmpty || !j.report.lostSeqs.isEmpty, "the loss is reported")
        let after = try readAll("/j", base)
        #expect(Set(after.records.map(\.seq)).isSubset(of: Set(before)) && after.records.count < before.count)
    }
}
