import Foundation
import Journal
import Testing
import TestSupport

/// A disk with room for the journal's segments but not for its small files (the checkpoint, a
/// resize's summary and meta file): found black-box, 85th review, the start failed as an I/O
/// error (exit 74, restarted) and left its files behind, so every restart failed the same way.
@Suite("A full disk and the journal's small files")
struct FullDiskSmallFilesTests {
    static func isDiskFullRefusal(_ error: any Error) -> Bool {
        guard case JournalError.invalidConfiguration(let why) = error else { return false }
        return why.contains("disk is full")
    }

    @Test("a new journal whose checkpoint does not fit: refused as a setting, and nothing is left but the folder and its lock")
    func checkpointDoesNotFit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 2 << 20)
        let full = FullDiskFileSystem(over: POSIXFileSystem()) { $0.hasSuffix("/checkpoint") }
        #expect {
            try Journal(layout: layout, fsync: .always, fileSystem: full)
        } throws: { Self.isDiskFullRefusal($0) }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.file("journal")).filter { !$0.hasSuffix(".lock") && $0 != "lock" }
        #expect(left.isEmpty, "\(left)")
        // With room, the next start creates it whole.
        let journal = try Journal(layout: layout, fsync: .always)
        #expect(journal.report.created && journal.report.corruption.isEmpty)
    }

    @Test("a resize whose copy fits and whose summary or meta file does not: refused as a setting, the copy removed, the old journal as it was")
    func resizeSmallFilesDoNotFit() throws {
        for file in ["resize.summary.tmp", "journal.meta.tmp"] {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let small = try JournalLayout(directory: dir.file("journal"), maxBytes: 2 << 20)
            let oldest: UInt64 = try {
                let writer = try Journal(layout: small, fsync: .always)
                for i in 1...300 { _ = try writer.append(type: 1, time: Int64(i), payload: Array("reading \(i)".utf8)) }
                try writer.commit(now: 0)
                return try #require(writer.oldestSeq)
            }()
            let large = try JournalLayout(directory: dir.file("journal"), maxBytes: 4 << 20)
            let full = FullDiskFileSystem(over: POSIXFileSystem()) { $0.hasSuffix("/resize/\(file)") }
            do {
                _ = try Journal(layout: large, fsync: .always, resizeKeepingFrom: oldest, fileSystem: full)
                Issue.record("the resize went through with \(file) unwritable")
            } catch {
                #expect(Self.isDiskFullRefusal(error), "\(file): \(error)")
            }
            #expect(!FileManager.default.fileExists(atPath: dir.file("journal/resize")), "\(file): the partial copy stays")
            let reopened = try Journal(layout: small, fsync: .always)
            #expect(reopened.report.corruption.isEmpty && reopened.report.records == 300, "\(file): \(reopened.report.corruption)")
        }
    }
}
