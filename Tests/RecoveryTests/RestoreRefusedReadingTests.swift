import Testing
import Wire

@testable import Recovery

/// A restart after damage destroyed input records of a new sensor's first turn, where the live
/// engine started the stream at seq 1 and dead-lettered seq 0 `too_late`: the journal's dead
/// letter is the live verdict, so the replay must not start the stream below it.
@Suite("Restore of a stream whose refused reading the replay would have taken")
struct RestoreRefusedReadingTests {
    static let start = RestoreReplayTests.start
    static let topic = "sensors/a/temperature"

    static func payload(_ seq: Int) -> [UInt8] { RestoreReplayTests.payload(seq) }

    struct Record {
        var type: RecordType
        var time: Int64
        var payload: [UInt8]
        var destroyed = false
    }

    /// Turns of the live run, by time after `start`: seq 1 first seen, seq 3, then at the end of
    /// the first-sight hold (2 s) seqs 6, 2 and 0 in one turn. Seq 6 starts the stream at 1 (the
    /// hold is over), 2 releases 1-3, and 0 comes too late (aimed finding-8 seed 9,980).
    static let turns: [(at: Int64, seqs: [Int])] = [(0, [1]), (1000, [3]), (2000, [6, 2, 0]), (3000, []), (6000, [])]

    /// The live journal: each turn's inputs, a tick when due, and the turn's publications in one
    /// record, as the gateway journals them; the input records of `destroyed` (by seq) are marked.
    static func journal(destroyingInputs destroyed: Set<Int>) -> (records: [Record], live: [Publication]) {
        var engine = RecoveryEngine(configuration: RestoreReplayTests.configuration)
        var records: [Record] = []
        var live: [Publication] = []
        for turn in turns {
            let now = start + turn.at
            var out: [Publication] = []
            for seq in turn.seqs {
                engine.ingest(topic: topic, payload: payload(seq), receivedAt: now, into: &out)
                var bytes: [UInt8] = []
                JournalRecords.appendMessage(topic: topic, payload: payload(seq), to: &bytes)
                records.append(Record(type: .message, time: now, payload: bytes, destroyed: destroyed.contains(seq)))
            }
            if let due = engine.nextDeadline(), due <= now {
                records.append(Record(type: .tick, time: now, payload: []))
                engine.tick(now: now, into: &out)
            }
            if !out.isEmpty {
                var bytes: [UInt8] = []
                let (taken, _) = JournalRecords.appendPublicationBatch(out[...], maxBytes: 1 << 20, to: &bytes)
                #expect(taken == out.count)
                records.append(Record(type: .publication, time: now, payload: bytes))
            }
            live += out
        }
        return (records, live)
    }

    @Test(
        "seq 0 dead-lettered too_late beside the journaled 1-3, the inputs that started the stream at 1 destroyed: the restart sends no seq 0, whether the replay started the stream at 0 first or still held it unstarted",
        arguments: [[6, 2], [1, 6, 2]])
    func refusedReadingNotSent(destroyedInputs: [Int]) throws {
        let (records, live) = Self.journal(destroyingInputs: Set(destroyedInputs))
        let liveCleaned = try RestoreReplayTests.cleaned(live)
        #expect(liveCleaned.map(\.seq).prefix(3) == [1, 2, 3], "\(liveCleaned.map(\.seq))")
        #expect(live.contains { $0.kind == .deadLetter && $0.text.contains("too_late") && $0.text.contains("\\\"seq\\\":0,") })
        let lost = records.indices.filter { records[$0].destroyed }.map { UInt64($0 + 1)...UInt64($0 + 1) }
        var scan = RestoreScan(
            engine: RecoveryEngine(configuration: RestoreReplayTests.configuration), pending: [], inputFrom: 1, publicationsThrough: 0, time: 0,
            acknowledged: 0, lost: lost, oldest: 1)
        var sent: [Publication] = []
        for (i, r) in records.enumerated() where !r.destroyed {
            scan.record(seq: UInt64(i + 1), time: r.time, type: r.type.rawValue, payload: r.payload) { sent.append($1) }
        }
        let outcome = scan.finish()
        #expect(outcome.diverged)
        let out = try RestoreReplayTests.cleaned(sent + outcome.toJournal)
        let shown = "\(out.map { "\($0.seq):\($0.quality.rawValue)" })"
        #expect(!out.contains { $0.seq == 0 }, "the replay's seq 0 went out, below the stream consumers hold: \(shown)")
        #expect(out.filter { $0.quality == .ok }.map(\.seq).prefix(3) == [1, 2, 3], "\(shown)")
        // The replay's engine took the live verdict: seq 0 again is refused, not published.
        var engine = outcome.engine
        var again: [Publication] = []
        engine.ingest(topic: Self.topic, payload: Self.payload(0), receivedAt: Self.start + 7000, into: &again)
        #expect(try RestoreReplayTests.cleaned(again).isEmpty, "\(again.map(\.text))")
        if destroyedInputs.contains(1) {
            // Unstarted when the journal's dead letter came, the stream started at 1 as it did
            // live: a copy of seq 0 is dead-lettered as the live engine would, not a duplicate.
            #expect(again.contains { $0.kind == .deadLetter && $0.text.contains("too_late") }, "\(again.map(\.text))")
        }
    }
}
