/// Reads a journal directory, in this process or another, while a writer may be appending.
/// A record being written, or a segment being reclaimed, fails its checksum and simply ends
/// the read there; nothing partial is ever returned.
public final class JournalReader {
    public struct Outcome: Sendable, Equatable {
        /// The requested start was already reclaimed by the ring.
        public var truncated: Bool
        public var oldestSeq: UInt64?
        public var corruption: [String]
        /// The seqs the reported corruption took with it.
        public var lostSeqs: [ClosedRange<UInt64>]
    }

    private let segments: SegmentSet

    public init(directory: String, fileSystem: FileSystem = POSIXFileSystem()) throws {
        let (layout, _) = try JournalLayout.forReading(directory: directory, fileSystem: fileSystem)
        segments = try SegmentSet(layout: layout, fileSystem: fileSystem, repair: false)
    }

    deinit { segments.closeAll() }

    public var fileProblems: [String] { segments.problems }
    public var layout: JournalLayout { segments.layout }
    public var segmentsInUse: Int { segments.used.count }

    /// The time of the journal's oldest record (nil when it is empty): everything written since
    /// is still held, as the ring reclaims in the order it wrote.
    public func oldestRecordTime() throws -> Int64? {
        for entry in segments.used {
            var first: JournalRecord?
            _ = try segments.scanner(entry).scan { record, _ in
                first = record
                return false
            }
            if let first { return first.time }
        }
        return nil
    }

    /// Where to start reading for the records received at or after `time`: the first seq of the
    /// segment holding the oldest such record, found from each segment's first record (one read
    /// per segment, not a scan). `oldestSeq` is the journal's oldest record; `startSeq` is nil when
    /// the journal is empty. Relies on record times not going back, which the writer keeps for
    /// its input; a caller allows a margin for wall-clock steps.
    public func start(receivedFrom time: Int64) throws -> (oldestSeq: UInt64?, startSeq: UInt64?) {
        var oldest: UInt64?
        var start: UInt64?
        for entry in segments.used {
            var first: JournalRecord?
            _ = try segments.scanner(entry).scan { record, _ in
                first = record
                return false
            }
            guard let first else { continue }
            oldest = oldest ?? first.seq
            start = start ?? first.seq
            // Segments before one that starts earlier than `time` hold only earlier records.
            guard first.time < time else { break }
            start = first.seq
        }
        return (oldest, start)
    }

    /// Calls `visit` for each record with seq >= `fromSeq` (all when nil), oldest first, until it
    /// returns false. Records before `fromSeq` in the segment it starts in are stepped over by
    /// their headers, not checksummed (the writer checked every record when it opened the
    /// journal), so damage there is not reported; from `fromSeq` on everything is checked.
    @discardableResult
    public func read(fromSeq: UInt64? = nil, _ visit: (JournalRecord) throws -> Bool) throws -> Outcome {
        var outcome = Outcome(truncated: false, oldestSeq: nil, corruption: [], lostSeqs: [])
        let startIndex = fromSeq.flatMap { seq in segments.used.lastIndex { $0.header.baseSeq <= seq } } ?? 0
        var stopped = false
        var expectedNext: UInt64?
        for (n, entry) in segments.used.enumerated() {
            if n < startIndex && outcome.oldestSeq != nil { continue }
            // Records missing between two segments read (a segment file lost): reported as the
            // writer's recovery does, so a read over the hole says it may be incomplete. A segment
            // the ring reclaimed meanwhile starts later still, after the ones already read.
            if n >= startIndex, let missing = entry.header.missingBefore(expectedNext: expectedNext) {
                outcome.corruption.append(SegmentHeader.describeMissing(missing))
                outcome.lostSeqs.append(missing)
            }
            let result = try segments.scanner(entry).scan(skippingBelow: n < startIndex ? nil : fromSeq) { record, _ in
                if outcome.oldestSeq == nil {
                    outcome.oldestSeq = record.seq
                    if let f = fromSeq, record.seq > f { outcome.truncated = true }
                }
                if n < startIndex { return false }
                if let f = fromSeq, record.seq < f { return true }
                if try !visit(record) {
                    stopped = true
                    return false
                }
                return true
            }
            outcome.corruption += result.corruption.map { $0.description(segment: entry.index) }
            outcome.lostSeqs += result.corruption.compactMap(\.lostSeqs)
            if stopped { break }
            if n >= startIndex { expectedNext = (result.lastSeq ?? (entry.header.baseSeq &- 1)) &+ 1 }
        }
        return outcome
    }
}
