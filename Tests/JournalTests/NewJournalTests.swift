import Foundation
import Testing
import FaultSimulation
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
        "a new journal the disk cannot hold is refused as a setting and leaves no half-made journal: the next start creates it whole (found black-box: exit 74 and 6 of 16 segments left, then reported as damage)",
        arguments: 0..<40)
    func diskFullWhileCreating(failAfter: Int) throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 16, segmentSize: 8192)
        fs.failWrite(after: failAfter, code: ENOSPC)
        do {
            _ = try Journal(layout: layout, fsync: .always, fileSystem: fs)
            fs.disarm()
        } catch JournalError.invalidConfiguration(let why) {
            #expect(why.contains("needs \(16 * 8192) bytes of disk") && why.contains("no segment was kept"), "\(why)")
            let left = try fs.list("/j").filter { $0.hasPrefix("segment-") || $0 == "journal.meta" }
            #expect(left.isEmpty, "after \(failAfter): \(left)")
        }
        fs.disarm()
        let reopened = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        #expect(
            reopened.report.fileProblems.isEmpty && reopened.report.corruption.isEmpty,
            "after \(failAfter): \(reopened.report.fileProblems) \(reopened.report.corruption)")
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
