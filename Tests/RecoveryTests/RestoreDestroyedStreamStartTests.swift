import Testing
import Wire

@testable import Recovery

/// A restart after damage destroyed the record that held the first publications of a stream
/// (a sensor's new boot), while the journal still holds its later ones: nothing earlier of the
/// stream shows a hole, so only the replay knows what the destroyed record held.
@Suite("Restore of a stream whose first publications were destroyed")
struct RestoreDestroyedStreamStartTests {
    typealias Hole = RestoreAfterHoleTests

    /// Sensor `a` in boot 1 (seqs 0-4), then rebooted (boot 2, seqs 0-5), one reading a second.
    static let inputs: [[UInt8]?] =
        (0...4).map { Hole.payload($0, boot: 1, value: 52.0) } + (0...5).map { Hole.payload($0, boot: 2, value: 53.0) } + [nil, nil, nil]

    /// The cleaned messages the restart sends, in order: the unacknowledged ones the journal
    /// still holds with the stand-ins placed among them, then what only the replay made.
    /// `destroyed`: which publications (by boot and seq) damage destroyed; none is acknowledged.
    /// `acknowledged`: the checkpoint, a journal seq.
    /// `inputs`: the live run; `destroyedInput`: which input records (by boot and seq) damage
    /// destroyed as well.
    static func restart(
        destroying destroyed: (CleanedReading) -> Bool, acknowledged: UInt64 = 0, inputs: [[UInt8]?] = inputs,
        destroyedInput: (_ boot: Int, _ seq: Int) -> Bool = { _, _ in false }
    ) throws -> (sent: [CleanedReading], outcome: RestoreScan.Outcome) {
        var lost: [UInt64] = []
        let records = Hole.live(inputs)
        let inputLost = records.enumerated().compactMap { i, r in
            (1...2).contains { boot in (0...9).contains { destroyedInput(boot, $0) && Hole.isInput(r, seq: $0, boot: boot) } } ? UInt64(i + 1) : nil
        }
        var scan = RestoreScan(
            engine: RecoveryEngine(configuration: RestoreReplayTests.configuration), pending: [], inputFrom: 1, publicationsThrough: 0, time: 0,
            acknowledged: acknowledged, lost: (Self.lostSeqs(destroyed, inputs: inputs) + inputLost.map { $0...$0 }).sorted { $0.lowerBound < $1.lowerBound },
            oldest: 1)
        var sent: [Publication] = []
        for (i, r) in records.enumerated() {
            let seq = UInt64(i + 1)
            switch r {
            case .input(let topic, let payload, let time):
                if inputLost.contains(seq) { continue }
                var bytes: [UInt8] = []
                JournalRecords.appendMessage(topic: topic, payload: payload, to: &bytes)
                scan.record(seq: seq, time: time, type: RecordType.message.rawValue, payload: bytes) { sent.append($1) }
            case .tick(let time):
                scan.record(seq: seq, time: time, type: RecordType.tick.rawValue, payload: []) { sent.append($1) }
            case .publication(let p, let time):
                if let m = try? WireJSON.decode(CleanedReading.self, from: p.payload), destroyed(m) {
                    lost.append(seq)
                    continue
                }
                scan.record(seq: seq, time: time, type: RecordType.publication.rawValue, payload: JournalRecords.encodePublication(p)) {
                    sent.append($1)
                }
            }
        }
        #expect(lost == Self.lostSeqs(destroyed, inputs: inputs).map(\.lowerBound), "the scan was told of other records than the ones left out")
        let outcome = scan.finish()
        return (try RestoreReplayTests.cleaned((sent + outcome.toJournal).filter { $0.kind == .cleaned }), outcome)
    }

    /// The journal seqs of the publications `destroyed` picks (`latest/` copies included).
    static func lostSeqs(_ destroyed: (CleanedReading) -> Bool, inputs: [[UInt8]?] = inputs) -> [ClosedRange<UInt64>] {
        Hole.live(inputs).enumerated().compactMap { i, r in
            guard case .publication(let p, _) = r, let m = try? WireJSON.decode(CleanedReading.self, from: p.payload), destroyed(m) else {
                return nil
            }
            return UInt64(i + 1)...UInt64(i + 1)
        }
    }

    @Test(
        "a new boot's seq 0, destroyed with its record, goes out again before the journaled seq 1, once, not after everything the journal resends (drawn seed 4740542 with resizes)"
    )
    func destroyedFirstOfBootSentInPlace() throws {
        let (sent, outcome) = try Self.restart { $0.boot == 2 && $0.seq == 0 }
        #expect(outcome.diverged)
        let bootTwo = sent.filter { $0.boot == 2 }.map { "\($0.seq):\($0.quality.rawValue)" }
        #expect(bootTwo == (0...5).map { "\($0):ok" }, "\(sent.map { "\($0.boot ?? 0)/\($0.seq)" })")
        // Not journaled anew: it goes out in the place of the record that held it.
        #expect(try RestoreReplayTests.cleaned(outcome.toJournal).filter { $0.boot == 2 }.isEmpty)
        #expect(outcome.standIns.values.joined().count == 1)
    }

    @Test("the first two of a new boot destroyed: both go out, in seq order, before the journaled seq 2")
    func destroyedFirstTwoOfBootSentInPlace() throws {
        let (sent, _) = try Self.restart { $0.boot == 2 && $0.seq <= 1 }
        #expect(sent.filter { $0.boot == 2 }.map(\.seq) == Array(0...5), "\(sent.map { "\($0.boot ?? 0)/\($0.seq)" })")
    }

    @Test(
        "a new boot's seq 0 destroyed in a record the broker had acknowledged, with damage after the checkpoint too: the replay's copy is not sent again (consumers hold it, before the later seqs they hold too)"
    )
    func acknowledgedFirstOfBootNotSentAgain() throws {
        // Acknowledged through the records of boot 2's seq 1 (its latest/ copy, then its cleaned/
        // message); boot 2's seq 4 destroyed after them.
        let bootTwoOne = try #require(Self.lostSeqs { $0.boot == 2 && $0.seq == 1 }.last?.upperBound)
        let (sent, outcome) = try Self.restart(destroying: { $0.boot == 2 && ($0.seq == 0 || $0.seq == 4) }, acknowledged: bootTwoOne)
        #expect(outcome.diverged)
        let bootTwo = sent.filter { $0.boot == 2 }.map { "\($0.seq):\($0.quality.rawValue)" }
        #expect(bootTwo == ["2:ok", "3:ok", "4:gap", "5:ok"], "\(sent.map { "\($0.boot ?? 0)/\($0.seq)" })")
        #expect(outcome.standIns.values.joined().allSatisfy { $0.text.contains("journal_damaged") })
    }

    @Test(
        "a new boot's first seqs went out in a record damage destroyed, seq 0 synthetic, with the input of seq 1 it was made from: a journal_damaged gap goes out over the replay's estimates, not estimates other than the ones consumers may hold (aimed finding-8 seed 8,107)"
    )
    func destroyedEstimateStoodInByGap() throws {
        // Boot 2's seq 0 never arrives: it is filled from seq 1 (53.0) and released with seqs 1-3.
        // The replay, without seq 1's input, makes seqs 0 and 1 as estimates from seq 2 (53.4).
        let values = [53.0, 53.4, 53.6, 53.8, 54.0]
        let run: [[UInt8]?] =
            (0...4).map { Hole.payload($0, boot: 1, value: 52.0) } + [nil] + (1...5).map { Hole.payload($0, boot: 2, value: values[$0 - 1]) }
            + [nil, nil, nil, nil, nil]
        let live = Hole.live(run).compactMap(Hole.message).filter { $0.boot == 2 }
        #expect(live.map { "\($0.seq):\($0.quality.rawValue):\($0.temperature ?? 0)" }.prefix(2) == ["0:synthetic:53.0", "1:ok:53.0"])
        let (sent, outcome) = try Self.restart(
            destroying: { $0.boot == 2 && $0.seq <= 3 }, inputs: run, destroyedInput: { boot, seq in boot == 2 && seq == 1 })
        #expect(outcome.diverged)
        let bootTwo = sent.filter { $0.boot == 2 }
        let shown = "\(bootTwo.map { "\($0.seq):\($0.quality.rawValue):\($0.temperature ?? 0)" })"
        // Seqs 2 and 3 are real readings whose input the journal holds: they go out as made.
        #expect(bootTwo.map { "\($0.seq):\($0.quality.rawValue)" } == ["0:gap", "2:ok", "3:ok", "4:ok", "5:ok"], "\(shown)")
        #expect(bootTwo.first?.reason == ResendHoles.reason && bootTwo.first?.toSeq == 1, "\(shown)")
        #expect(!bootTwo.contains { $0.quality == .synthetic }, "the replay's own estimate went out over what consumers may hold: \(shown)")
    }

    @Test("with no damage the restart resends the journal as it is, and the replay adds nothing")
    func undamagedJournalUnchanged() throws {
        let (sent, outcome) = try Self.restart { _ in false }
        #expect(!outcome.diverged)
        #expect(outcome.standIns.isEmpty)
        #expect(sent.map { "\($0.boot ?? 0)/\($0.seq)" } == (0...4).map { "1/\($0)" } + (0...5).map { "2/\($0)" })
    }
}
