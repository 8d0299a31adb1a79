import CompactCoding
import Foundation
import Journal
import Recovery
import Synchronization

/// The engine's state at a journal position, saved now and then so a restart replays only the
/// journal after it (an optimisation: without it, the journal alone rebuilds the state).
///
/// The file is an 8-byte mark (`SGES` and the version, u32 little-endian), then frames: a header
/// (positions, pending publications, the engine's configuration and counters), then one frame
/// per sensor. Each frame is `length u32 | crc32c u32 | body`, the body the value in
/// `CompactCoding`'s binary form (about two thirds of the JSON's size; encoding 1,000 sensors
/// 2.5 times faster, restoring 10,000 about 3 times faster). It is written and read a sensor at
/// a time, so a snapshot of 10,000 sensors never needs the whole document in memory while it is
/// written, and every value the engine can hold encodes (infinities and NaN included), so no
/// reading can make a snapshot fail to save.
struct EngineSnapshot: Sendable {
    /// 6: a sensor's published history packed (`PublishedHistory`); 5, still read: compact
    /// binary frames (4 and earlier: JSON Lines, read as "another version": the journal rebuilds
    /// the state once, on the first start after an upgrade; so does version 5 software given 6).
    static let version: UInt32 = 6
    static let readable: Set<UInt32> = [5, 6]
    static let mark: [UInt8] = Array("SGES".utf8)
    static let frameHeaderSize = 8

    struct Header: Codable {
        var inputFrom: UInt64
        var publicationsThrough: UInt64
        var pending: [Publication]
        var engine: RecoveryEngine.SnapshotHeader
        /// nil in snapshots from before it was kept.
        var time: Int64?
    }

    /// The first journal seq of input (message or tick) not reflected in `engine`.
    var inputFrom: UInt64
    /// The last journal seq of a publication the reflected input produced; later publication
    /// records belong to `pending` and to input from `inputFrom` on, in that order.
    var publicationsThrough: UInt64
    var engine: RecoveryEngine
    /// Publications the reflected input produced that were not journaled yet.
    var pending: [Publication]
    /// The journal timeline's time when it was taken (nil: a snapshot from before it was kept).
    /// A restart's timeline resumes no earlier: the journal after `inputFrom` may hold no record
    /// to resume from (all acknowledged, or lost unsynced at a power cut), and a wall clock behind
    /// the engine's own times would hold its deadlines back.
    var time: Int64? = nil

    /// The oldest journal seq a restart from this snapshot reads.
    var retainFrom: UInt64 { inputFrom }

    /// Encodes piece by piece (the mark, then a frame at a time), handing each to `append`.
    func encode(into append: ([UInt8]) throws -> Void) throws {
        let encoder = CompactEncoder()
        var mark = Self.mark
        withUnsafeBytes(of: Self.version.littleEndian) { mark += $0 }
        try append(mark)
        let header = Header(
            inputFrom: inputFrom, publicationsThrough: publicationsThrough, pending: pending, engine: engine.snapshotHeader, time: time)
        try append(Self.frame(try encoder.encode(header)))
        for i in 0..<engine.sensorCount {
            try append(Self.frame(try encoder.encode(engine.sensorSnapshot(at: i))))
        }
    }

    private static func frame(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(frameHeaderSize + body.count)
        withUnsafeBytes(of: UInt32(body.count).littleEndian) { out += $0 }
        withUnsafeBytes(of: body.withUnsafeBytes { CRC32C.checksum($0) }.littleEndian) { out += $0 }
        out += body
        return out
    }

    func encode() throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode { bytes += $0 }
        return bytes
    }

    /// Writes the snapshot to `path` crash-safely; returns its size.
    func write(to path: String, fileSystem: FileSystem) throws -> Int {
        var size = 0
        try AtomicFile.write(to: path, fileSystem: fileSystem) { append in
            try encode { piece in
                try append(piece)
                size += piece.count
            }
        }
        return size
    }

    /// The snapshot in `bytes`. Throws `SnapshotError.otherVersion` for a snapshot of another
    /// version and `.damaged` for a damaged one (either way the journal rebuilds the state).
    static func decode(_ bytes: [UInt8]) throws -> EngineSnapshot {
        var file = SnapshotFrames(bytes: bytes)
        return try decode(&file)
    }

    /// The snapshot `file` walks to, read and checked a frame at a time.
    static func decode(_ file: inout SnapshotFrames) throws -> EngineSnapshot {
        let found = try file.markVersion()
        guard readable.contains(found) else { throw SnapshotError.otherVersion("version \(found)") }
        var ranges: [Range<Int>] = []
        try file.walk(keeping: true) { ranges.append($0) }
        guard !ranges.isEmpty else { throw SnapshotError.damaged("no header") }
        let frames = ranges.map { file[$0] }
        var decoder = CompactDecoder()
        // Key names are learnt in order (cheap); the sensors are then decoded on every core.
        let starts = try frames.map { try decoder.learnKeys($0) }
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: frames[0], valueAt: starts[0])
        } catch {
            throw SnapshotError.damaged("header: \(error)")
        }
        guard frames.count == header.engine.sensorCount + 1 else {
            throw SnapshotError.damaged("\(frames.count - 1) sensors, the header says \(header.engine.sensorCount)")
        }
        let sensors = try decodeInParallel(Array(zip(frames, starts).dropFirst()), decoder)
        return EngineSnapshot(
            inputFrom: header.inputFrom, publicationsThrough: header.publicationsThrough,
            engine: RecoveryEngine(header: header.engine, sensors: sensors), pending: header.pending, time: header.time)
    }

    /// The sensors decoded on every core, in order.
    private static func decodeInParallel(
        _ frames: [(ArraySlice<UInt8>, Int)], _ decoder: CompactDecoder
    ) throws -> [RecoveryEngine.SensorSnapshot] {
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, frames.count / 256))
        let decoded = Mutex<[Int: Result<[RecoveryEngine.SensorSnapshot], any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = (frames.count * part / parts)..<(frames.count * (part + 1) / parts)
            let result = Result {
                try frames[range].map { frame, start in
                    do {
                        return try decoder.decode(RecoveryEngine.SensorSnapshot.self, from: frame, valueAt: start)
                    } catch {
                        throw SnapshotError.damaged("sensor: \(error)")
                    }
                }
            }
            decoded.withLock { $0[part] = result }
        }
        return try decoded.withLock { results in
            try (0..<parts).flatMap { part in
                guard let result = results[part] else { throw SnapshotError.damaged("part \(part) of the sensors was not decoded") }
                return try result.get()
            }
        }
    }

    /// The snapshot at `path`; nil when there is none. Read a frame at a time, so damage stops
    /// the reading where it is (`SnapshotFrames`).
    static func load(_ path: String, fileSystem: FileSystem) throws -> EngineSnapshot? {
        try loadSized(path, fileSystem: fileSystem)?.snapshot
    }

    /// `load`, with the file's size (every byte of it sound, as it decoded).
    static func loadSized(_ path: String, fileSystem: FileSystem) throws -> (snapshot: EngineSnapshot, bytes: Int)? {
        guard fileSystem.exists(path) else { return nil }
        let handle = try fileSystem.openForReading(path)
        defer { fileSystem.close(handle) }
        var file = try SnapshotFrames(handle: handle, fileSystem: fileSystem)
        return (try decode(&file), file.size)
    }

    /// How many bytes of the snapshot at `path` are whole frames of a readable snapshot, its
    /// first damaged frame and what follows left out; nil when there is no snapshot there, or
    /// it is no snapshot of a version this one reads. Reads the file a chunk at a time, keeping
    /// none of it.
    static func soundBytes(_ path: String, fileSystem: FileSystem) -> Int? {
        guard fileSystem.exists(path), let handle = try? fileSystem.openForReading(path) else { return nil }
        defer { fileSystem.close(handle) }
        guard var file = try? SnapshotFrames(handle: handle, fileSystem: fileSystem),
            let version = try? file.markVersion(), readable.contains(version)
        else { return nil }
        var sound = mark.count + 4
        try? file.walk(keeping: false) { sound = $0.upperBound }
        return sound
    }
}

enum SnapshotError: Error, CustomStringConvertible {
    case damaged(String)
    /// Written by another version of the gateway (an upgrade or a rollback): not a fault.
    case otherVersion(String)
    var description: String {
        switch self {
        case .damaged(let why): "engine snapshot damaged: \(why)"
        case .otherVersion(let found): "engine snapshot of another format (\(found); this version reads \(EngineSnapshot.version))"
        }
    }
}
