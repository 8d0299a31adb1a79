import Wire

/// The seqs a diverged replay found already published in the journal (`RestoreReplay`), per
/// cleaned topic and boot, the aggregate windows with their revisions, and the newest `latest/`
/// time of each topic: what a regenerated message must not contradict or repeat.
struct JournaledCoverage {
    private struct Stream: Hashable {
        var topic: String
        var boot: Int64?
    }

    private struct Cover {
        var seqs: ClosedRange<UInt64>
        var quality: CleanedReading.Quality
        /// A `journal_damaged` gap: it stands for output that may have gone out in any form, so
        /// a reading for its seqs later is a duplicate, never a restatement (INTERFACE section 2).
        var damaged = false
    }

    /// Non-restated messages (each seq once) and restatements, as published.
    private var covers: [Stream: [Cover]] = [:]
    private var restated: [Stream: Set<UInt64>] = [:]
    /// The latest revision published of each aggregate window, by topic and window start.
    private var windows: [String: [Int64: Int]] = [:]
    /// The newest `ts` published on each `latest/` topic.
    private var latest: [String: Int64] = [:]
    /// The boots each cleaned topic published in (matched or not): an epoch the journal reached.
    private var epochs: Set<Stream> = []
    /// Seqs dead-lettered `too_late`: the stream had started above them, so none went out.
    private var refused: [Stream: Set<UInt64>] = [:]

    mutating func add(refused seq: UInt64, topic: String, boot: Int64?) { refused[Stream(topic: topic, boot: boot), default: []].insert(seq) }

    mutating func add(topic: String, _ m: CleanedReading) {
        let stream = Stream(topic: topic, boot: m.boot)
        if m.quality == .restated {
            restated[stream, default: []].insert(m.seq)
        } else {
            covers[stream, default: []].append(Cover(seqs: m.coveredSeqs, quality: m.quality, damaged: m.isJournalDamageGap))
        }
    }

    mutating func add(topic: String, _ a: AggregateWindowMessage) {
        windows[topic, default: [:]][a.windowStart] = max(windows[topic]?[a.windowStart] ?? a.revision, a.revision)
    }

    mutating func add(epoch boot: Int64, topic: String) { epochs.insert(Stream(topic: topic, boot: boot)) }

    /// Whether the journal holds a cleaned message of `topic` in boot `boot`.
    func journaled(epoch boot: Int64, topic: String) -> Bool { epochs.contains(Stream(topic: topic, boot: boot)) }

    mutating func add(latestOn topic: String, ts: Int64) { latest[topic] = max(latest[topic] ?? ts, ts) }

    /// Whether `latest/` at `ts` on `topic` would go back: not newer than what the journal put there.
    func contradicts(latestOn topic: String, ts: Int64) -> Bool { latest[topic].map { ts <= $0 } ?? false }

    /// Whether the journal already published this aggregate window at this revision or a later
    /// one: a rebuilt engine's figures for it (from part of the window's readings) would
    /// contradict what consumers hold under the same revision.
    func contradicts(topic: String, _ a: AggregateWindowMessage) -> Bool {
        guard let published = windows[topic]?[a.windowStart] else { return false }
        return a.revision <= published
    }

    /// The highest seq the journal covered (a restatement aside) on each cleaned topic in each
    /// boot: where the engine that wrote it had released to.
    func highestCovered() -> [(topic: String, boot: Int64?, seq: UInt64)] {
        covers.compactMap { stream, list in list.map(\.seqs.upperBound).max().map { (stream.topic, stream.boot, $0) } }
    }

    /// The seqs of `m` the journal did not publish as estimates (`synthetic`, `corrected`, `gap`):
    /// published as readings, or not at all as far as the journal knows (its record destroyed),
    /// or under a `journal_damaged` gap, which no reading restates (found black-box, 42nd review:
    /// a start without its snapshot replayed its own `synthetic` under such a gap, and a late
    /// copy came out `restated` over it, where consumers held the `ok`).
    func notPublishedAsEstimates(topic: String, _ m: CleanedReading) -> [ClosedRange<UInt64>] {
        let seqs = m.coveredSeqs
        let estimates = (covers[Stream(topic: topic, boot: m.boot)] ?? [])
            .filter { $0.quality != .ok && !$0.damaged && $0.seqs.overlaps(seqs) }.map { $0.seqs.clamped(to: seqs) }
            .sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<UInt64>] = []
        var next = seqs.lowerBound
        for e in estimates {
            if e.lowerBound > next { out.append(next...(e.lowerBound - 1)) }
            if e.upperBound >= seqs.upperBound { return out }
            next = Swift.max(next, e.upperBound + 1)
        }
        out.append(next...seqs.upperBound)
        return out
    }

    /// The estimate (`synthetic`, `corrected` or a `gap` not flagged `journal_damaged`) the
    /// journal published for `seq` of `topic` in boot `boot`, if it did.
    func estimate(topic: String, boot: Int64?, seq: UInt64) -> CleanedReading.Quality? {
        covers[Stream(topic: topic, boot: boot)]?.first { $0.quality != .ok && !$0.damaged && $0.seqs.contains(seq) }?.quality
    }

    /// Whether publishing `m` on `topic` would cover a seq the journal already covered or
    /// refused (`too_late`), restate a seq already restated, or restate one published as a real
    /// reading.
    func contradicts(topic: String, _ m: CleanedReading) -> Bool {
        let stream = Stream(topic: topic, boot: m.boot)
        if let seqs = refused[stream], seqs.contains(where: m.coveredSeqs.contains) { return true }
        let overlapping = covers[stream]?.filter { $0.seqs.overlaps(m.coveredSeqs) } ?? []
        guard m.quality == .restated else { return !overlapping.isEmpty }
        if restated[stream]?.contains(m.seq) == true { return true }
        return overlapping.contains { $0.quality == .ok || $0.quality == .restated }
    }
}
