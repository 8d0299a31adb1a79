import Journal
import Recovery
import Testing
import TestSupport
@testable import Gateway

/// What a resize at start keeps (found by a black-box test: a shrink after a crash kept only what
/// followed the acknowledged checkpoint, dropping acknowledged input no snapshot covered yet).
@Suite("What a journal resize keeps")
struct JournalOpeningTests {
    @Test("a shrink keeps the input the snapshot does not cover, and everything without a snapshot; no resize keeps the checkpoint rule")
    func keepFrom() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let big = try JournalLayout(directory: dir.file("journal"), maxBytes: 64 << 20)
        do {
            let journal = try Journal(layout: big, fsync: .never)
            for seq in 1...100 { try journal.append(type: 1, time: Int64(seq), payload: [UInt8](repeating: 7, count: 50)) }
            try journal.sync()
            try journal.checkpoint.store(90)
        }
        let small = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 20)
        var snapshot = EngineSnapshot(inputFrom: 40, publicationsThrough: 89, engine: RecoveryEngine(configuration: EngineConfiguration()), pending: [])
        #expect(JournalOpening.keepFrom(small, snapshot: { snapshot }) == 40)
        snapshot = EngineSnapshot(inputFrom: 95, publicationsThrough: 99, engine: RecoveryEngine(configuration: EngineConfiguration()), pending: [])
        #expect(JournalOpening.keepFrom(small, snapshot: { snapshot }) == 91)
        #expect(JournalOpening.keepFrom(small, snapshot: { nil }) == 1)
        // The same size: no resize, so the snapshot is not even asked for.
        #expect(
            JournalOpening.keepFrom(
                big,
                snapshot: {
                    Issue.record("asked for the snapshot"); return nil
                }) == 91)
    }
}
