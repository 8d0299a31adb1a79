import FaultSimulation
import Foundation
import Testing
@testable import Journal

/// Readers find where to start for a receive time from each segment's first record.
@Suite("Journal reader: starting at a receive time")
struct ReaderStartTests {
    @Test("the start skips whole segments of earlier records and never one holding a later record")
    func skipsEarlierSegments() throws {
        let fs = FaultyFileSystem()
        let layout = JournalLayout.tiny(segments: 8)
        let journal = try Journal(layout: layout, fsync: .always, fileSystem: fs)
        for seq in UInt64(1)...600 {
            _ = try journal.append(type: 1, time: Int64(seq) * 10, payload: payload(for: seq))
            try journal.commit(now: Int64(seq))
        }
        let reader = try JournalReader(directory: layout.directory, fileSystem: fs)
        #expect(reader.segmentsInUse > 3)
        let (all, _) = try readAll(layout.directory, fs)
        for time in stride(from: Int64(0), through: 6_100, by: 250) {
            let (oldest, start) = try reader.start(receivedFrom: time)
            #expect(oldest == all.first?.seq)
            let startSeq = try #require(start)
            // Nothing at or after `time` lies before the start...
            #expect(all.filter { $0.time >= time }.allSatisfy { $0.seq >= startSeq }, "time \(time): start \(startSeq)")
            // ...and the start is no more than one segment's worth before the first such record.
            if let firstWanted = all.first(where: { $0.time >= time }), let o = oldest, firstWanted.seq > o {
                let before = all.filter { $0.seq >= startSeq && $0.seq < firstWanted.seq }.count
                #expect(before < layout.segmentSize / 20, "time \(time): \(before) records read for nothing")
            }
        }
        // Empty journal: nothing to start from.
        let emptyFS = FaultyFileSystem()
        _ = try Journal(layout: layout, fsync: .always, fileSystem: emptyFS)
        let empty = try JournalReader(directory: layout.directory, fileSystem: emptyFS)
        let nothing = try empty.start(receivedFrom: 100)
        #expect(nothing.oldestSeq == nil && nothing.startSeq == nil)
    }
}
