import Wire

extension RestoreScan.Outcome {
    /// Takes the broker's retained `latest/` values, read at the restart
    /// (`RecoveryEngine.publishedBeyondJournal`: streams whose output went past the journal).
    /// Of the regenerated publications, withholds those the broker's values show went out
    /// already: `cleaned/` messages of the same boot up to the retained seq (the journal's newest
    /// records, which held them, were lost: an estimate made again could differ from the one
    /// consumers hold) and `latest/` values older than the retained one. Returns the streams
    /// found past the journal, with the broker's value.
    public mutating func takeBrokerLatest(
        _ published: [String: RecoveryEngine.PublishedLatest]
    ) -> [(stream: String, value: RecoveryEngine.PublishedLatest)] {
        var byStream: [String: RecoveryEngine.PublishedLatest] = [:]
        for (topic, value) in published { if let stream = StreamName(outputTopic: topic) { byStream[stream.key] = value } }
        if !byStream.isEmpty {
            var kept: [Publication] = []
            var withheld: [String: [ClosedRange<UInt64>]] = [:]
            for p in toJournal {
                let m = Self.cleaned(p)
                if let (seqs, standIn) = Self.wentOut(p, m, byStream) {
                    // Nothing of these seqs is to be restated: consumers hold what went out.
                    engine.forgetPublished(topic: p.topic, seqs: seqs)
                    withheld[p.topic, default: []].append(seqs)
                    // A `journal_damaged` gap stands in for what was lost: it still goes out
                    // (consumers holding those seqs ignore it for them).
                    if standIn { kept.append(p) } else { withheldPublications += 1 }
                } else if let m, m.quality == .restated, let ranges = withheld[p.topic], ranges.contains(where: { $0.contains(m.seqs.lowerBound) }) {
                    // A restatement of an estimate withheld above: consumers never got that one.
                    withheldPublications += 1
                } else {
                    kept.append(p)
                }
            }
            toJournal = kept
        }
        let ahead = engine.publishedBeyondJournal(published)
        toJournal = SupersededLatest.dropped(from: toJournal, floor: engine.latestTimes) { $0 }
        return ahead
    }

    /// What a `cleaned/` message covers, its boot and quality, and whether it is a
    /// `journal_damaged` gap.
    private typealias Covered = (seqs: ClosedRange<UInt64>, boot: Int64?, quality: Quality, damaged: Bool)

    /// What a regenerated `cleaned/` message covers: from the reading it carries, or (a gap) its
    /// payload, decoded once.
    private static func cleaned(_ p: Publication) -> Covered? {
        guard p.kind == .cleaned else { return nil }
        if let r = p.released { return (r.seq...r.seq, r.boot, r.quality, false) }
        guard let m = try? WireJSON.decode(CleanedReading.self, from: p.payload) else { return nil }
        return (m.coveredSeqs, m.boot, m.quality, m.isJournalDamageGap)
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
}
