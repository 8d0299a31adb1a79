import Wire

extension RestoreScan.Outcome {
    /// Takes the broker's retained `latest/` values, read at the restart
    /// (`RecoveryEngine.publishedBeyondJournal`: streams whose output went past the journal).
    /// Of the regenerated publications, withholds those the broker's values show went out
    /// already: `cleaned/` messages of the same boot up to the retained seq (the journal's newest
    /// records, which held them, were lost: an estimate made again could differ from the one
    /// consumers hold), those of an epoch the broker's value shows closed (`closedEpoch`), and
    /// `latest/` values older than the retained one. Returns the streams found past the journal,
    /// with the broker's value.
    public mutating func takeBrokerLatest(
        _ published: [String: RecoveryEngine.PublishedLatest]
    ) -> [(stream: String, value: RecoveryEngine.PublishedLatest)] {
        let ahead = engine.publishedBeyondJournal(published)
        var byStream: [String: RecoveryEngine.PublishedLatest] = [:]
        for (topic, value) in published { if let stream = StreamName(outputTopic: topic) { byStream[stream.key] = value } }
        // Streams found past the journal with a value that says its boot: `closedEpoch`.
        var later: [String: RecoveryEngine.PublishedLatest] = [:]
        for (stream, value) in ahead where value.boot != nil { later[stream] = value }
        if !byStream.isEmpty {
            var kept: [Publication] = []
            var withheld: [String: [(boot: Int64?, seqs: ClosedRange<UInt64>)]] = [:]
            // Each stream's last regenerated `cleaned/` message's time: a stand-in's `from_ts`.
            var lastTs: [String: Int64] = [:]
            for p in toJournal {
                let m = Self.cleaned(p)
                defer { if let m { lastTs[p.topic] = m.ts } }
                let sameEpoch = Self.wentOut(p, m, byStream)
                if let m, sameEpoch?.standIn == false, let gap = Self.standInForRetainedSeq(p, m, byStream, after: lastTs[p.topic]) {
                    // The retained value's own reading: its `latest/` copy leaves before its
                    // `cleaned/` message, so the latter may never have gone out. One
                    // `journal_damaged` gap stands in for it, as INTERFACE section 2 promises
                    // (found by the fault simulator, aimed finding-8 seed 13,085: a kill between
                    // the two, then the record destroyed at rest, and seq 350 skipped unseen).
                    kept.append(gap)
                }
                if let (seqs, standIn) = sameEpoch ?? closedEpoch(p, m, later) {
                    // Nothing of these seqs is to be restated: consumers hold what went out (of a
                    // closed epoch, only while the engine is still in that epoch's boot).
                    // A closed epoch's estimates the engine keeps for late readings
                    // (`ClosedEpochHistory`) are forgotten too: otherwise a late copy of a
                    // reading consumers hold `ok` restated the withheld estimate (aimed
                    // finding-8 seed 681's regression test).
                    let current = sameEpoch != nil || m?.boot == engine.epochBoot(cleanedTopic: p.topic)
                    engine.forgetPublished(topic: p.topic, boot: m?.boot, seqs: seqs, onlyClosedEpoch: !current)
                    withheld[p.topic, default: []].append((m?.boot, seqs))
                    // A `journal_damaged` gap stands in for what was lost: it still goes out
                    // (consumers holding those seqs ignore it for them).
                    if standIn { kept.append(p) } else { withheldPublications += 1 }
                } else if let m, m.quality == .restated, let ranges = withheld[p.topic],
                    ranges.contains(where: { $0.boot == m.boot && $0.seqs.contains(m.seqs.lowerBound) })
                {
                    // A restatement of an estimate withheld above: consumers never got that one.
                    withheldPublications += 1
                } else {
                    kept.append(p)
                }
            }
            toJournal = kept
        }
        toJournal = SupersededLatest.dropped(from: toJournal, floor: engine.latestTimes) { $0 }
        return ahead
    }

    /// What a `cleaned/` message covers, its boot and quality, and whether it is a
    /// `journal_damaged` gap.
    private typealias Covered = (seqs: ClosedRange<UInt64>, boot: Int64?, quality: Quality, damaged: Bool, ts: Int64)

    /// What a regenerated `cleaned/` message covers: from the reading it carries, or (a gap) its
    /// payload, decoded once.
    private static func cleaned(_ p: Publication) -> Covered? {
        guard p.kind == .cleaned else { return nil }
        if let r = p.released { return (r.seq...r.seq, r.boot, r.quality, false, r.ts) }
        guard let m = try? WireJSON.decode(CleanedReading.self, from: p.payload) else { return nil }
        return (m.coveredSeqs, m.boot, m.quality, m.isJournalDamageGap, m.toTs ?? m.ts)
    }

    /// The seqs of `p`, a regenerated non-restated `cleaned/` message, when they lie within what
    /// the broker's retained value of its stream shows published (same boot, up to its seq), and
    /// whether it is a `journal_damaged` gap.
    private static func wentOut(
        _ p: Publication, _ m: Covered?, _ byStream: [String: RecoveryEngine.PublishedLatest]
    ) -> (seqs: ClosedRange<UInt64>, standIn: Bool)? {
        guard let m, let stream = StreamName(outputTopic: p.topic), let value = byStream[stream.key], m.quality != .restated, m.boot == value.boot,
            m.seqs.upperBound <= value.seq
        else { return nil }
        return (m.seqs, m.damaged)
    }

    /// A `journal_damaged` gap for the retained value's own seq, when `p` (withheld as gone out,
    /// `wentOut`) is the reading the broker's retained `latest/` value of its stream copies.
    /// `after`: the time of the stream's message before it.
    private static func standInForRetainedSeq(
        _ p: Publication, _ m: Covered, _ byStream: [String: RecoveryEngine.PublishedLatest], after: Int64?
    ) -> Publication? {
        guard let name = StreamName(outputTopic: p.topic), let value = byStream[name.key], m.seqs == value.seq...value.seq,
            m.quality != .gap
        else { return nil }
        return GapNotice.journalDamaged(
            on: p.topic, sensorID: name.sensorID, seqs: value.seq...value.seq, fromTs: min(after ?? value.ts, value.ts), toTs: value.ts,
            boot: value.boot)
    }

    /// The seqs of `p`, a regenerated non-restated `cleaned/` message, when it is of an epoch the
    /// broker's retained value of its stream shows closed (`later`: the streams
    /// `publishedBeyondJournal` found past the journal): the value is of another boot than `p`
    /// and no older. The engine that published the value was in its epoch then, and had closed
    /// `p`'s epoch before it, publishing everything it held (`SensorState.closeEpoch`); `latest/`
    /// only moves to a later `ts`, so nothing that went out of the closed epochs was newer (and a
    /// reading of another boot no later than its epoch's newest is too late, never published
    /// after it). `p`'s seqs went out then, in a form the destroyed records no longer show, and an
    /// estimate made again could differ from the one consumers hold (found by the fault
    /// simulator, aimed finding-8 seed 681: boot 3 seq 74, published `ok`, its input and
    /// publication destroyed with boot 4's first readings; the replay closed boot 3 at a later
    /// reading of boot 4, whose retained value on the broker was past the restored engine, and its
    /// `synthetic` for seq 74 went out). Without `boot` the epochs cannot be told apart: not
    /// withheld.
    private func closedEpoch(
        _ p: Publication, _ m: Covered?, _ later: [String: RecoveryEngine.PublishedLatest]
    ) -> (seqs: ClosedRange<UInt64>, standIn: Bool)? {
        guard let m, m.quality != .restated, let boot = m.boot, let stream = StreamName(outputTopic: p.topic), let value = later[stream.key],
            let valueBoot = value.boot, boot != valueBoot, m.ts <= value.ts
        else { return nil }
        return (m.seqs, m.damaged)
    }
}
