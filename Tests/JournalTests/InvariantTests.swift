import FaultSimulation
import Foundation
import Testing
@testable import Journal

/// The journal's invariant checks, each driven to fire: a bug in a caller's bookkeeping must be
/// refused, never written.
@Suite("Journal invariants")
struct InvariantTests {
    @Test("a checkpoint ahead of what is written, or moving back, is refused and not stored")
    func checkpoint() throws {
        let fs = FaultyFileSystem()
        let j = try Journal(layout: .tiny(), fsync: .interval, fileSystem: fs)
        for seq in UInt64(1)...5 { try j.append(type: 1, time: Int64(seq), payload: payload(for: seq)) }
        try j.sync()
        try j.storeCheckpoint(3)
        #expect(throws: JournalError.self) { try j.storeCheckpoint(6) }
        #expect(throws: JournalError.self) { try j.storeCheckpoint(2) }
        #expect(j.checkpoint.value == 3)
        try j.storeCheckpoint(5)
        #expect(j.checkpoint.value == 5)
        #expect(!j.isPoisoned, "a refused checkpoint is a hint refused, not a failure of the files")
    }

    @Test("a sync said to cover records this journal has not written is refused and poisons nothing it did not cover")
    func syncPastWritten() throws {
        let fs = FaultyFileSystem()
        let longer = try Journal(layout: .tiny("/a"), fsync: .interval, fileSystem: fs)
        let shorter = try Journal(layout: .tiny("/b"), fsync: .interval, fileSystem: fs)
        for seq in UInt64(1)...5 { try longer.append(type: 1, time: Int64(seq), payload: payload(for: seq)) }
        try shorter.append(type: 1, time: 1, payload: payload(for: 1))
        let pending = try #require(try longer.beginSync())
        try pending.run()
        do {
            try shorter.finishSync(pending, failure: nil)
            Issue.record("finishing another journal's sync was accepted")
        } catch JournalError.invariantViolated(let what) {
            #expect(what.contains("past the last written"), "\(what)")
        }
        #expect(shorter.durableSeq == 0)
    }

    @Test("the durable position only moves forward when syncs finish out of order")
    func outOfOrderSyncs() throws {
        let fs = FaultyFileSystem()
        let j = try Journal(layout: .tiny(), fsync: .interval, fileSystem: fs)
        try j.append(type: 1, time: 1, payload: payload(for: 1))
        let first = try #require(try j.beginSync())
        try j.append(type: 1, time: 2, payload: payload(for: 2))
        let second = try #require(try j.beginSync())
        try second.run()
        try j.finishSync(second, failure: nil)
        try first.run()
        try j.finishSync(first, failure: nil)
        #expect(j.durableSeq == 2)
    }

    @Test("reclaiming a segment that holds a record at or after the retention point is refused")
    func reclaim() throws {
        #expect(throws: JournalError.self) { try Journal.checkReclaim(lastSeq: 10, retainFrom: 10) }
        #expect(throws: JournalError.self) { try Journal.checkReclaim(lastSeq: 11, retainFrom: 10) }
        try Journal.checkReclaim(lastSeq: 9, retainFrom: 10)
        try Journal.checkReclaim(lastSeq: 9, retainFrom: nil)
    }

    @Test("a failed sync run outside the lock poisons the journal and is thrown, and the position stays")
    func failedSync() throws {
        let fs = FaultyFileSystem()
        let j = try Journal(layout: .tiny(), fsync: .interval, fileSystem: fs)
        try j.append(type: 1, time: 1, payload: payload(for: 1))
        let pending = try #require(try j.beginSync())
        let failure = FileSystemError(operation: "fdatasync", path: "/j/segment-0000.log", code: EIO, message: "I/O error")
        #expect(throws: JournalError.io(failure)) { try j.finishSync(pending, failure: failure) }
        #expect(j.isPoisoned)
        #expect(j.durableSeq == 0)
    }
}
