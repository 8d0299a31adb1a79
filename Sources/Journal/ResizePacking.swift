/// Which records a resize keeps: the longest run of the newest records that fits in all but one
/// of the new segments (one stays free for appends), and at least every record from
/// `keepingFrom`, which may use every segment; a refusal when even those do not fit.
struct ResizePacking {
    var keptFrom: UInt64?
    var kept = 0
    var dropped = 0
    var refusal: String?
    /// Seqs the old journal lost to damage (inside a segment, segments missing between others,
    /// its newest records): the copy leaves a hole there that every later open and read still
    /// reports, never one marked as skipped on purpose (found black-box: a resize turned three
    /// damaged records into holes nothing reported, and replays and `export` over them came back
    /// short without a word).
    var lost: [ClosedRange<UInt64>] = []
    /// The old journal's damage as its own recovery names it (`journal verify` says the same).
    var damage: [String] = []
    /// The seq the old journal would write next after its recovery: past records its newest
    /// segment lost, which may have been handed on. The resized journal never writes below it (a
    /// seq is never reused; found black-box: a grow after the newest segment was lost wrote
    /// again from the last record found).
    var nextSeq: UInt64 = 1
    /// The old journal's last record (nil: none).
    var lastSeq: UInt64?

    /// Whether the hole `from..<to` in the copied seqs covers a seq lost to damage.
    func holeIsDamage(from: UInt64, to: UInt64) -> Bool {
        lost.contains { $0.lowerBound < to && $0.upperBound >= from }
    }

    init(from stored: JournalLayout, to requested: JournalLayout, keepingFrom: UInt64, fileSystem: FileSystem) throws {
        let segments = try SegmentSet(layout: stored, fileSystem: fileSystem, repair: false)
        defer { segments.closeAll() }
        var records: [(seq: UInt64, size: Int)] = []
        var tooLarge: UInt64?
        for entry in segments.used {
            _ = try segments.scanner(entry).scan { record, _ in
                records.append((record.seq, RecordFormat.paddedSize(payload: record.payload.count)))
                if record.seq >= keepingFrom, record.payload.count > requested.maxRecordPayload, tooLarge == nil { tooLarge = record.seq }
                return true
            }
        }
        // What the writer's recovery would find in the old journal, read-only.
        let checkpoint = try CheckpointStore.peek(path: stored.checkpointPath, fileSystem: fileSystem)
        let scan = try RecoveryScan(segments: segments, checkpoint: checkpoint) { _ in }
        lost = scan.lostSeqs
        damage = segments.problems + segments.damage + scan.corruption
        nextSeq = scan.nextSeq
        lastSeq = scan.lastSeq
        let usable = requested.segmentSize
        /// Segments needed to hold records[start...], packed in order, a new segment at each hole.
        func segmentsNeeded(from start: Int) -> Int {
            var count = 0
            var end = usable
            var last: UInt64?
            for r in records[start...] {
                let hole = last.map { r.seq != $0 &+ 1 } ?? false
                if end + r.size > usable || hole {
                    count += 1
                    end = SegmentHeader.size
                }
                end += r.size
                last = r.seq
            }
            return count
        }
        let mustStart = records.firstIndex { $0.seq >= keepingFrom } ?? records.count
        let firstKept = mustStart < records.count ? records[mustStart].seq : keepingFrom
        if let tooLarge {
            refusal = "record \(tooLarge) is larger than a segment of the new size (\(requested.segmentSize) bytes) can hold; keep the old journal-max-bytes"
            return
        }
        let needed = mustStart < records.count ? segmentsNeeded(from: mustStart) : 0
        guard needed <= requested.segmentCount else {
            refusal =
                "the \(records.count - mustStart) records from seq \(firstKept) (unfinished work) need \(needed) segments of \(requested.segmentSize) bytes, and the new size has \(requested.segmentCount): "
                + "keep the old journal-max-bytes (\(stored.segmentCount * stored.segmentSize) bytes) until the gateway has caught up, or choose a larger one"
            return
        }
        // The earliest start (the most history) that still fits in all segments but one.
        var low = 0
        var high = mustStart
        if needed > requested.segmentCount - 1 {
            low = mustStart
        } else {
            while low < high {
                let mid = (low + high) / 2
                if segmentsNeeded(from: mid) <= requested.segmentCount - 1 { high = mid } else { low = mid + 1 }
            }
        }
        keptFrom = low < records.count ? records[low].seq : nil
        kept = records.count - low
        dropped = low
    }
}
