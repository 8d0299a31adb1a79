import Foundation
import Testing
import TestSupport

@testable import Journal

/// Journal files that are not regular files on a real file system (found by the 55th
/// black-box review): a FIFO blocked every open of it, and with it a start (deaf to SIGTERM),
/// `config check` and `journal verify`; a symbolic link leading nowhere was taken for a missing
/// file, whose creation followed the link and failed (exit 74).
@Suite("Journal: a FIFO or a dangling link where a journal file belongs", .timeLimit(.minutes(2)))
struct OddJournalFileTests {
    /// A journal of 100 records in `dir`, closed.
    static func journal(in dir: TemporaryDirectory) throws -> JournalLayout {
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 18, segmentCount: 4)
        let j = try Journal(layout: layout, fsync: .always)
        for seq in 1...100 { try j.append(type: 1, time: Int64(seq), payload: [UInt8](repeating: 7, count: 500)) }
        try j.commit(now: 0)
        return layout
    }

    @Test("a FIFO as a segment file: verify names it, the start moves it aside and opens, nothing waits on it", arguments: [false, true])
    func fifoSegment(danglingLinkInstead: Bool) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try Self.journal(in: dir)
        let odd = layout.segmentPath(3)
        try FileManager.default.removeItem(atPath: odd)
        if danglingLinkInstead {
            try FileManager.default.createSymbolicLink(atPath: odd, withDestinationPath: dir.file("nowhere/x"))
        } else {
            #expect(mkfifo(odd, 0o644) == 0)
        }
        let verification = try JournalVerification.run(directory: layout.directory)
        #expect(verification.problems.contains { $0.contains("segment file segment-0003.log cannot be used") }, "\(verification.problems)")
        let j = try Journal(layout: layout, fsync: .always)
        #expect(j.report.records == 100)
        #expect(j.report.setAside.contains { $0.hasPrefix(odd + ".damaged-") }, "\(j.report.setAside)")
    }

    @Test("a FIFO as the lock file: config check's probe does not wait on it, and the writer still takes its lock")
    func fifoLock() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try Self.journal(in: dir)
        try FileManager.default.removeItem(atPath: layout.lockPath)
        #expect(mkfifo(layout.lockPath, 0o644) == 0)
        #expect(!layout.isHeldByWriter())
        #expect(try JournalVerification.run(directory: layout.directory).records == 100)
        let j = try Journal(layout: layout, fsync: .always)
        #expect(j.report.records == 100)
        #expect(layout.isHeldByWriter())
    }
}
