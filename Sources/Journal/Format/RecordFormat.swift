/// One journal record as stored and as read back.
public struct JournalRecord: Sendable, Equatable {
    /// Journal-wide sequence number, +1 per record, never reused.
    public var seq: UInt64
    /// Append time in epoch milliseconds (the gateway's receive time).
    public var time: Int64
    /// What the payload is; the journal gives it no meaning.
    public var type: UInt16
    public var flags: UInt16
    public var payload: [UInt8]

    public init(seq: UInt64, time: Int64, type: UInt16, flags: UInt16 = 0, payload: [UInt8]) {
        self.seq = seq
        self.time = time
        self.type = type
        self.flags = flags
        self.payload = payload
    }
}

/// The on-disk record layout, little-endian, 8-byte aligned:
///
///     len u32 | crc32c u32 | seq u64 | time i64 | type u16 | flags u16 | payloadLen u32 | payload | pad
///
/// `len` counts header and payload (not padding); the CRC covers everything after itself and is
/// seeded with the segment's generation.
enum RecordFormat {
    static let headerSize = 32
    /// A record never exceeds this (payloads are bounded well below it); larger lengths are garbage.
    static let maxRecordSize = 1 << 24

    /// The bytes a record of `length` (header and payload) takes in a segment: records start at
    /// 8-byte boundaries.
    static func alignedSize(_ length: Int) -> Int { (length + 7) & ~7 }

    static func paddedSize(payload: Int) -> Int { alignedSize(headerSize + payload) }

    /// The largest payload a record can carry in a segment of `segmentSize` bytes.
    static func maxPayload(segmentSize: Int) -> Int {
        (min(segmentSize - SegmentHeader.size, maxRecordSize) & ~7) - headerSize
    }

    /// Appends the encoded record to `buffer`.
    static func encode(
        _ seq: UInt64, _ time: Int64, _ type: UInt16, _ flags: UInt16, _ payload: UnsafeRawBufferPointer,
        generation: UInt64, into buffer: inout [UInt8]
    ) {
        let start = buffer.count
        let len = headerSize + payload.count
        let padded = alignedSize(len)
        buffer.append(contentsOf: repeatElement(0, count: padded))
        buffer.withUnsafeMutableBytes { raw in
            let r = UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + padded)])
            r.storeBytes(of: UInt32(len).littleEndian, toByteOffset: 0, as: UInt32.self)
            r.storeBytes(of: seq.littleEndian, toByteOffset: 8, as: UInt64.self)
            r.storeBytes(of: time.littleEndian, toByteOffset: 16, as: Int64.self)
            r.storeBytes(of: type.littleEndian, toByteOffset: 24, as: UInt16.self)
            r.storeBytes(of: flags.littleEndian, toByteOffset: 26, as: UInt16.self)
            r.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: 28, as: UInt32.self)
            if payload.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: r[headerSize..<len]).copyMemory(from: payload)
            }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: r[8..<len]), seed: generation)
            r.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
    }

    enum Decoded {
        case record(JournalRecord, size: Int)
        /// Nothing valid here: end of data, a torn write, or damage.
        case invalid
    }

    /// The length and seq the header at the start of `bytes` claims, when its two lengths agree
    /// and the record fits in `room` bytes; nothing is checksummed.
    static func header(_ bytes: UnsafeRawBufferPointer, room: Int) -> (len: Int, seq: UInt64)? {
        guard bytes.count >= headerSize else { return nil }
        let len = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        guard len >= headerSize, len <= maxRecordSize, len <= room else { return nil }
        let payloadLen = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 28, as: UInt32.self)))
        guard payloadLen == len - headerSize else { return nil }
        return (len, UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }

    /// Decodes the record at the start of `bytes`, validating length, layout and checksum.
    /// Without `payload` the record's payload is left empty (checked, not copied).
    static func decode(_ bytes: UnsafeRawBufferPointer, generation: UInt64, payload: Bool = true) -> Decoded {
        guard let (len, seq) = header(bytes, room: bytes.count) else { return .invalid }
        let crc = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[8..<len]), seed: generation) == crc else { return .invalid }
        let record = JournalRecord(
            seq: seq,
            time: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: Int64.self)),
            type: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt16.self)),
            flags: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 26, as: UInt16.self)),
            payload: payload ? Array(UnsafeRawBufferPointer(rebasing: bytes[headerSize..<len])) : [])
        return .record(record, size: alignedSize(len))
    }
}

/// The 64-byte header at the start of each segment file.
///
///     magic u32 "SGJ1" | version u32 | generation u64 | baseSeq u64 | segmentSize u64 | skippedFrom u64 | ... | crc32c u32 (bytes 60..64)
///
/// `generation` orders segments (oldest first) and seeds record checksums; 0 means never used.
/// `skippedFrom`, when not 0, says the seqs `skippedFrom..<baseSeq` were skipped on purpose: the
/// writer moved past seqs that damage found at open may have held (reported then), so a later
/// open does not report the hole again. (Headers written before it have 0 there.)
struct SegmentHeader: Equatable {
    static let size = 64
    static let magic: UInt32 = 0x314A_4753  // "SGJ1"
    var generation: UInt64
    var baseSeq: UInt64
    var segmentSize: UInt64
    var skippedFrom: UInt64 = 0

    func encode() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: SegmentHeader.size)
        b.withUnsafeMutableBytes { r in
            r.storeBytes(of: SegmentHeader.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
            r.storeBytes(of: UInt32(1).littleEndian, toByteOffset: 4, as: UInt32.self)
            r.storeBytes(of: generation.littleEndian, toByteOffset: 8, as: UInt64.self)
            r.storeBytes(of: baseSeq.littleEndian, toByteOffset: 16, as: UInt64.self)
            r.storeBytes(of: segmentSize.littleEndian, toByteOffset: 24, as: UInt64.self)
            r.storeBytes(of: skippedFrom.littleEndian, toByteOffset: 32, as: UInt64.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: r[0..<60]))
            r.storeBytes(of: crc.littleEndian, toByteOffset: 60, as: UInt32.self)
        }
        return b
    }

    static func decode(_ b: [UInt8]) -> SegmentHeader? {
        guard b.count >= size else { return nil }
        return b.withUnsafeBytes { r in
            guard UInt32(littleEndian: r.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == magic,
                UInt32(littleEndian: r.loadUnaligned(fromByteOffset: 60, as: UInt32.self))
                    == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: r[0..<60]))
            else { return nil }
            return SegmentHeader(
                generation: UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                baseSeq: UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                segmentSize: UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
                skippedFrom: UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 32, as: UInt64.self)))
        }
    }
}
