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
                // Every record takes at least a header's worth of bytes.
                let fit = last &+ UInt64(length / RecordFormat.headerSize)
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
        if let acked = checkpoint.value, acked >= nextSeq, tail == .clean {
            corruption.append(
                "the checkpoint says output up to seq \(acked) was acknowledged, but the journal ends before seq \(nextSeq): records \(nextSeq)...\(acked) lost"
            )
            lostSeqs.append(nextSeq...acked)
        } else if let synced = checkpoint.durable, synced >= nextSeq, tail == .clean {
            corruption.append(
                "the checkpoint says records up to seq \(synced) were synced, but the journal ends before seq \(nextSeq): records \(nextSeq)...\(synced) lost"
            )
            lostSeqs.append(nextSeq...synced)
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

    /// A note for `journal verify` on what opening clears quietly.
    var tornTailNote: String? {
        guard case .torn(let segment, let from, let to) = tail else { return nil }
        return "an interrupted last write in segment \(segment) (bytes \(from)..<\(to)); opening clears it"
    }
}
