/// Walks the records of one segment file in order, validating each, in bounded memory.
///
/// At the first invalid record it looks further into the segment for a valid record with a
/// later seq: if there is one, the bytes in between are corruption (reported, then skipped);
/// if there is none, the segment's data simply ends there (unused space, or a torn tail).
struct SegmentScanner {
    struct Corruption: Equatable, Sendable {
        var fromOffset: Int
        var toOffset: Int
        /// Seqs that would have been in the damaged range (empty if none were lost).
        var lostSeqs: ClosedRange<UInt64>?

        /// How `journal verify` and the recovery log name it.
        func description(segment: Int) -> String {
            "segment \(segment) bytes \(fromOffset)..<\(toOffset) damaged" + (lostSeqs.map { ", records \($0.lowerBound)...\($0.upperBound) lost" } ?? "")
        }
    }

    struct Result {
        /// Offset just past the last valid record: where appends continue.
        var end: Int
        var firstSeq: UInt64?
        var lastSeq: UInt64?
        var count = 0
        var corruption: [Corruption] = []
        /// True when non-zero bytes follow `end` and no valid record does: an interrupted write,
        /// or damage (every write ends with zeros, so a clean end, even over a former lap's data,
        /// reads as zero). `Recovery` decides which.
        var dirtyTail = false
        /// With `dirtyTail`, where the non-zero bytes after `end` stop: the first aligned
        /// header's worth of zeros, a former lap's record, or the segment's end.
        var dirtyEnd = 0
    }

    static let chunk = 1 << 20

    let fileSystem: FileSystem
    let handle: Int32
    let header: SegmentHeader
    let segmentSize: Int
    /// False when the visitor needs only seqs and times (recovery): payloads are checked, not copied.
    var payloads = true

    /// Scans from the first record; `visit` returns false to stop early. After the first
    /// record, records with a seq below `skippingBelow` are stepped over by their headers (the
    /// seq they must have, lengths that agree) without being checksummed, copied or visited:
    /// a reader that wants the records from some seq on pays only for those.
    func scan(skippingBelow skip: UInt64? = nil, _ visit: (JournalRecord, Int) throws -> Bool) throws -> Result {
        var window = Window(scanner: self)
        let dataEnd = self.dataEnd
        var offset = SegmentHeader.size
        var expected = header.baseSeq
        var result = Result(end: offset)
        while offset + RecordFormat.headerSize <= segmentSize {
            if let skip, expected < skip, result.count > 0, let size = try window.stepOver(at: offset, seq: expected) {
                result.lastSeq = expected
                result.count += 1
                expected &+= 1
                offset += size
                result.end = offset
                continue
            }
            switch try window.decode(at: offset, generation: header.generation) {
            case .record(let record, let size) where record.seq == expected:
                result.firstSeq = result.firstSeq ?? record.seq
                result.lastSeq = record.seq
                result.count += 1
                expected = record.seq &+ 1
                offset += size
                result.end = offset
                if try !visit(record, offset - size) { return result }
            default:
                guard let (resume, seq) = try findNextValid(after: offset, minimumSeq: expected, before: dataEnd, &window) else {
                    result.dirtyTail = try !window.isZero(at: offset, count: min(RecordFormat.headerSize, segmentSize - offset))
                    if result.dirtyTail { result.dirtyEnd = try dirtyEnd(from: offset, before: dataEnd, &window) }
                    return result
                }
                result.corruption.append(
                    Corruption(
                        fromOffset: offset, toOffset: resume,
                        lostSeqs: seq > expected ? expected...(seq - 1) : nil))
                offset = resume
                expected = seq
            }
        }
        return result
    }

    /// Where the segment's bytes can be other than zero: its size, or the file's end when the
    /// file is shorter (cut short, or read with a layout of larger segments than it was written
    /// with), past which a reader sees zeros as a start that repairs sees after extending it.
    /// Looking for records only up to there keeps a scan of a short file from probing every 8
    /// bytes of the missing rest with a read each (found black-box, 54th review: a start spent
    /// minutes on a resize's copy read with a damaged meta file's segment size, deaf to SIGTERM).
    var dataEnd: Int { min(segmentSize, (try? fileSystem.size(handle)) ?? segmentSize) }

    /// The first 8-byte-aligned offset from `offset` and before `end` holding a valid record with
    /// seq >= `minimumSeq`.
    private func findNextValid(after offset: Int, minimumSeq: UInt64, before end: Int, _ window: inout Window) throws -> (Int, UInt64)? {
        // From `offset` itself: a record there that verifies with a later seq than expected is a
        // hole in the seqs, not damage to step over.
        var probe = offset
        let seqs = minimumSeq..<(minimumSeq > UInt64.max - UInt64(segmentSize) ? UInt64.max : minimumSeq + UInt64(segmentSize))
        while probe + RecordFormat.headerSize <= end {
            // The header first: a former lap's records (older seqs) and garbage lengths are
            // turned away without reading or checksumming what they claim to span.
            if try window.headerFits(at: probe, seqs: seqs),
                case .record(let r, _) = try window.decode(at: probe, generation: header.generation)
            {
                return (probe, r.seq)
            }
            probe += 8
        }
        return nil
    }

    /// Where the non-zero bytes starting at `offset` end: at the first 8-byte-aligned header's
    /// worth of zeros (every write ends with them), at a record header of a former lap of the
    /// ring (a seq below this segment's base: what was there before), or at `end` (the file's
    /// data ends there: zeros follow).
    private func dirtyEnd(from offset: Int, before end: Int, _ window: inout Window) throws -> Int {
        var p = (offset + 7) & ~7
        while p + RecordFormat.headerSize <= end {
            if try window.isZero(at: p, count: RecordFormat.headerSize) { return p }
            if try window.headerFits(at: p, seqs: 0..<header.baseSeq) { return p }
            p += 8
        }
        return max(end, offset)
    }

    /// The first record (offset and seq) that verifies with one of `generations`, looked for at
    /// the first 64 offsets whose header is self-consistent: how a damaged segment header is
    /// rebuilt. The scanner's own header is not used.
    func firstRecord(generations: [UInt64]) throws -> (generation: UInt64, offset: Int, seq: UInt64)? {
        var window = Window(scanner: self)
        var probe = SegmentHeader.size
        var tried = 0
        let end = dataEnd
        while probe + RecordFormat.headerSize <= end && tried < 64 {
            if try window.headerFits(at: probe, seqs: 0..<UInt64.max) {
                tried += 1
                for g in generations {
                    if case .record(let r, _) = try window.decode(at: probe, generation: g) { return (g, probe, r.seq) }
                }
            }
            probe += 8
        }
        return nil
    }

    /// A sliding buffer over the file so a scan never holds more than a chunk or two.
    struct Window {
        let scanner: SegmentScanner
        var start = 0
        var bytes: [UInt8] = []

        init(scanner: SegmentScanner) { self.scanner = scanner }

        mutating func ensure(_ offset: Int, _ count: Int) throws {
            if offset >= start && offset + count <= start + bytes.count { return }
            let length = max(min(max(count, SegmentScanner.chunk), scanner.segmentSize - offset), 0)
            bytes = try scanner.fileSystem.read(scanner.handle, count: length, at: offset)
            // Past the end of a short file: zeros, as for a file extended to its segment size,
            // and the next look nearby is served from here, not read again.
            if bytes.count < length { bytes += repeatElement(0, count: length - bytes.count) }
            start = offset
        }

        mutating func decode(at offset: Int, generation: UInt64) throws -> RecordFormat.Decoded {
            try ensure(offset, RecordFormat.headerSize)
            let len = bytes.withUnsafeBytes { raw -> Int in
                let i = offset - start
                guard i + 4 <= raw.count else { return 0 }
                return Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
            }
            guard len >= RecordFormat.headerSize, len <= RecordFormat.maxRecordSize, offset + len <= scanner.segmentSize else {
                return .invalid
            }
            try ensure(offset, len)
            return bytes.withUnsafeBytes { raw in
                let i = offset - start
                return RecordFormat.decode(
                    UnsafeRawBufferPointer(rebasing: raw[i..<raw.count]), generation: generation, payload: scanner.payloads)
            }
        }

        /// Whether the header at `offset` could start a record with a seq in `seqs`: its lengths
        /// agree and fit the segment.
        mutating func headerFits(at offset: Int, seqs: Range<UInt64>) throws -> Bool {
            try ensure(offset, RecordFormat.headerSize)
            return bytes.withUnsafeBytes { raw in
                let i = offset - start
                guard i <= raw.count, let (_, seq) = RecordFormat.header(UnsafeRawBufferPointer(rebasing: raw[i...]), room: scanner.segmentSize - offset)
                else { return false }
                return seqs.contains(seq)
            }
        }

        /// The aligned size of the record at `offset` when its header gives `seq` and lengths
        /// that agree and fit; nil otherwise (then it is decoded and checked in full).
        mutating func stepOver(at offset: Int, seq: UInt64) throws -> Int? {
            try ensure(offset, RecordFormat.headerSize)
            return bytes.withUnsafeBytes { raw -> Int? in
                let i = offset - start
                guard i <= raw.count, let (len, found) = RecordFormat.header(UnsafeRawBufferPointer(rebasing: raw[i...]), room: scanner.segmentSize - offset),
                    found == seq
                else { return nil }
                return RecordFormat.alignedSize(len)
            }
        }

        mutating func isZero(at offset: Int, count: Int) throws -> Bool {
            guard count > 0 else { return true }
            try ensure(offset, count)
            let i = offset - start
            return bytes[i..<min(i + count, bytes.count)].allSatisfy { $0 == 0 }
        }
    }
}
