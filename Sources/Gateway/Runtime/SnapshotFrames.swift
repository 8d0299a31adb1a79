import Journal

/// An engine snapshot file's bytes, walked a frame at a time as they are read, each frame
/// checked (its length, then its CRC) before the next is read: a damaged file is refused at its
/// first bad frame, having read little past the good ones, instead of after being read whole
/// (found black-box, 55th review: a 2 GB damaged snapshot was read whole before its checksum
/// failed, holding the start, and its SIGTERM, for about 7 s; a box with less memory than the
/// file would have run out of it).
struct SnapshotFrames {
    /// A frame length no snapshot comes near: a sensor's frame is a few kilobytes, and about a
    /// megabyte at most (`maxHeldPerSensor` held readings of ids of 64 characters at most, and
    /// its packed history); the header's largest parts are capped too (Sparkplug's held
    /// messages at 4 MiB). Beyond it, the length itself is damage, and is not read.
    static let maxFrameBytes = 256 << 20
    /// How much is read at a time.
    static let chunkBytes = 4 << 20

    /// The file's bytes from `base` on, as far as they were read.
    private(set) var bytes: [UInt8]
    /// The file offset of `bytes[0]`.
    private(set) var base = 0
    /// The file's length.
    let size: Int
    /// Reads `count` bytes at a file offset (nil: `bytes` is the whole file).
    private let fetch: ((_ offset: Int, _ count: Int) throws -> [UInt8])?

    /// The snapshot already in memory.
    init(bytes: [UInt8]) {
        self.bytes = bytes
        size = bytes.count
        fetch = nil
    }

    /// The snapshot in the open file `handle`, read as the walk needs it.
    init(handle: Int32, fileSystem: FileSystem) throws {
        self.init(size: try fileSystem.size(handle)) { offset, count in try fileSystem.read(handle, count: count, at: offset) }
    }

    /// A snapshot of `size` bytes that `fetch` reads, as the walk needs them.
    init(size: Int, fetch: @escaping (_ offset: Int, _ count: Int) throws -> [UInt8]) {
        bytes = []
        self.size = size
        self.fetch = fetch
    }

    /// Makes the file's bytes up to offset `end` readable in `bytes`, reading a chunk or more.
    mutating func ensure(through end: Int) throws {
        let have = base + bytes.count
        guard end > have, let fetch else { return }
        let target = min(size, max(end, have + Self.chunkBytes))
        bytes += try fetch(have, target - have)
        // The file shrank while it was read: not the snapshot its size promised.
        guard base + bytes.count >= end else { throw SnapshotError.damaged("the file ended early, at byte \(base + bytes.count)") }
    }

    /// The bytes at file offsets `range` (read already: `ensure(through:)`).
    subscript(range: Range<Int>) -> ArraySlice<UInt8> { bytes[(range.lowerBound - base)..<(range.upperBound - base)] }

    /// Forgets the bytes before file offset `offset` (a walk that keeps nothing).
    mutating func discard(before offset: Int) {
        let drop = min(offset - base, bytes.count)
        guard drop >= Self.chunkBytes else { return }
        bytes.removeFirst(drop)
        base += drop
    }

    /// The version in the file's mark; throws `.damaged` for a file that is no snapshot, and
    /// `.otherVersion` for the JSON Lines of version 4 and earlier.
    mutating func markVersion() throws -> UInt32 {
        let mark = EngineSnapshot.mark
        guard size > 0 else { throw SnapshotError.damaged("empty file") }
        try ensure(through: min(size, mark.count + 4))
        guard bytes.starts(with: mark) else {
            if bytes.first == UInt8(ascii: "{") { throw SnapshotError.otherVersion("JSON, version 4 or earlier") }
            throw SnapshotError.damaged("not an engine snapshot")
        }
        guard size >= mark.count + 4 else { throw SnapshotError.damaged("truncated mark") }
        return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: mark.count, as: UInt32.self)) }
    }

    /// Walks the frames after the mark to the file's end, handing `frame` each body's file
    /// offsets once its length and CRC check out; throws `.damaged` at the first that does not.
    /// `keeping`: whether the bytes walked stay in `bytes` (to be decoded) or are let go.
    mutating func walk(keeping: Bool, _ frame: (Range<Int>) -> Void) throws {
        var at = EngineSnapshot.mark.count + 4
        while at < size {
            guard size - at >= EngineSnapshot.frameHeaderSize else { throw SnapshotError.damaged("truncated at byte \(at)") }
            try ensure(through: at + EngineSnapshot.frameHeaderSize)
            let (length, crc) = bytes.withUnsafeBytes { raw in
                (
                    Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at - base, as: UInt32.self))),
                    UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at - base + 4, as: UInt32.self))
                )
            }
            let body = at + EngineSnapshot.frameHeaderSize
            guard length <= size - body else { throw SnapshotError.damaged("truncated at byte \(at)") }
            // Every value encodes to a byte at least; zeros (a hole, a file filled by a tool)
            // would otherwise walk as frames of nothing with a matching CRC, 8 bytes at a time.
            guard length > 0 else { throw SnapshotError.damaged("an empty frame at byte \(at)") }
            guard length <= Self.maxFrameBytes else {
                throw SnapshotError.damaged("the frame at byte \(at) claims \(length) bytes, more than any snapshot's frame")
            }
            try ensure(through: body + length)
            guard self[body..<(body + length)].withUnsafeBytes({ CRC32C.checksum($0) }) == crc else {
                throw SnapshotError.damaged("checksum mismatch in the frame at byte \(at)")
            }
            frame(body..<(body + length))
            at = body + length
            if !keeping { discard(before: at) }
        }
    }
}
