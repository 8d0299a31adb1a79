import FaultSimulation
import Foundation
import Testing
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
        #expect(Journal.plan(layout: large, resizeKeepingFrom: oldest, fileSystem: base) == .open)
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
}
