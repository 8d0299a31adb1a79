import Wire

/// Gaps owed for cleaned publications the journal destroyed while the broker had not yet
/// acknowledged them.
///
/// A publication record destroyed at rest (bit rot, a torn sector) after the engine snapshot
/// covered it can be neither resent (the journal no longer holds it) nor regenerated (the
/// replay starts after it), so its seqs would be skipped without a word. Walking the journaled
/// publications in journal order, this finds a stream whose next cleaned message does not
/// continue the one before it, where a destroyed range after the checkpoint lies between the
/// two, and makes the `gap` message to send before it, marked `"reason":"journal_damaged"`:
/// the seqs may or may not have reached the consumers before the crash, so one that already
/// holds them keeps its own.
///
/// A destroyed record that held a stream's last publications shows against the restored engine
/// instead (`trailing`): the engine released seqs past the stream's last publication left, and a
/// destroyed range lies after that one. (A turn's publications share a record,
/// `PublicationBatch`, so one destroyed record can hold the last of many streams.)
///
/// A stream with no earlier publication left in the journal is held against where the engine
/// snapshot had released it to (`released`, journaled by `releasedAt`): its first journaled
/// publication after a jump, with a destroyed range between, owes the same gap (found by the
/// fault simulator, measurement worlds with own windows, seed 4,801,975: a power cut destroyed
/// the records of seq 119 and of every earlier publication of the stream the scan could read, and
/// 120 went out after 118 with nothing between). Where the snapshot released the stream past
/// that publication (the snapshot covers its record), the stream's first publications were in a
/// destroyed record before it: the gap runs from where the snapshot's epoch began (`starts`) up
/// to it, and a consumer that holds those seqs keeps its own. Where the snapshot does not cover
/// it, the replay regenerated what the destroyed record held (`RestoreScan` sends that in its
/// place, `RestoreReplay.takeDestroyedBefore`). What it cannot see: a stream the snapshot did
/// not know either, in an epoch the replay cannot rebuild. That is still reported as journal
/// damage at start-up.
///
/// A message the replay regenerated is held against its stream's last journaled one even with
/// no destroyed record between them: destroyed input can make the replay start or move a stream
/// past seqs nothing published (finding 24). Such a gap is `neverPublished`, and a reading of
/// its seqs later restates it.
public struct ResendHoles {
    private struct Last {
        var upper: UInt64
        var ts: Int64
        var position: UInt64
    }

    private let lost: [ClosedRange<UInt64>]
    private let acknowledged: UInt64
    private var streams: [StreamKey: Last] = [:]
    private let released: [String: RecoveryEngine.Released]
    private let releasedAt: UInt64
    private let starts: [String: RecoveryEngine.StreamStart]
    /// Gap messages made so far.
    public private(set) var made = 0

    /// `lost`: the journal seqs its recovery found destroyed; `acknowledged`: the checkpoint
    /// (publications at or below it reached the broker, so their loss harms no consumer).
    /// `released`: where the engine snapshot had released each stream to, by cleaned topic;
    /// `releasedAt`: the last journal seq whose publications the snapshot covers; `starts`: where
    /// the snapshot's epoch of each stream began, by cleaned topic.
    public init(
        lost: [ClosedRange<UInt64>], acknowledged: UInt64, released: [String: RecoveryEngine.Released] = [:], releasedAt: UInt64 = 0,
        starts: [String: RecoveryEngine.StreamStart] = [:]
    ) {
        let after = lost.filter { $0.upperBound > acknowledged }
        self.lost = after
        self.acknowledged = acknowledged
        self.released = after.isEmpty ? [:] : released
        self.releasedAt = releasedAt
        self.starts = after.isEmpty ? [:] : starts
    }

    /// Whether any destroyed record lies after the checkpoint: only then can a resend have a
    /// hole, and only then must the restore read the journal's publications from its oldest.
    public var needed: Bool { !lost.isEmpty }

    /// A gap owed before a publication.
    public struct Owed {
        /// The `gap` message, `"reason":"journal_damaged"`.
        public var message: Publication
        public var seqs: ClosedRange<UInt64>
        public var boot: Int64?
        /// No destroyed record can have held a publication of these seqs (none lies after the
        /// stream's last journaled publication): nothing went out for them before, so a reading
        /// for one restates the gap. Otherwise consumers may hold what the destroyed record held,
        /// perhaps `ok`, and a reading is a duplicate.
        public var neverPublished: Bool
    }

    /// The publication journaled at `position` (or regenerated, `position` nil: after every
    /// journaled one), in order; returns the gap to publish before it, if one is owed.
    public mutating func next(_ p: Publication, at position: UInt64?) -> Owed? {
        guard needed, p.kind == .cleaned, let m = try? WireJSON.decode(CleanedReading.self, from: p.payload), m.quality != .restated else {
            return nil
        }
        let here = position ?? .max
        let seqs = m.coveredSeqs
        // A stream by its topic (sensor and measurement) and boot: a sensor's measurements each
        // have their own seqs.
        let stream = StreamKey(sensorID: p.topic, boot: m.boot)
        defer { streams[stream] = Last(upper: seqs.upperBound, ts: m.toTs ?? m.ts, position: here) }
        // Regenerated (`position` nil), a skip needs no destroyed publication between: the
        // replay, short of destroyed input, may have started or moved the stream past seqs that
        // neither it nor the journal published (found by the fault simulator, aimed finding-8
        // seed 17,864: the records of a new sensor's first readings destroyed but one, the replay
        // started its stream at that one, seq 3, and it went out after the journaled 0 and 1
        // with nothing for 2, a reading still missing when the gateway stopped).
        if streams[stream] == nil, let position, let start = snapshotStart(p.topic, boot: m.boot, before: seqs.lowerBound, at: position) {
            let owed = start...(seqs.lowerBound - 1)
            let ts = m.fromTs ?? m.ts
            let message = gap(on: p.topic, m.sensorID, owed, fromTs: ts, toTs: ts, boot: m.boot)
            return Owed(message: message, seqs: owed, boot: m.boot, neverPublished: false)
        }
        guard let last = streams[stream] ?? snapshotLast(p.topic, boot: m.boot), seqs.lowerBound > last.upper + 1 else { return nil }
        let destroyedBetween = lost.contains(where: { $0.upperBound > max(last.position, acknowledged) && $0.lowerBound < here })
        guard destroyedBetween || position == nil else { return nil }
        let owed = (last.upper + 1)...(seqs.lowerBound - 1)
        let message = gap(on: p.topic, m.sensorID, owed, fromTs: last.ts, toTs: m.fromTs ?? m.ts, boot: m.boot)
        return Owed(message: message, seqs: owed, boot: m.boot, neverPublished: !destroyedBetween)
    }

    /// Whether cleaned publication `p` would be the first of its stream (topic and boot) known to
    /// the restore: no publication of the stream went through `next` before it, and the engine
    /// snapshot released the sensor in another boot or not at all. With damage after the
    /// checkpoint, a destroyed record before it may have held the stream's earlier seqs, which
    /// no gap can be made for (nothing shows where the stream began): only the replay can show
    /// them (`RestoreReplay.takeDestroyedBefore`).
    public func startsStream(_ p: Publication) -> Bool {
        guard needed, p.kind == .cleaned, let m = try? WireJSON.decode(CleanedReading.self, from: p.payload), m.quality != .restated else {
            return false
        }
        return streams[StreamKey(sensorID: p.topic, boot: m.boot)] == nil && snapshotLast(p.topic, boot: m.boot) == nil
    }

    /// Where the snapshot's epoch of the stream of cleaned topic `topic` in boot `boot` began,
    /// when its first publication the journal holds, at journal seq `position` and from seq
    /// `lowest`, came after that start with a destroyed record before it, unacknowledged, and the
    /// snapshot covers its record: the destroyed record held the stream's earlier publications
    /// (found by a test of seed 4,740,542's case with the snapshot taken after it: a stream's
    /// first publication, destroyed unacknowledged, was skipped, and its consumers' stream began
    /// at seq 1).
    private func snapshotStart(_ topic: String, boot: Int64?, before lowest: UInt64, at position: UInt64) -> UInt64? {
        guard position > acknowledged, position <= releasedAt, let start = starts[topic], start.boot == boot, start.seq < lowest,
            lost.contains(where: { $0.lowerBound < position })
        else { return nil }
        return start.seq
    }

    /// Where the engine snapshot had released the stream of cleaned topic `topic` in boot `boot`
    /// to, as the last publication before the journal's.
    private func snapshotLast(_ topic: String, boot: Int64?) -> Last? {
        guard let r = released[topic], r.boot == boot, let ts = r.ts else { return nil }
        return Last(upper: r.seq, ts: ts, position: releasedAt)
    }

    /// The gaps owed, after every journaled and regenerated publication went through `next`, for
    /// streams whose last publications were destroyed: the engine (`publishedThrough`) released
    /// seqs past the stream's last publication left, and a destroyed range after the checkpoint
    /// lies after that one. Each goes out after everything else the restart sends.
    public mutating func trailing(publishedThrough: (String) -> (boot: Int64?, seq: UInt64, ts: Int64?)?) -> [Publication] {
        guard needed else { return [] }
        var out: [Publication] = []
        for (stream, last) in streams.sorted(by: { $0.key < $1.key }) {
            guard lost.contains(where: { $0.upperBound > max(last.position, acknowledged) }),
                let engine = publishedThrough(stream.sensorID), engine.boot == stream.boot, engine.seq > last.upper,
                let name = StreamName(outputTopic: stream.sensorID)
            else { continue }
            out.append(
                gap(
                    on: stream.sensorID, name.sensorID, (last.upper + 1)...engine.seq, fromTs: last.ts, toTs: max(last.ts, engine.ts ?? last.ts),
                    boot: stream.boot))
            streams[stream] = Last(upper: engine.seq, ts: engine.ts ?? last.ts, position: .max)
        }
        return out
    }

    /// The gaps owed, after `trailing(publishedThrough:)`, for streams that no journaled or
    /// regenerated publication showed (their publications left in the journal were all destroyed,
    /// or reclaimed long ago): the broker's retained `latest/` value of the stream's epoch
    /// (`retained`, by `latest/` topic) is then the last publication known to have gone out, and
    /// the engine (`releasedPast`) released seqs past it. Their publications were in the
    /// destroyed records, or went out as no `latest/` shows (a `gap`): one gap covers them and the
    /// retained seq (whose `cleaned/` message leaves after its `latest/` copy), after
    /// everything else the restart sends, and a consumer that holds some of them keeps its own
    /// (found by the fault simulator, aimed finding-8 seed 446: a sensor's journal_damaged `gap`
    /// and three `ok` readings released before a snapshot, their records destroyed with every
    /// earlier publication of the sensor, and its seqs skipped, the real reading of the gap's seq
    /// then restated over nothing).
    public mutating func trailing(
        retained: [String: RecoveryEngine.PublishedLatest],
        releasedPast: (_ cleanedTopic: String, RecoveryEngine.PublishedLatest) -> (boot: Int64?, seq: UInt64, ts: Int64?)?
    ) -> [Publication] {
        guard needed else { return [] }
        var out: [Publication] = []
        for (topic, value) in retained.sorted(by: { $0.key < $1.key }) {
            guard let name = StreamName(outputTopic: topic) else { continue }
            let cleaned = Topics.cleaned(name.sensorID, name.measurementName)
            let stream = StreamKey(sensorID: cleaned, boot: value.boot)
            guard streams[stream] == nil, let engine = releasedPast(cleaned, value), engine.boot == value.boot, engine.seq > value.seq else { continue }
            // From the retained seq itself: a reading's `latest/` copy leaves before its `cleaned/`
            // message, so that one may never have gone out (found by the fault simulator, aimed
            // finding-8 seed 8,664: a kill between the two, the record destroyed at rest, and the
            // gap began after the retained seq 89, which consumers never got).
            out.append(
                gap(on: cleaned, name.sensorID, value.seq...engine.seq, fromTs: value.ts, toTs: max(value.ts, engine.ts ?? value.ts), boot: value.boot))
            streams[stream] = Last(upper: engine.seq, ts: engine.ts ?? value.ts, position: .max)
        }
        return out
    }

    /// The `journal_damaged` gap over `seqs` of sensor `sensorID`'s stream on cleaned topic
    /// `topic` (which names the measurement), counted in `made`.
    private mutating func gap(on topic: String, _ sensorID: String, _ seqs: ClosedRange<UInt64>, fromTs: Int64, toTs: Int64, boot: Int64?) -> Publication {
        made += 1
        return GapNotice.journalDamaged(on: topic, sensorID: sensorID, seqs: seqs, fromTs: fromTs, toTs: toTs, boot: boot)
    }

    /// The `reason` of a gap owed to journal damage.
    public static let reason = CleanedReading.journalDamaged
}
