import Testing
import Wire
@testable import Recovery

/// A restart's replay across a hole whose own estimates or epochs differ from the journal's
/// (finding 8 of the fault simulator, aimed seeds 341, 1854, 1910): what the journal shows went
/// out decides what a late reading restates, and what is sent again.
@Suite("Restore replay: the journal's estimates and epochs stand")
struct RestoreJournaledEstimateTests {
    typealias Record = RestoreReplayTests.Record
    static let start = RestoreReplayTests.start
    static let topic = "sensors/a/temperature"

    /// A live run of sensor `a`, one step a second: `steps[i]` are the readings read then,
    /// journaled as the gateway does (the input, a tick when due, the turn's publications).
    static func live(_ steps: [[[UInt8]]], engine: RecoveryEngine, from first: Int = 0) -> (journal: [Record], engine: RecoveryEngine) {
        var engine = engine
        var journal: [Record] = []
        for (i, inputs) in steps.enumerated() {
            let now = start + Int64(first + i) * 1000
            var out: [Publication] = []
            for input in inputs {
                journal.append(.input(topic: topic, payload: input, time: now))
                engine.ingest(topic: topic, payload: input, receivedAt: now, into: &out)
            }
            if let due = engine.nextDeadline(), due <= now {
                journal.append(.tick(time: now))
                engine.tick(now: now, into: &out)
            }
            journal += out.map { .publication($0, time: now) }
        }
        return (journal, engine)
    }

    /// `journal` with a hole: boot 1's seq 5, its input and its publications (published `ok`,
    /// acknowledged), destroyed.
    static func destroyingBoot1Seq5(_ journal: [Record]) -> [Record] {
        journal.filter { r in
            if RestoreAfterHoleTests.isInput(r, seq: 5) { return false }
            guard case .publication(let p, _) = r, p.kind == .cleaned || p.kind == .latest,
                let m = try? WireJSON.decode(CleanedReading.self, from: p.payload)
            else { return true }
            return !(m.boot == 1 && m.seq == 5)
        }
    }

    /// Replays `journal` over `engine` as `RestoreScan` does: the engine's own deadlines run at
    /// each record's time once the replay has diverged (`RestoreReplay.advance`).
    static func replay(_ journal: [Record], engine: RecoveryEngine) -> (RestoreReplay, [Publication]) {
        var replay = RestoreReplay(engine: engine)
        for record in journal {
            switch record {
            case .input(let topic, let payload, let time):
                replay.advance(to: time)
                replay.input(topic: topic, payload: payload, receivedAt: time)
            case .tick(let time):
                replay.advance(to: time)
                replay.tick(at: time)
            case .publication(let p, let time):
                replay.advance(to: time)
                replay.journaled(p, at: time)
            }
        }
        let toJournal = replay.finish()
        return (replay, toJournal)
    }

    static func isInput(_ r: Record, seq: Int) -> Bool {
        guard case .input(_, let p, _) = r else { return false }
        return String(decoding: p, as: UTF8.self).hasPrefix("{\"seq\":\(seq),")
    }

    static func isPublication(_ r: Record, seq: Int, quality: Quality) -> Bool {
        guard case .publication(let p, _) = r, p.kind == .cleaned || p.kind == .latest,
            let m = try? WireJSON.decode(CleanedReading.self, from: p.payload)
        else { return false }
        return m.seq == seq && m.quality == quality
    }

    static func text(_ m: CleanedReading) -> String { "\(m.seq):\(m.quality.rawValue):\(m.supersedes ?? "-")" }

    @Test(
        "a replay whose deadline ran before a reading the live gateway read first makes a gap where the journal holds a synthetic: a late real reading restates the synthetic consumers hold, not the replay's gap (aimed finding-8 seed 1854)"
    )
    func restatesTheJournalsEstimate() throws {
        var configuration = RestoreReplayTests.configuration
        configuration.maxFill = 1
        let p = { (seq: Int) in RestoreReplayTests.payload(seq) }
        // Seqs 5 and 6 are late; 7 opens the wait, 6 arrives in the turn its wait ends, so the
        // live gateway fills only 5 (synthetic). 5 arrives at 12 s and restates it.
        let steps: [[[UInt8]]] = [[p(0)], [p(1)], [p(2)], [p(3)], [p(4)], [], [], [p(7)], [p(8)], [p(6)], [], [], [p(5)], []]
        var journal = Self.live(steps, engine: RecoveryEngine(configuration: configuration)).journal
        let live = journal.compactMap { r -> CleanedReading? in
            guard case .publication(let p, _) = r, p.kind == .cleaned else { return nil }
            return try? WireJSON.decode(CleanedReading.self, from: p.payload)
        }
        #expect(live.filter { $0.seq == 5 }.map(Self.text) == ["5:synthetic:-", "5:restated:synthetic"])
        // Damage at rest: seq 3's input (the replay diverges there) and the record of the
        // restatement of 5, which consumers got.
        journal.removeAll { Self.isInput($0, seq: 3) || Self.isPublication($0, seq: 5, quality: .restated) }
        let (replay, toJournal) = Self.replay(journal, engine: RecoveryEngine(configuration: configuration))
        #expect(replay.diverged)
        // The replay's wait for 5 ended before it read 6: a gap over 5-6, withheld (the journal
        // holds synthetic 5 and ok 6). Its restatement of 5 is what consumers hold.
        let remade = try RestoreReplayTests.cleaned(toJournal).filter { $0.seq == 5 || $0.seq == 6 }
        #expect(remade.map(Self.text) == ["5:restated:synthetic"], "\(toJournal.map(\.text))")
    }

    @Test(
        "the journal_damaged gap a stream publishes after a restart whose journal lost output stays restatable when the next restart's replay, without the input that ended its wait, did not make it: a late real reading restates it (aimed finding-8 seed 341)"
    )
    func lostOutputGapStaysRestatable() throws {
        // Before the first restart: seqs 0-4 published.
        var engine = RecoveryEngine(configuration: RestoreReplayTests.configuration)
        var out: [Publication] = []
        for seq in 0...4 {
            engine.ingest(topic: Self.topic, payload: RestoreReplayTests.payload(seq), receivedAt: Self.start + Int64(seq) * 1000, into: &out)
        }
        engine.tick(now: Self.start + 5000, into: &out)
        #expect(try RestoreReplayTests.cleaned(out).map(\.seq) == [0, 1, 2, 3, 4])
        // The first restart found the journal's end lost: the stream's next gap is one
        // journal_damaged gap. The snapshot holds this engine.
        engine.journalLostOutput(latestRead: true)
        let snapshot = engine
        // Seq 5 is lost on the network; 6 ends the wait.
        let run = Self.live([[RestoreReplayTests.payload(6)], [], []], engine: snapshot, from: 6)
        var journal = run.journal
        let gap = try #require(RestoreReplayTests.cleaned(RestoreReplayTests.journaled(journal)).first { $0.seq == 5 })
        #expect(gap.quality == .gap && gap.isJournalDamageGap)
        // Live, seq 5 arriving later restates the gap.
        var liveEngine = run.engine
        out = []
        liveEngine.ingest(topic: Self.topic, payload: RestoreReplayTests.payload(5), receivedAt: Self.start + 10_000, into: &out)
        #expect(try RestoreReplayTests.cleaned(out).map(Self.text) == ["5:restated:gap"])
        // The second restart: damage destroyed the input of 6.
        journal.removeAll { Self.isInput($0, seq: 6) }
        let (replay, toJournal) = Self.replay(journal, engine: snapshot)
        #expect(replay.diverged)
        #expect(try RestoreReplayTests.cleaned(toJournal).isEmpty, "\(toJournal.map(\.text))")
        // Seq 5 arrives: consumers hold only the gap.
        var restored = replay.engine
        out = []
        restored.ingest(topic: Self.topic, payload: RestoreReplayTests.payload(5), receivedAt: Self.start + 10_000, into: &out)
        #expect(try RestoreReplayTests.cleaned(out).map(Self.text) == ["5:restated:gap"], "\(out.map(\.text))")
    }

    @Test(
        "an epoch the journal shows closed by a later boot's messages is not published again when the replay went on to a third boot it has released nothing of: an estimate for a seq whose input and ok publication a hole destroyed is withheld (aimed finding-8 seed 1910)"
    )
    func epochClosedBeforeABootBetween() throws {
        // Boot 1: 0-9; boot 2: 0-2; boot 3's seq 1 read last, waiting for its seq 0.
        var inputs: [[UInt8]?] = (0...9).map { RestoreAfterHoleTests.payload($0, boot: 1, value: 52.0) }
        inputs += (0...2).map { RestoreAfterHoleTests.payload($0, boot: 2, value: 51.5) }
        inputs.append(RestoreAfterHoleTests.payload(1, boot: 3, value: 51.0))
        let journal = RestoreAfterHoleTests.live(inputs)
        // A hole: boot 1's seq 5, its input and its publications (published ok, acknowledged).
        let damaged = Self.destroyingBoot1Seq5(journal)
        let (replay, toJournal) = RestoreReplayTests.replay(damaged)
        #expect(replay.diverged)
        #expect(replay.engine.epochBoot(cleanedTopic: "cleaned/a/temperature") == 3)
        // Boot 1 was closed before boot 2's messages went out: its seq 5, made again as
        // synthetic, is withheld, though the journal holds nothing of boot 3.
        #expect(try RestoreReplayTests.cleaned(toJournal).filter { $0.boot == 1 }.isEmpty, "\(toJournal.map(\.text))")
    }

    @Test(
        "the replay's estimate of a closed epoch's seq, withheld as that epoch went out before, is forgotten: a late copy of the reading, published ok before a hole destroyed it, is not restated over it (aimed finding-8 seed 17472)"
    )
    func closedEpochEstimateWithheldIsForgotten() throws {
        // Boot 1: 0-9; boot 2: 0-4.
        var inputs: [[UInt8]?] = (0...9).map { RestoreAfterHoleTests.payload($0, boot: 1, value: 52.0) }
        inputs += (0...4).map { RestoreAfterHoleTests.payload($0, boot: 2, value: 51.5) }
        let journal = RestoreAfterHoleTests.live(inputs)
        // A hole: boot 1's seq 5, its input and its publications (published ok, acknowledged).
        let damaged = Self.destroyingBoot1Seq5(journal)
        let (replay, toJournal) = RestoreReplayTests.replay(damaged)
        #expect(replay.diverged)
        #expect(try RestoreReplayTests.cleaned(toJournal).filter { $0.boot == 1 }.isEmpty, "\(toJournal.map(\.text))")
        // A network copy of boot 1's seq 5 after the restart: consumers hold it ok.
        var restored = replay.engine
        var out: [Publication] = []
        restored.ingest(topic: Self.topic, payload: RestoreAfterHoleTests.payload(5, boot: 1, value: 52.0), receivedAt: Self.start + 60_000, into: &out)
        #expect(try RestoreReplayTests.cleaned(out).isEmpty, "\(out.map(\.text))")
    }

    @Test(
        "a start without its snapshot rebuilds the engine from a journal holding a journal_damaged gap an earlier start put out (the broker's latest/ showed those seqs out): the replay's own estimates for them are forgotten, so a late reading for one is a duplicate, not restated over a synthetic never published (found black-box, 42nd review)"
    )
    func estimatesUnderAJournaledDamageGapForgotten() throws {
        let configuration = RestoreReplayTests.configuration
        let p = { (seq: Int) in RestoreReplayTests.payload(seq) }
        // Run A: seqs 0-9.
        let a = Self.live((0...9).map { [p($0)] }, engine: RecoveryEngine(configuration: configuration))
        // Run C, on run A's folder put back: the broker's latest/ shows 10-19 out (a run B whose
        // records the folder lacks), so the jump to 25 is one journal_damaged gap.
        var engine = a.engine
        _ = engine.publishedBeyondJournal(["latest/a/temperature": .init(seq: 19, ts: Self.start + 19_000, boot: 1)])
        let c = Self.live((25...30).map { [p($0)] } + [[], [], []], engine: engine, from: 40)
        let damaged = c.journal.contains { r in
            guard case .publication(let pub, _) = r, let m = try? WireJSON.decode(CleanedReading.self, from: pub.payload) else { return false }
            return m.isJournalDamageGap && m.coveredSeqs == 10...24
        }
        #expect(damaged, "run C must put out the journal_damaged gap 10-24")
        // The snapshot deleted: the whole journal replayed into a new engine.
        let (replay, _) = Self.replay(a.journal + c.journal, engine: RecoveryEngine(configuration: configuration))
        var late: [Publication] = []
        var rebuilt = replay.engine
        rebuilt.ingest(topic: Self.topic, payload: p(12), receivedAt: Self.start + 60_000, into: &late)
        let cleaned = try RestoreReplayTests.cleaned(late)
        #expect(cleaned.isEmpty, "\(cleaned.map(Self.text))")
        #expect(rebuilt.counters.duplicates == 1)
    }
}
