import Testing
import Wire

@testable import Recovery

/// A publication record destroyed at rest while the broker had not acknowledged it (issue 29,
/// drawn seed 2746): the restart owes a flagged `gap` for its seqs instead of skipping them.
@Suite("Resend holes left by a destroyed publication")
struct ResendHolesTests {
    static let start: Int64 = 1_795_660_000_000

    static func cleaned(_ sensor: String, _ seq: UInt64) -> Publication {
        let payload =
            "{\"sensor_id\":\"\(sensor)\",\"seq\":\(seq),\"ts\":\(start + Int64(seq) * 1000),\"temperature\":52.1,\"status\":\"normal\",\"quality\":\"ok\",\"boot\":1}"
        return Publication(kind: .cleaned, topic: "cleaned/\(sensor)/temperature", payload: Array(payload.utf8))
    }

    /// Two sensors' publications, seqs 0-9 each, interleaved, at journal positions 1-20.
    static var journal: [(position: UInt64, publication: Publication)] {
        var out: [(position: UInt64, publication: Publication)] = []
        for seq in UInt64(0)..<10 {
            out.append((2 * seq + 1, cleaned("a", seq)))
            out.append((2 * seq + 2, cleaned("b", seq)))
        }
        return out
    }

    /// Walks the journal without the records at `destroyed`; the gaps made, each with the
    /// position of the publication it goes before (nil: a regenerated one).
    static func walk(
        destroyed: Set<UInt64>, lost: [ClosedRange<UInt64>], acknowledged: UInt64, regenerated: [Publication] = []
    ) -> [(
        before: UInt64?, text: String
    )] {
        var holes = ResendHoles(lost: lost, acknowledged: acknowledged)
        var gaps: [(UInt64?, String)] = []
        for (position, p) in journal where !destroyed.contains(position) {
            if let gap = holes.next(p, at: position) { gaps.append((position, gap.message.text)) }
        }
        for p in regenerated {
            if let gap = holes.next(p, at: nil) { gaps.append((nil, gap.message.text)) }
        }
        #expect(holes.made == gaps.count)
        return gaps
    }

    @Test("a destroyed publication after the checkpoint: one gap for its seq, flagged journal_damaged, before the stream's next message")
    func gapBeforeTheNextMessage() {
        // Position 9 is sensor a's seq 4; the checkpoint is at 6.
        let gaps = Self.walk(destroyed: [9], lost: [9...9], acknowledged: 6)
        #expect(gaps.count == 1)
        #expect(gaps.first?.before == 11)
        #expect(
            gaps.first?.text
                == "{\"sensor_id\":\"a\",\"seq\":4,\"ts\":1795660003000,\"quality\":\"gap\",\"from_seq\":4,\"to_seq\":4,\"from_ts\":1795660003000,\"to_ts\":1795660005000,\"boot\":1,\"reason\":\"journal_damaged\"}"
        )
    }

    @Test("two destroyed records in a row: one gap spanning both seqs of the stream hit")
    func runOfDestroyedRecords() {
        // Positions 9-12: a 4, b 4, a 5, b 5.
        let gaps = Self.walk(destroyed: [9, 10, 11, 12], lost: [9...12], acknowledged: 2)
        #expect(gaps.map(\.before) == [13, 14])
        #expect(gaps.map { $0.text.contains("\"from_seq\":4,\"to_seq\":5") } == [true, true])
    }

    @Test(
        "a stream whose earlier publications the journal no longer holds is held against where the snapshot released it: a jump with a destroyed record between owes the gap (measurement worlds seed 4801975: seq 119 skipped)"
    )
    func firstJournaledPublicationAfterTheSnapshot() {
        // The snapshot (publications through position 2) had released sensor a through seq 3;
        // positions 3-8 (a 4-6) are destroyed, and a's first publication the walk sees is seq 7.
        let snapshot: [String: RecoveryEngine.Released] = ["cleaned/a/temperature": (boot: 1, seq: 3, ts: Self.start + 3000)]
        func gaps(_ released: [String: RecoveryEngine.Released], lost: [ClosedRange<UInt64>]) -> [String] {
            var holes = ResendHoles(lost: lost, acknowledged: 2, released: released, releasedAt: 2)
            return [Self.cleaned("a", 7), Self.cleaned("a", 8)].enumerated().compactMap { i, p in holes.next(p, at: 15 + UInt64(i))?.message.text }
        }
        #expect(gaps(snapshot, lost: [3...8]).map { $0.contains("\"from_seq\":4,\"to_seq\":6") } == [true])
        // Without the snapshot's point, or with no destroyed record after it, or in another boot: none.
        #expect(gaps([:], lost: [3...8]).isEmpty)
        #expect(gaps(snapshot, lost: [16...16]).isEmpty)
        #expect(gaps(["cleaned/a/temperature": (boot: 2, seq: 3, ts: Self.start + 3000)], lost: [3...8]).isEmpty)
    }

    @Test(
        "a stream's first publications destroyed in a record the snapshot covers: one gap from where the snapshot's epoch began up to the first one the journal holds, never when that one was acknowledged, the damage came after it, or the snapshot's epoch is another (seed 4740542's case with the snapshot taken after it)"
    )
    func firstPublicationsDestroyedUnderTheSnapshot() {
        // The snapshot covers publications through position 20 and released a through seq 9, its
        // epoch (boot 1) begun at seq 0; position 1 (a's seq 0) is destroyed.
        let released: [String: RecoveryEngine.Released] = ["cleaned/a/temperature": (boot: 1, seq: 9, ts: Self.start + 9000)]
        func gaps(starts: [String: RecoveryEngine.StreamStart], lost: [ClosedRange<UInt64>], acknowledged: UInt64 = 0) -> [String] {
            var holes = ResendHoles(lost: lost, acknowledged: acknowledged, released: released, releasedAt: 20, starts: starts)
            return Self.journal.filter { $0.position != 1 }.compactMap { holes.next($0.publication, at: $0.position)?.message.text }
        }
        let bootOne: [String: RecoveryEngine.StreamStart] = ["cleaned/a/temperature": (boot: 1, seq: 0)]
        #expect(
            gaps(starts: bootOne, lost: [1...1])
                == [
                    "{\"sensor_id\":\"a\",\"seq\":0,\"ts\":1795660001000,\"quality\":\"gap\",\"from_seq\":0,\"to_seq\":0,\"from_ts\":1795660001000,\"to_ts\":1795660001000,\"boot\":1,\"reason\":\"journal_damaged\"}"
                ])
        #expect(gaps(starts: [:], lost: [1...1]).isEmpty)
        #expect(gaps(starts: ["cleaned/a/temperature": (boot: 2, seq: 0)], lost: [1...1]).isEmpty)
        #expect(gaps(starts: ["cleaned/a/temperature": (boot: 1, seq: 1)], lost: [1...1]).isEmpty)
        // Acknowledged through a's seq 1 (position 3): it and all before it reached the broker.
        #expect(gaps(starts: bootOne, lost: [1...4], acknowledged: 3).isEmpty)
        // The damage after a's first journaled publication is another stream's concern.
        #expect(gaps(starts: bootOne, lost: [4...4]).isEmpty)
    }

    @Test("a destroyed record at or below the checkpoint reached the broker: no gap")
    func acknowledgedDamageOwesNothing() {
        #expect(Self.walk(destroyed: [9], lost: [9...9], acknowledged: 9).isEmpty)
        #expect(!ResendHoles(lost: [3...9], acknowledged: 9).needed)
        #expect(ResendHoles(lost: [3...10], acknowledged: 9).needed)
    }

    @Test("no damage, or damage elsewhere than between a stream's messages: no gap")
    func continuousStreamsOweNothing() {
        #expect(Self.walk(destroyed: [], lost: [], acknowledged: 0).isEmpty)
        // A destroyed record past every publication shows no hole in them.
        #expect(Self.walk(destroyed: [], lost: [30...31], acknowledged: 0).isEmpty)
    }

    @Test("a stream's last journaled message destroyed: the gap goes before its next regenerated one")
    func gapBeforeARegeneratedMessage() {
        let gaps = Self.walk(destroyed: [19], lost: [19...19], acknowledged: 0, regenerated: [Self.cleaned("a", 10)])
        #expect(gaps.count == 1)
        #expect(gaps.first?.before == nil)
        #expect(gaps.first?.text.contains("\"from_seq\":9,\"to_seq\":9") == true)
        // What the destroyed record held may have gone out: a reading of 9 is no restatement.
        var holes = ResendHoles(lost: [19...19], acknowledged: 0)
        for (position, p) in Self.journal where position != 19 { _ = holes.next(p, at: position) }
        #expect(holes.next(Self.cleaned("a", 10), at: nil)?.neverPublished == false)
    }

    @Test(
        "a regenerated message past seqs that neither the journal nor the replay published, with the damage before the stream's last journaled one: a gap never published before, which a reading restates (aimed finding-8 seed 17864)"
    )
    func regeneratedSkipAfterEarlierDamage() {
        // Damage at position 3 only (a's seq 1 there, and what else the replay lost with it); a's
        // last journaled message is seq 9 at position 19, and the replay's next is seq 12.
        var holes = ResendHoles(lost: [3...3], acknowledged: 0)
        var journaled: [ResendHoles.Owed] = []
        for (position, p) in Self.journal where position != 3 {
            if let owed = holes.next(p, at: position) { journaled.append(owed) }
        }
        #expect(journaled.map(\.seqs) == [1...1], "the destroyed publication's own gap")
        #expect(journaled.first?.neverPublished == false)
        let owed = holes.next(Self.cleaned("a", 12), at: nil)
        #expect(owed?.seqs == 10...11 && owed?.boot == 1 && owed?.neverPublished == true)
        #expect(owed?.message.text.contains("\"from_seq\":10,\"to_seq\":11") == true && owed?.message.text.contains("journal_damaged") == true)
        // No damage at all: a regenerated stream that skips is not this walk's to gap.
        var undamaged = ResendHoles(lost: [], acknowledged: 0)
        for (position, p) in Self.journal { _ = undamaged.next(p, at: position) }
        #expect(undamaged.next(Self.cleaned("a", 12), at: nil) == nil)
    }
}
