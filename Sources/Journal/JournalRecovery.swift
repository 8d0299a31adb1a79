/// The walk over every used segment that opening a journal does, shared by the writer
/// (`Journal`, which then acts on it) and `journal verify` (which only reports it), so the two
/// always say the same thing about the same files.
///
/// The rule for what follows the newest record (non-zero bytes, and no valid record after them):
/// a crash can tear only a write that was not yet synced, which is at most the records of one
/// write, and never anything the broker acknowledged. So it is an interrupted write (cleared
/// quietly, `tornTail`) only when it is at most `tornTailLimit` bytes long and the checkpoint
/// says neither that output beyond the last record found was acknowledged nor that records
/// beyond it were synced (bit rot in the newest records, synced long ago, is damage). Anything else is damage:
/// reported with the seqs it can have taken, a copy of the segment kept aside, the bytes cleared,
/// and the next seq moved past every seq the damaged bytes could have held (a seq is never
/// reused).
struct RecoveryScan {
    enum Tail: Equatable {
        case clean
        /// An interrupted write in segment `segment`, bytes `from..<to`.
        case torn(segment: Int, from: Int, to: Int)
        /// Damage after the last valid record of the newest segment.
        case damaged(segment: Int, from: Int, to: Int)
    }

    /// The longest run of bytes after the newest record that is taken for a torn write: one
    /// record of the default payload limit with every byte escaped, and a former lap's record
    /// beside it, fit well within it.
    static let tornTailLimit = 64 << 10

    var records = 0
    var firstSeq: UInt64?
    var lastSeq: UInt64?
    /// Damage found, each with what opening does about it.
    var corruption: [String] = []
    var lostSeqs: [ClosedRange<UInt64>] = []
    /// Per segment file: records held and the first seq.
    var counts: [Int]
    var firstSeqs: [UInt64?]
    var active: (index: Int, generation: UInt64, end: Int)?
    var maxGeneration: UInt64 = 0
    var nextSeq: UInt64 = 1
    var tail = Tail.clean
    /// With a damaged tail: the last seq found before it.
    var tailLast: UInt64 = 0
    /// With a checkpoint ahead of the records found, or segment files lost where the ring writes
    /// next (and a clean tail): the last seq found, after which the next seq skips what the lost
    /// records may have taken.
    var skippedAfter: UInt64?

    init(
        segments: SegmentSet, checkpoint: CheckpointStore.Reading,
        visit: (JournalRecord) -> Void
    ) throws {
        counts = Array(repeating: 0, count: segments.layout.segmentCount)
        firstSeqs = Array(repeating: nil, count: segments.layout.segmentCount)
        var expectedNext: UInt64?
        for (n, entry) in segments.used.enumerated() {
            maxGeneration = max(maxGeneration, entry.header.generation)
            if let missing = entry.header.missingBefore(expectedNext: expectedNext) {
                corruption.append(SegmentHeader.describeMissing(missing))
                lostSeqs.append(missing)
            }
            var scanner = segments.scanner(entry)
            scanner.payloads = false
            let result = try scanner.scan { record, _ in
                visit(record)
                return true
            }
            corruption += result.corruption.map { $0.description(segment: entry.index) }
            lostSeqs += result.corruption.compactMap(\.lostSeqs)
            counts[entry.index] = result.count
            firstSeqs[entry.index] = result.firstSeq
            records += result.count
            if firstSeq == nil { firstSeq = result.firstSeq }
            if let l = result.lastSeq { lastSeq = l }
            let last = result.lastSeq ?? (entry.header.baseSeq &- 1)
            expectedNext = last &+ 1
            nextSeq = max(nextSeq, last &+ 1)
            guard n == segments.used.count - 1 else { continue }
            active = (entry.index, entry.header.generation, result.end)
            guard result.dirtyTail else { continue }
            let length = result.dirtyEnd - result.end
            let acked = checkpoint.value ?? 0
            let synced = checkpoint.durable ?? 0
            if length <= RecoveryScan.tornTailLimit && max(acked, synced) <= last {
                tail = .torn(segment: entry.index, from: result.end, to: result.dirtyEnd)
            } else {
                tail = .damaged(segment: entry.index, from: result.end, to: result.dirtyEnd)
                tailLast = last
                // Every record takes at least a header's worth of bytes; the bytes after the
                // damaged ones that read as never written may have been zeroed too.
                let fit =
                    last &+ UInt64((segments.layout.segmentSize - result.end) / RecordFormat.headerSize)
                    &+ Self.lostAfterNewest(segments, newest: entry.index).room
                let upper = max(fit, acked, synced, last &+ 1)
                let why =
                    acked > last
                    ? "the checkpoint says output up to seq \(acked) was acknowledged"
                    : synced > last
                        ? "the checkpoint says records up to seq \(synced) were synced"
                        : "\(length) bytes, longer than an interrupted write can leave"
                corruption.append(
                    "segment \(entry.index) bytes \(result.end)..<\(result.dirtyEnd) damaged after seq \(last) (not an interrupted write: \(why)), "
                        + "records \(last &+ 1)...\(upper) at most lost; opening keeps a copy of the segment aside, clears the damaged bytes and continues at seq \(upper &+ 1)"
                )
                lostSeqs.append((last &+ 1)...upper)
                nextSeq = max(nextSeq, upper &+ 1)
            }
        }
        // The checkpoint ahead of the records found: the newest segment's end was zeroed (or cut)
        // at rest, or the newest segment lost. Records past the checkpoint's bound may have been
        // written there too (written and not yet synced when the gateway stopped), and their seqs
        // handed on; the rest of the newest segment, which now reads as never written, could
        // have held at most one record per header's worth of bytes, so the next seq moves past
        // those as well (a seq is never reused; found black-box).
        // With no segment found, lost files count only where the checkpoint shows records were
        // written: a first start killed while creating the files leaves empty ones, and no data.
        let wroteRecords = active != nil || (checkpoint.value ?? 0) > 0 || (checkpoint.durable ?? 0) > 0
        let lostFiles = wroteRecords ? Self.lostAfterNewest(segments, newest: active?.index) : (room: 0, names: "")
        let room = (active.map { UInt64((segments.layout.segmentSize - $0.end) / RecordFormat.headerSize) } ?? 0) &+ lostFiles.room
        if let acked = checkpoint.value, acked >= nextSeq, tail == .clean {
            let upper = max(acked, nextSeq &- 1 &+ room)
            corruption.append(
                "the checkpoint says output up to seq \(acked) was acknowledged, but the journal ends before seq \(nextSeq): records \(nextSeq)...\(acked) lost"
                    + Self.beyond(acked, upper)
            )
            lostSeqs.append(nextSeq...upper)
            skippedAfter = nextSeq &- 1
            nextSeq = upper &+ 1
        } else if let synced = checkpoint.durable, synced >= nextSeq, tail == .clean {
            let upper = max(synced, nextSeq &- 1 &+ room)
            corruption.append(
                "the checkpoint says records up to seq \(synced) were synced, but the journal ends before seq \(nextSeq): records \(nextSeq)...\(synced) lost"
                    + Self.beyond(synced, upper)
            )
            lostSeqs.append(nextSeq...upper)
            skippedAfter = nextSeq &- 1
            nextSeq = upper &+ 1
        } else if lostFiles.room > 0, tail == .clean {
            // Segment files gone where the ring would have written after the newest one found:
            // they may have held the newest records, whatever the checkpoint had caught up with.
            let upper = nextSeq &- 1 &+ room
            corruption.append(
                "segment file(s) \(lostFiles.names) lost after seq \(nextSeq &- 1), where the ring writes next: records \(nextSeq)...\(upper) at most lost with them; opening continues at seq \(upper &+ 1)"
            )
            lostSeqs.append(nextSeq...upper)
            skippedAfter = nextSeq &- 1
            nextSeq = upper &+ 1
        }
        // A seq is never reused: the records the checkpoint knows of keep theirs, even when lost.
        if let acked = checkpoint.value { nextSeq = max(nextSeq, acked &+ 1) }
        if let synced = checkpoint.durable { nextSeq = max(nextSeq, synced &+ 1) }
        if checkpoint.missing, let firstSeq {
            // The file is created with the journal's first segment, so a journal with records
            // and no checkpoint file had it deleted (or restored from a backup without it).
            corruption.append(
                "checkpoint file missing or cut short: output journaled from seq \(firstSeq) on will be republished (consumers de-duplicate on sensor, boot, seq and quality)"
            )
        }
        if checkpoint.unreadable {
            corruption.append(
                "checkpoint unreadable (neither slot passes its checksum): output journaled from seq \(firstSeq ?? nextSeq) on will be republished (consumers de-duplicate on sensor, boot, seq and quality)"
            )
        }
    }

    /// The segment files lost (missing, empty, unusable) where the ring would have written next
    /// after the newest segment found (all of them when none was found), and how many records
    /// they could have held: one per header's worth of bytes.
    static func lostAfterNewest(_ segments: SegmentSet, newest: Int?) -> (room: UInt64, names: String) {
        let count = segments.layout.segmentCount
        var lost: [Int] = []
        if let newest {
            var i = (newest + 1) % count
            while i != newest && segments.lostFiles.contains(i) {
                lost.append(i)
                i = (i + 1) % count
            }
        } else {
            lost = segments.lostFiles.sorted()
        }
        let perFile = UInt64(segments.layout.segmentSize / RecordFormat.headerSize)
        return (UInt64(lost.count) &* perFile, lost.map(JournalLayout.segmentName).joined(separator: ", "))
    }

    /// What a damage line adds when records past the checkpoint's bound may have been lost too.
    private static func beyond(_ bound: UInt64, _ upper: UInt64) -> String {
        upper > bound
            ? ", and records \(bound &+ 1)...\(upper) at most (written after it, where the newest segment now reads as never written); opening continues at seq \(upper &+ 1)"
            : ""
    }

    /// A note for `journal verify` on what opening clears quietly; with a gateway running on the
    /// journal (`writerRunning`), the end it was writing as it was read, which is no interrupted
    /// write (found black-box: verify beside a running gateway reported one).
    func tornTailNote(writerRunning: Bool) -> String? {
        guard case .torn(let segment, let from, let to) = tail else { return nil }
        if writerRunning {
            return "segment \(segment) bytes \(from)..<\(to) were being written by the running gateway as they were read: not damage"
        }
        return "an interrupted last write in segment \(segment) (bytes \(from)..<\(to)); opening clears it"
    }
}
