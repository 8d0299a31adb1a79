import Wire

/// A restart's pass over the journal, record by record: the input after the engine snapshot
/// replayed (`RestoreReplay`), the publications journaled after it reconciled with what the
/// replay regenerates, and those the broker has not acknowledged handed back to be sent again,
/// with a `gap` before any whose stream lost a publication to damage (`ResendHoles`).
///
/// The gateway (`JournalRestore`) and the fault simulator (`SimRestore`) both restore through
/// it: they load the snapshot and read the journal their own way, and restore the same way.
public struct RestoreScan {
    /// What the restart continues with.
    public struct Outcome {
        public var engine: RecoveryEngine
        /// Regenerated publications the journal never received, to journal and publish.
        public var toJournal: [Publication]
        /// The latest record time seen (the snapshot's, if later).
        public var lastTime: Int64
        public var replayedInputs: Int
        public var comparedPublications: Int
        public var mismatchedPublications: Int
        /// Readings rebuilt from journaled publications because their input record was damaged.
        public var rebuiltReadings: Int
        /// Regenerated cleaned messages withheld because the journal had already published their seq.
        public var withheldPublications: Int
        /// Whether the replay stopped reproducing the journal (a record was damaged).
        public var diverged: Bool
        /// Gaps standing in for destroyed publications still owed, and the replay's copies of
        /// destroyed ones (`RestoreReplay.takeDestroyedBefore`), by the journal seq of the
        /// publication each goes before (the journal does not hold them: a read-back adds them).
        public var standIns: [UInt64: [Publication]]
        /// Gaps made for regenerated publications (journaled with them) and stand-ins together.
        public var holesGapped: Int
    }

    /// The first journal seq the restore reads.
    public let scanFrom: UInt64
    private let inputFrom: UInt64
    private let publicationsThrough: UInt64
    private let acknowledged: UInt64
    private var replay: RestoreReplay
    private var holes: ResendHoles
    private var lastTime: Int64
    /// The journal's time so far (epoch ms): the snapshot's, then each record's read.
    public var time: Int64 { lastTime }
    private var replayedInputs = 0
    private var standIns: [UInt64: [Publication]] = [:]
    /// The `journal_damaged` gaps among the stand-ins.
    private var damageGaps: [Publication] = []
    /// The replay's copies of destroyed publications the broker had acknowledged: not sent.
    private var acknowledgedStandIns = 0

    /// `engine`, `pending`, `inputFrom`, `publicationsThrough`, `time`: the snapshot's (a new
    /// engine, nothing, the journal's oldest seq, 0 and 0 without one); `acknowledged`: the
    /// checkpoint; `lost`: the journal seqs its recovery found destroyed; `keepMatchedUpTo`: see
    /// `RestoreReplay.init`.
    public init(
        engine: RecoveryEngine, pending: [Publication], inputFrom: UInt64, publicationsThrough: UInt64, time: Int64, acknowledged: UInt64,
        lost: [ClosedRange<UInt64>], oldest: UInt64, keepMatchedUpTo: Int = 4096
    ) {
        self.inputFrom = inputFrom
        self.publicationsThrough = publicationsThrough
        self.acknowledged = acknowledged
        replay = RestoreReplay(engine: engine, pending: pending, keepMatchedUpTo: keepMatchedUpTo)
        holes = ResendHoles(
            lost: lost, acknowledged: acknowledged, released: lost.isEmpty ? [:] : engine.releasedThroughByTopic, releasedAt: publicationsThrough,
            starts: lost.isEmpty ? [:] : engine.streamStartsByTopic)
        lastTime = time
        // A destroyed publication still owed shows only against its stream's earlier ones.
        scanFrom = holes.needed ? oldest : min(inputFrom, publicationsThrough + 1, acknowledged + 1)
    }

    /// The journal record `seq` (its `time`, `type` and `payload`), in journal order from
    /// `scanFrom`; `resend` is given each publication owed to the broker, in order, with the
    /// journal seq it is acknowledged under (a record's publications share it).
    public mutating func record(seq: UInt64, time: Int64, type: UInt16, payload: [UInt8], resend: (UInt64, Publication) -> Void) {
        lastTime = max(lastTime, time)
        let recordType = RecordType(rawValue: type)
        if seq >= inputFrom {
            if recordType == .message { replay.advance(beforeInputAt: time) } else { replay.advance(to: time) }
        }
        switch recordType {
        case .message where seq >= inputFrom:
            if let (topic, body) = JournalRecords.decodeMessage(payload[...]) {
                replay.input(topic: topic, payload: Array(body), receivedAt: time)
                replayedInputs += 1
            }
        case .tick where seq >= inputFrom:
            replay.tick(at: time, listening: JournalRecords.decodeTick(payload))
        case .configuration where seq >= inputFrom:
            if let changed = JournalRecords.decodeConfiguration(payload) { replay.reconfigure(changed, at: time) }
        case .publication:
            // Most of a ring's publications were replayed into the snapshot and acknowledged:
            // nothing below reads them, so they are not decoded.
            guard seq > publicationsThrough || seq > acknowledged || holes.needed, let ps = JournalRecords.decodePublications(payload) else { return }
            // A dead letter of the record may say a reading the replay holds was refused.
            if seq > publicationsThrough { replay.journaledRefusals(ps) }
            for p in ps {
                if seq > publicationsThrough { replay.journaled(p, at: time) }
                // A stand-in goes before its record (`Publisher.refillIfNeeded`): the publications
                // it stands for were destroyed in records before this one. The first publication
                // of a stream left in the journal has no earlier one to show a hole against: the
                // replay's own messages below it, which no record holds, stand in for them. Under
                // the checkpoint they reached the broker with the destroyed record: withheld.
                let destroyed = seq > publicationsThrough && holes.startsStream(p) ? replay.takeDestroyedBefore(p, sent: seq > acknowledged) : []
                for (i, q) in (destroyed + [p]).enumerated() {
                    if let gap = holes.next(q, at: seq)?.message {
                        standIns[seq, default: []].append(gap)
                        damageGaps.append(gap)
                        resend(seq, gap)
                    }
                    if i < destroyed.count {
                        guard seq > acknowledged else {
                            acknowledgedStandIns += 1
                            continue
                        }
                        if Self.isDamageGap(q) { damageGaps.append(q) }
                        standIns[seq, default: []].append(q)
                        resend(seq, q)
                    }
                }
            }
            if seq > acknowledged { for p in ps { resend(seq, p) } }
        default:
            break
        }
    }

    /// Whether `p` is a `journal_damaged` gap (`RestoreReplay.takeDestroyedBefore` sends one in
    /// place of a regenerated estimate).
    private static func isDamageGap(_ p: Publication) -> Bool {
        guard p.kind == .cleaned, let m = try? WireJSON.decode(CleanedReading.self, from: p.payload) else { return false }
        return m.isJournalDamageGap
    }

    /// The state to continue from, once every record is read. `retained`: the broker's retained
    /// `latest/` values read at the restart (by `latest/` topic), which show how far a stream
    /// whose publications damage destroyed had gone out (`ResendHoles.trailing(retained:)`).
    public mutating func finish(retained: [String: RecoveryEngine.PublishedLatest] = [:]) -> Outcome {
        // A destroyed publication the replay could regenerate (its input was still journaled)
        // already has its stand-in gap, sent in its place among the resends: the regenerated
        // copy would come after the stream's later messages, so it is withheld. So is a
        // restatement the replay made of a seq a stand-in covers: what went out for it is what
        // the destroyed record held, perhaps `ok` (found by the fault simulator, aimed finding-8
        // seed 428: a copy of a reading restated the replay's estimate, made for want of its
        // destroyed input, over the `ok` consumers held).
        let stoodIn = damageGaps.compactMap { p in (try? WireJSON.decode(CleanedReading.self, from: p.payload)).map { (topic: p.topic, gap: $0) }
        }
        var withheld = 0
        var toJournal: [Publication] = []
        for p in replay.finish() {
            if !stoodIn.isEmpty, p.kind == .cleaned, let m = try? WireJSON.decode(CleanedReading.self, from: p.payload),
                stoodIn.contains(where: { $0.topic == p.topic && $0.gap.boot == m.boot && $0.gap.coveredSeqs.contains(m.coveredSeqs.lowerBound) })
            {
                withheld += 1
                if m.quality != .ok { replay.forgetEstimate(topic: p.topic, boot: m.boot, seqs: m.coveredSeqs) }
                continue
            }
            if let owed = holes.next(p, at: nil) {
                toJournal.append(owed.message)
                if owed.neverPublished { replay.gapSentByRestart(topic: p.topic, boot: owed.boot, seqs: owed.seqs, at: lastTime) }
            }
            toJournal.append(p)
        }
        // Of the `latest/` values regenerated, only each topic's newest goes out: damage that
        // destroyed a record of several (a turn's, `PublicationBatch`) must not make the restart
        // send an older value after a newer one the broker already retained.
        toJournal = SupersededLatest.dropped(from: toJournal, floor: replay.engine.latestTimes) { $0 }
        let engine = replay.engine
        toJournal += holes.trailing { engine.publishedThrough(cleanedTopic: $0) }
        toJournal += holes.trailing(retained: retained) { engine.releasedPast($1, cleanedTopic: $0) }
        return Outcome(
            engine: replay.engine, toJournal: toJournal, lastTime: lastTime, replayedInputs: replayedInputs,
            comparedPublications: replay.comparedPublications, mismatchedPublications: replay.mismatchedPublications,
            rebuiltReadings: replay.rebuiltReadings, withheldPublications: replay.withheldPublications + withheld + acknowledgedStandIns,
            diverged: replay.diverged,
            standIns: standIns, holesGapped: holes.made)
    }
}
