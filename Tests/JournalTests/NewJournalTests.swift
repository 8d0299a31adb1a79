import Foundation
import Testing
import TestSupport
@testable import Journal

/// A brand-new journal is not a damaged one (issue 28, found black-box: a first start logged a
/// "segment missing" warning for each of its 16 segments).
@Suite("A new journal")
struct NewJournalTests {
    @Test("creating a journal in an empty folder reports no file problems; a segment missing later still is one")
    func createdIsNotMissing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 20, segmentCount: 16)
        do {
            let j = try Journal(layout: layout, fsync: .always)
            #expect(j.report.fileProblems.isEmpty, "\(j.report.fileProblems)")
            #expect(!j.report.needsAttention)
            try j.append(type: 1, time: 1, payload: [1, 2, 3])
            try j.commit(now: 0)
        }
        try FileManager.default.removeItem(atPath: layout.segmentPath(5))
        let reopened = try Journal(layout: layout, fsync: .always)
        #expect(reopened.report.fileProblems == ["segment file segment-0005.log is missing; opening creates it"])
    }

    @Test(
        "a first start killed while creating the segment files (some empty, the rest missing, no checkpoint) is not damage: nothing was written, and seqs start at 1"
    )
    func firstStartKilledWhileCreating() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 20, segmentCount: 16)
        do { _ = try Journal(layout: layout, fsync: .always) }
        for i in 0..<3 { try Data().write(to: URL(fileURLWithPath: layout.segmentPath(i))) }
        for i in 3..<16 { try FileManager.default.removeItem(atPath: layout.segmentPath(i)) }
        try? FileManager.default.removeItem(atPath: layout.checkpointPath)
        let reopened = try Journal(layout: layout, fsync: .always)
        #expect(reopened.report.corruption.isEmpty, "\(reopened.report.corruption)")
        #expect(!reopened.report.needsAttention)
        #expect(reopened.nextSeq == 1)
    }
}
