import Testing
import Wire
@testable import Recovery

/// A restart's replay over a journal with records destroyed in its middle (finding 8 of the
/// fault simulator): what the journal shows went out stays as it went out.
@Suite("Restore replay across a hole in the journal")
struct RestoreAfterHoleTests {
    typealias Record = RestoreReplayTests.Record
    static let start = RestoreReplayTests.start

    static func payload(_ seq: Int, boot: Int, value: Double) -> [UInt8] {
        Array("{\"seq\":\(seq),\"ts\":\(start + Int64(boot * 100 + seq) * 1000),\"temperature\":\(value),\"status\":\"normal\",\"boot\":\(boot)}".utf8)
    }

    /// A live run of sensor `a`, one step a second: `inputs[step]` is the reading sent then (nil:
    /// none), journaled as the gateway does (input, a tick when due, the turn's publications).
    static func live(_ inputs: [[UInt8]?]) -> [Record] {
        var engine = RecoveryEngine(configuration: RestoreReplayTests.configuration)
        var journal: [Record] = []
        for (step, input) in inputs.enumerated() {
            let now = start + Int64(step) * 1000
            var out: [Publication] = []
            if let input {
                journal.append(.input(topic: "sensors/a/temperature", payload: input, time: now))
                engine.ingest(topic: "sensors/a/temperature", payload: input, receivedAt: now, into: &out)
            }
            if let due = engine.nextDeadline(), due <= now {
                journal.append(.tick(time: now))
                engine.tick(now: now, into: &out)
            }
            journal += out.map { .publication($0, time: now) }
        }
        return journal
    }

    static func isInput(_ r: Record, seq: Int, boot: Int = 1) -> Bool {
        guard case .input(_, let p, _) = r else { return false }
        return String(decoding: p, as: UTF8.self).hasPrefix("{\"seq\":\(seq),") && String(decoding: p, as: UTF8.self).contains("\"boot\":\(boot)}")
    }

    static func message(_ r: Record) -> CleanedReading? {
        guard case .publication(let p, _) = r, p.kind == .cleaned else { return nil }
        return try? WireJSON.decode(CleanedReading.self, from: p.payload)
    }

    @Test(
        "a synthetic the journal holds, which the replay does not make (the input that opened its gap destroyed), is the engine's own: a late real reading restates it, even with the broker's latest/ past the engine (aimed finding-8 seed 274)"
    )
    func journaledSyntheticAdopted() throws {
        // Seq 5 never arrives; 6 opens the gap, and the tick at 8 s publishes synthetic 5, then 6-8.
        let inputs: [[UInt8]?] = (0..<9).map { $0 == 5 ? nil : RestoreReplayTests.payload($0) }
        var journal = Self.live(inputs)
        #expect(journal.contains { Self.message($0).map { $0.seq == 5 && $0.quality == .synthetic } ?? false })
        // The crash comes right after; damage at rest destroys the input record of seq 6.
        journal.removeAll { Self.isInput($0, seq: 6) }
        let (replay, toJournal) = RestoreReplayTests.replay(journal)
        #expect(replay.diverged)
        #expect(try RestoreReplayTests.cleaned(toJournal).isEmpty, "\(toJournal.map(\.text))")
        // The broker's retained latest/ shows seq 8 out.
        var engine = replay.engine
        let latest = try #require(RestoreReplayTests.journaled(journal).last { $0.kind == .latest })
        #expect(engine.publishedBeyondJournal([latest.topic: .init(seq: 8, ts: Self.start + 8000, boot: 1)]).isEmpty)
        var out: [Publication] = []
        engine.ingest(topic: "sensors/a/temperature", payload: RestoreReplayTests.payload(5), receivedAt: Self.start + 9000, into: &out)
        let restated = try RestoreReplayTests.cleaned(out)
        #expect(restated.map(\.seq) == [5])
        #expect(restated.first?.quality == .restated)
        #expect(restated.first?.supersedes == "synthetic")
    }

    /// A restart's scan (`RestoreScan`) of the live journal of `inputs`, numbered from 1, with a
    /// hole: seq 5's first input and its publications (cleaned/, latest/), none acknowledged.
    static func scanWithHoleAtFive(_ inputs: [[UInt8]?]) -> RestoreScan.Outcome {
        var lost: [UInt64] = []
        var records: [(seq: UInt64, time: Int64, type: RecordType, payload: [UInt8])] = []
        var firstFive = true
        for (i, r) in live(inputs).enumerated() {
            let seq = UInt64(i + 1)
            switch r {
            case .input(let topic, let payload, let time):
                if isInput(r, seq: 5), firstFive {
                    firstFive = false
                    lost.append(seq)
                } else {
                    var bytes: [UInt8] = []
                    JournalRecords.appendMessage(topic: topic, payload: payload, to: &bytes)
                    records.append((seq, time, .message, bytes))
                }
            case .tick(let time): records.append((seq, time, .tick, []))
            case .publication(let p, let time):
                if (try? WireJSON.decode(CleanedReading.self, from: p.payload))?.seq == 5 {
                    lost.append(seq)
                } else {
                    records.append((seq, time, .publication, JournalRecords.encodePublication(p)))
                }
            }
        }
        var scan = RestoreScan(
            engine: RecoveryEngine(configuration: RestoreReplayTests.configuration), pending: [], inputFrom: 1, publicationsThrough: 0, time: 0,
            acknowledged: 0, lost: lost.map { $0...$0 }, oldest: 1)
        for r in records { scan.record(seq: r.seq, time: r.time, type: r.type.rawValue, payload: r.payload) { _, _ in } }
        return scan.finish()
    }

    @Test(
        "an estimate the replay makes for a seq whose input and unacknowledged publication were destroyed is withheld for the journal_damaged stand-in and forgotten: a late real reading is a duplicate, not a restatement (aimed finding-8 seed 162 with measurement worlds)"
    )
    func stoodInEstimateForgotten() throws {
        let outcome = Self.scanWithHoleAtFive((0..<10).map { RestoreReplayTests.payload($0) })
        #expect(outcome.diverged)
        #expect(outcome.standIns.values.joined().contains { (try? WireJSON.decode(CleanedReading.self, from: $0.payload))?.seq == 5 })
        // Seq 5's reading comes again (a duplicate, a resend answer): consumers hold its ok or the stand-in.
        var engine = outcome.engine
        var out: [Publication] = []
        engine.ingest(topic: "sensors/a/temperature", payload: RestoreReplayTests.payload(5), receivedAt: Self.start + 40_000, into: &out)
        #expect(try RestoreReplayTests.cleaned(out).isEmpty, "\(out.map(\.text))")
    }

    @Test(
        "a restatement the replay makes of such an estimate, from a later copy of the reading in the journal, is withheld too: consumers hold what the destroyed record held, perhaps ok (aimed finding-8 seed 428)"
    )
    func stoodInEstimateNotRestated() throws {
        var inputs: [[UInt8]?] = (0..<10).map { RestoreReplayTests.payload($0) }
        inputs += [nil, nil, RestoreReplayTests.payload(5), nil]
        let outcome = Self.scanWithHoleAtFive(inputs)
        #expect(outcome.diverged)
        #expect(try RestoreReplayTests.cleaned(outcome.toJournal).filter { $0.seq == 5 }.isEmpty, "\(outcome.toJournal.map(\.text))")
    }

    @Test(
        "a stream whose publications after the checkpoint were all destroyed, with none of its earlier ones left in the journal: the broker's retained latest/ shows how far it went out, and one journal_damaged gap covers what the snapshot's engine released past it, instead of those seqs being skipped (aimed finding-8 seed 446)",
        arguments: [false, true])
    func destroyedPublicationsPastRetainedLatest(retainedOfEarlierEpoch: Bool) throws {
        // The engine the snapshot holds: seqs 0-11 ok, 12 never came (synthetic), 13-15 ok.
        var engine = RecoveryEngine(configuration: RestoreReplayTests.configuration)
        var published: [Publication] = []
        for seq in 0...15 where seq != 12 {
            engine.ingest(
                topic: "sensors/a/temperature", payload: RestoreReplayTests.payload(seq), receivedAt: Self.start + Int64(seq) * 1000, into: &published)
        }
        for time in [Self.start + 16_000, Self.start + 20_000] { engine.tick(now: time, into: &published) }
        #expect(try RestoreReplayTests.cleaned(published).map(\.seq) == Array(0...15))
        // Every publication of `a` went into records the ring reclaimed (0-11, acknowledged) or
        // that damage destroyed after the checkpoint (12-15): the journal holds none of them, and
        // the broker's retained latest/ shows seq 11 (or, of an epoch before this one, nothing
        // this epoch published).
        var scan = RestoreScan(
            engine: engine, pending: [], inputFrom: 41, publicationsThrough: 40, time: Self.start + 20_000, acknowledged: 30, lost: [31...40],
            oldest: 31)
        scan.record(seq: 41, time: Self.start + 21_000, type: RecordType.tick.rawValue, payload: []) { _, _ in }
        let retained: RecoveryEngine.PublishedLatest =
            retainedOfEarlierEpoch ? .init(seq: 11, ts: Self.start + 11_000, boot: 0) : .init(seq: 11, ts: Self.start + 11_000, boot: 1)
        var outcome = scan.finish(retained: ["latest/a/temperature": retained])
        let gaps = try RestoreReplayTests.cleaned(outcome.toJournal)
        if retainedOfEarlierEpoch {
            #expect(gaps.isEmpty, "\(outcome.toJournal.map(\.text))")
            return
        }
        // From the retained seq 11 itself: its cleaned/ message leaves after its latest/ copy,
        // so it may not have gone out (aimed finding-8 seed 8,664); consumers holding it keep theirs.
        #expect(gaps.map { "\($0.seq):\($0.quality.rawValue):\($0.toSeq ?? 0):\($0.reason ?? "-")" } == ["11:gap:15:journal_damaged"])
        #expect(outcome.holesGapped == 1)
        // The sensor answers the resend of 12 later: consumers hold the stand-in, or the
        // synthetic if the destroyed record reached them, so it restates; a copy of 13 is a duplicate.
        var out: [Publication] = []
        outcome.engine.ingest(topic: "sensors/a/temperature", payload: RestoreReplayTests.payload(12), receivedAt: Self.start + 22_000, into: &out)
        outcome.engine.ingest(topic: "sensors/a/temperature", payload: RestoreReplayTests.payload(13), receivedAt: Self.start + 22_000, into: &out)
        #expect(try RestoreReplayTests.cleaned(out).map { "\($0.seq):\($0.quality.rawValue)" } == ["12:restated"])
    }

    @Test(
        "a synthetic the journal holds past where the restored stream stands (destroyed records before it left the stream behind) is noted as published: with the broker's latest/ past it, a late real reading restates it instead of being dropped as a duplicate (aimed finding-8 seed 147)"
    )
    func journaledSyntheticAheadNoted() throws {
        var h = Harness()
        for seq in 0...2 { h.send("a", seq: seq, boot: 1) }
        h.advance(3000)
        // Seq 3's records were destroyed: the stream waits for it, holding 4.
        h.send("a", seq: 4, boot: 1)
        let synthetic = try WireJSON.decode(
            CleanedReading.self,
            from: Array(
                #"{"sensor_id":"a","seq":5,"ts":1795660005000,"temperature":52.0,"status":"normal","quality":"synthetic","method":"linear","boot":1}"#
                    .utf8))
        var out: [Publication] = []
        h.engine.adoptJournaledEstimate(topic: "cleaned/a/temperature", synthetic, at: h.now, into: &out)
        #expect(out.isEmpty)
        // The broker's retained latest/ shows seq 6 out.
        let ahead = h.engine.publishedBeyondJournal(["latest/a/temperature": .init(seq: 6, ts: Self.start + 6000, boot: 1)])
        #expect(ahead.map(\.stream) == ["a"])
        let restated = h.send("a", seq: 5, boot: 1).cleaned
        #expect(restated.map { "\($0.seq ?? -1):\($0.quality ?? "?")" } == ["5:restated"])
        #expect(restated.first?.json["supersedes"] as? String == "synthetic")
    }

    @Test(
        "an epoch the journal shows closed (it holds the next boot's messages) is not published again by the replay when a hole destroyed its last publications: its corrected value made again without its right-hand neighbour would differ (aimed finding-8 seed 201)"
    )
    func closedEpochNotRepublished() throws {
        // Boot 1: 0-2, 3 out of range, 4 (its right-hand neighbour); then boot 2 from 0.
        var inputs: [[UInt8]?] = [0, 1, 2].map { Self.payload($0, boot: 1, value: 52.0 + Double($0)) }
        inputs += [Self.payload(3, boot: 1, value: 80.5), Self.payload(4, boot: 1, value: 52.0)]
        inputs += (0..<4).map { Self.payload($0, boot: 2, value: 51.5) }
        let journal = Self.live(inputs)
        let corrected = try #require(journal.compactMap(Self.message).first { $0.quality == .corrected })
        #expect(corrected.seq == 3)
        // A hole: the input of seq 4 and every publication of boot 1's seqs 3 and 4.
        let damaged = journal.filter { r in
            if Self.isInput(r, seq: 4) { return false }
            if let m = Self.message(r), m.boot == 1, m.seq >= 3 { return false }
            if case .publication(let p, _) = r, p.kind == .latest, let m = try? WireJSON.decode(CleanedReading.self, from: p.payload), m.boot == 1,
                m.seq >= 3
            {
                return false
            }
            return true
        }
        let (replay, toJournal) = RestoreReplayTests.replay(damaged)
        #expect(replay.diverged)
        // Made again with only its left-hand neighbour, seq 3 would go out with another value.
        #expect(try RestoreReplayTests.cleaned(toJournal).filter { $0.boot == 1 }.isEmpty, "\(toJournal.map(\.text))")
    }

    @Test(
        "an epoch the journal shows closed is not published again by the replay also when the next boot's first reading was destroyed too, so the replay has released nothing of that boot yet (aimed finding-8 seed 299)"
    )
    func closedEpochNotRepublishedBeforeNextBootReleases() throws {
        // Boot 1: 0-4, all ok; then boot 2 from 0.
        var inputs: [[UInt8]?] = (0...4).map { Self.payload($0, boot: 1, value: 52.0 + Double($0)) }
        inputs += (0...2).map { Self.payload($0, boot: 2, value: 51.5) }
        let journal = Self.live(inputs)
        // A hole: the input of boot 1's seq 3 and its publications after it, and the input of
        // boot 2's seq 0 and its publications. Boot 2's seqs 1 and 2 are journaled.
        let damaged = journal.filter { r in
            if Self.isInput(r, seq: 3) || Self.isInput(r, seq: 0, boot: 2) { return false }
            guard case .publication(let p, _) = r, p.kind == .cleaned || p.kind == .latest,
                let m = try? WireJSON.decode(CleanedReading.self, from: p.payload)
            else { return true }
            return !((m.boot == 1 && m.seq >= 3) || (m.boot == 2 && m.seq == 0))
        }
        let (replay, toJournal) = RestoreReplayTests.replay(damaged)
        #expect(replay.diverged)
        // Boot 2 waits for its seq 0; boot 1 was closed before boot 2's messages went out, so
        // its seq 3, made again as synthetic, is withheld.
        #expect(try RestoreReplayTests.cleaned(toJournal).filter { $0.boot == 1 }.isEmpty, "\(toJournal.map(\.text))")
    }

    @Test(
        "the broker's retained latest/ of a later boot than an epoch the replay made output of again, newer than anything the restored engine published, shows that epoch closed, whether or not the replay went on to the later boot: what the replay made of it again is withheld (an estimate for a seq whose input was destroyed could differ from the ok consumers hold), and a late copy of such a reading is not published; a retained value of an earlier epoch withholds nothing (aimed finding-8 seed 681)",
        arguments: [(true, false), (true, true), (false, false)])
    func epochClosedByRetainedLaterBoot(laterBoot: Bool, nextBootJournaled: Bool) throws {
        // Boot 1's seqs 0-2 and 4 journaled; seq 3's input and everything after it (its ok, the
        // next boot's readings, every publication) destroyed by the cut, none acknowledged. The
        // journal's tick fills seq 3.
        var records: [(seq: UInt64, time: Int64, type: RecordType, payload: [UInt8])] = []
        for (i, seq) in [0, 1, 2, 4].enumerated() {
            var bytes: [UInt8] = []
            JournalRecords.appendMessage(topic: "sensors/a/temperature", payload: Self.payload(seq, boot: 1, value: 52.0), to: &bytes)
            records.append((UInt64(i + 1), Self.start + Int64(i) * 100, .message, bytes))
        }
        records.append((5, Self.start + 10_000, .tick, []))  // the stream starts
        records.append((6, Self.start + 20_000, .tick, []))  // seq 3's wait is over
        if nextBootJournaled {
            // Boot 2's seq 0 journaled too (its earlier seqs destroyed): it closes boot 1 in the replay.
            var bytes: [UInt8] = []
            JournalRecords.appendMessage(topic: "sensors/a/temperature", payload: Self.payload(0, boot: 2, value: 52.0), to: &bytes)
            records.append((7, Self.start + 20_500, .message, bytes))
        }
        var scan = RestoreScan(
            engine: RecoveryEngine(configuration: RestoreReplayTests.configuration), pending: [], inputFrom: 1, publicationsThrough: 0, time: 0,
            acknowledged: 0, lost: [8...40], oldest: 1)
        for r in records { scan.record(seq: r.seq, time: r.time, type: r.type.rawValue, payload: r.payload) { _, _ in } }
        var outcome = scan.finish()
        let remade = try RestoreReplayTests.cleaned(outcome.toJournal).filter { $0.boot == 1 }
        #expect(remade.map { "\($0.seq):\($0.quality.rawValue)" } == ["0:ok", "1:ok", "2:ok", "3:synthetic", "4:ok"])
        // The broker's retained latest/: boot 2's seq 1 (it went out, so boot 1 was closed
        // before it), or a value of boot 0, older than anything this engine published.
        let retained: RecoveryEngine.PublishedLatest =
            laterBoot ? .init(seq: 1, ts: Self.start + 201_000, boot: 2) : .init(seq: 9, ts: Self.start - 60_000, boot: 0)
        let ahead = outcome.takeBrokerLatest(["latest/a/temperature": retained])
        let left = try RestoreReplayTests.cleaned(outcome.toJournal)
        guard laterBoot else {
            #expect(ahead.isEmpty)
            #expect(left.map(\.seq) == [0, 1, 2, 3, 4])
            return
        }
        #expect(ahead.map(\.stream) == ["a"])
        #expect(left.filter { $0.boot == 1 }.isEmpty, "\(outcome.toJournal.map(\.text))")
        // Seq 3's reading comes again (a resend answer): consumers hold its ok.
        var out: [Publication] = []
        outcome.engine.ingest(
            topic: "sensors/a/temperature", payload: Self.payload(3, boot: 1, value: 52.0), receivedAt: Self.start + 20_000, into: &out)
        #expect(try RestoreReplayTests.cleaned(out).isEmpty, "\(out.map(\.text))")
    }

    @Test(
        "a reading published ok whose input and publication a hole destroyed is not restated by the replay when a later copy of it is journaled: the replay's wider gap over it is withheld, and so is the restatement it made of that gap (aimed finding-8 seed 70)"
    )
    func copyOfDestroyedReadingNotRestated() throws {
        // Seqs 0-5, then a jump to 701 (its gap of 695 seqs is one gap message), and at 12 s a
        // copy of seq 5 (a duplicate in the live run).
        var inputs: [[UInt8]?] = (0...5).map { RestoreReplayTests.payload($0) }
        inputs += [RestoreReplayTests.payload(701), RestoreReplayTests.payload(702), nil, nil, nil, nil, RestoreReplayTests.payload(5), nil]
        var journal = Self.live(inputs)
        #expect(journal.compactMap(Self.message).contains { $0.quality == .gap && $0.coveredSeqs == 6...700 })
        // A hole: the first input of seq 5 and its publications (cleaned/ and latest/).
        let first = try #require(journal.firstIndex { Self.isInput($0, seq: 5) })
        journal.remove(at: first)
        journal.removeAll { r in
            guard case .publication(let p, _) = r, p.kind == .cleaned || p.kind == .latest else { return false }
            return (try? WireJSON.decode(CleanedReading.self, from: p.payload))?.seq == 5
        }
        let (replay, toJournal) = RestoreReplayTests.replay(journal)
        #expect(replay.diverged)
        // Without seq 5 the replay's gap is 5-700, withheld (it covers seqs the journal's gap
        // covered); the copy of 5 restated it, over a seq consumers may hold as ok.
        #expect(try RestoreReplayTests.cleaned(toJournal).filter { $0.seq == 5 }.isEmpty, "\(toJournal.map(\.text))")
    }
}
