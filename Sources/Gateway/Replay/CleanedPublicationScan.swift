import Journal
import Recovery
import Wire

/// Reads the cleaned publications a journal holds from where a window's readings may begin, in
/// the order they were published, and says whether the journal could still give the whole
/// window. The one reader of cleaned output in the journal: replays over MQTT, the offline
/// `replay` and `export` all go through it, so they see exactly what the live path wrote.
///
/// It takes no lock and writes nothing: a gateway may be appending (and its ring reclaiming)
/// while it reads, which ends the read at the damage or marks it truncated, never returns a
/// partial record.
public struct CleanedPublicationScan: Sendable {
    /// One cleaned publication as journaled.
    public struct Entry: Sendable {
        /// The record's position in the journal (+1 per record, never reused).
        public var journalSeq: UInt64
        /// Its place among the publications of its record (`PublicationBatch`), from 0.
        public var indexInRecord: Int
        public var publication: Publication
        /// The message's `ts` (event time, epoch ms).
        public var ts: Int64

        /// Where it was journaled, in journal order (records hold several publications).
        public var position: JournalPosition { JournalPosition(seq: journalSeq, index: indexInRecord) }
    }

    /// A publication's place in the journal: its record's seq, then its place in the record.
    public struct JournalPosition: Comparable, Hashable, Sendable {
        public var seq: UInt64
        public var index: Int

        public static func < (a: Self, b: Self) -> Bool { (a.seq, a.index) < (b.seq, b.index) }
    }

    /// The start of the window: where reading begins and what truncation is judged against.
    public var from: Int64
    /// How long before `from` a matching reading may have been received (see `ReplayQuery`).
    public var receivedBeforeFromMs: Int64

    public init(from: Int64, receivedBeforeFromMs: Int64) {
        self.from = from
        self.receivedBeforeFromMs = receivedBeforeFromMs
    }

    /// Calls `visit` for each cleaned publication `matches` accepts, whatever its `ts`, up to
    /// journal seq `through` (the end of the journal when nil). `visit` returns false to stop.
    /// The result's `count` is left to the caller.
    public func run(
        journalDirectory: String, through: UInt64? = nil, matches: (Publication) -> Bool, _ visit: (Entry) throws -> Bool
    ) throws -> ReplayQuery.Result {
        let reader = try JournalReader(directory: journalDirectory)
        var result = ReplayQuery.Result()
        // The oldest event time still held of each topic, requested and of any sensor, among
        // its messages published in order: a `restated` one is a late reading journaled long
        // after its `ts`, so it says nothing of what the ring took before it (found black-box,
        // 40th review: a sensor whose only record left was a late `restated` was answered whole
        // from that reading's `ts`, its later readings, overwritten, missing).
        var oldest: [String: Int64] = [:]
        var oldestOverall: [String: Int64] = [:]
        let (oldestSeq, startSeq) = try reader.start(
            receivedFrom: from.subtractingReportingOverflow(receivedBeforeFromMs).overflow ? .min : from - receivedBeforeFromMs)
        let outcome = try reader.read(fromSeq: startSeq) { record in
            if let through, record.seq > through { return false }
            guard record.type == RecordType.publication.rawValue, JournalRecords.publicationRecord(flags: record.flags, mayHold: .cleaned),
                let ps = JournalRecords.decodePublications(record.payload)
            else { return true }
            for (index, p) in ps.enumerated() where p.kind == .cleaned {
                guard let (ts, restated) = CleanedMessage.eventTimeAndLateness(p.payload) else { continue }
                if !restated { oldestOverall[p.topic] = min(oldestOverall[p.topic] ?? ts, ts) }
                guard matches(p) else { continue }
                if !restated { oldest[p.topic] = min(oldest[p.topic] ?? ts, ts) }
                guard try visit(Entry(journalSeq: record.seq, indexInRecord: index, publication: p, ts: ts)) else { return false }
            }
            return true
        }
        // Truncated only when the ring has overwritten data (the journal no longer starts at
        // seq 1) and what is left of a requested stream begins after `from` (or nothing is left).
        // Each stream is judged on its own: the ring cuts the journal in order of receipt, so one
        // sensor's readings may still reach back before `from` while another's were overwritten
        // (found black-box: an all-sensor replay after the ring wrapped answered half the fleet,
        // five sensors missing, without `truncated`, as the oldest reading of any sensor was old
        // enough). When records were skipped, the journal reaches back before `from`: not
        // truncated.
        let reclaimed = (oldestSeq ?? 1) > 1
        let skipped = (startSeq ?? 0) > (oldestSeq ?? 0)
        // From this time on, every requested stream the journal holds is whole (with none of
        // them left, every stream of any sensor): asked again from it, the answer is complete.
        var whole = (oldest.isEmpty ? oldestOverall : oldest).values.max()
        if oldest.isEmpty, reclaimed, let held = try reader.oldestRecordTime() {
            // With none of the requested streams left, the others' oldest `ts` is no bound on
            // what the ring took: a stream's messages published long after their `ts` (a fill
            // backlog drained for minutes) kept it early while the requested readings, journaled
            // before them, were overwritten (found black-box, 91st review: a window of a sensor
            // whose 49 readings were gone answered `count` 0, not `truncated`). The ring takes
            // records in the order it wrote them, so what was received since its oldest record
            // is held: a reading stamped before that time may be gone.
            whole = max(whole ?? held, held)
        }
        // With nothing left of the requested streams, the window is cut only where it begins
        // before that time: from it on, the journal would hold whatever they published (found
        // black-box: asked again from `oldest_available`, a sensor the ring had taken was still
        // answered `truncated`, for ever).
        let startsLate = oldest.isEmpty ? whole.map { from < $0 } ?? true : oldest.values.contains { $0 > from }
        // The ring also reclaims while a replay reads: the segment it started in was overwritten.
        if (reclaimed && !skipped && startsLate) || outcome.truncated {
            result.truncated = true
            result.reclaimed = true
            result.oldestAvailable = whole
        }
        // Damage met while reading: the records it took are unreadable, so they may have been in
        // the window; the answer says it may be incomplete rather than be silently short.
        if !outcome.corruption.isEmpty {
            result.truncated = true
            result.damage = outcome.corruption
        }
        return result
    }
}
