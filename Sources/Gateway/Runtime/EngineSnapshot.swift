import Foundation
import Journal
import Recovery
import Synchronization

/// The engine's state at a journal position, saved now and then so a restart replays only the
/// journal after it (an optimisation: without it, the journal alone rebuilds the state).
///
/// The file is JSON Lines: a header line (positions, pending publications, the engine's
/// configuration and counters), then one line per sensor. It is written and read a sensor at a
/// time, so a snapshot of 10,000 sensors never needs the whole document in memory. Every value
/// the engine can hold encodes, infinities and NaN included (as the strings `inf`, `-inf`,
/// `nan`), so no reading can make a snapshot fail to save.
struct EngineSnapshot: Sendable {
    static let version = 4

    struct Header: Codable {
        var version = EngineSnapshot.version
        var inputFrom: UInt64
        var publicationsThrough: UInt64
        var pending: [Publication]
        var engine: RecoveryEngine.SnapshotHeader
    }

    /// The first journal seq of input (message or tick) not reflected in `engine`.
    var inputFrom: UInt64
    /// The last journal seq of a publication the reflected input produced; later publication
    /// records belong to `pending` and to input from `inputFrom` on, in that order.
    var publicationsThrough: UInt64
    var engine: RecoveryEngine
    /// Publications the reflected input produced that were not journaled yet.
    var pending: [Publication]

    /// The oldest journal seq a restart from this snapshot reads.
    var retainFrom: UInt64 { min(inputFrom, publicationsThrough + 1) }

    /// Encodes line by line, handing each line (newline included) to `append`.
    func encode(into append: ([UInt8]) throws -> Void) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let header = Header(inputFrom: inputFrom, publicationsThrough: publicationsThrough, pending: pending, engine: engine.snapshotHeader)
        try append(Array(try encoder.encode(header)) + [0x0A])
        for i in 0..<engine.sensorCount {
            try append(Array(try encoder.encode(engine.sensorSnapshot(at: i))) + [0x0A])
        }
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
            try encode { line in
                try append(line)
                size += line.count
            }
        }
        return size
    }

    /// The snapshot in `bytes`; nil when it is of another version (the journal then rebuilds
    /// the state). Throws when it is damaged.
    static func decode(_ bytes: [UInt8]) throws -> EngineSnapshot? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: true)
        guard let first = lines.first else { throw SnapshotError.damaged("empty file") }
        struct VersionOnly: Decodable { var version: Int }
        guard try decoder.decode(VersionOnly.self, from: Data(first)).version == version else { return nil }
        let header = try decoder.decode(Header.self, from: Data(first))
        guard lines.count == header.engine.sensorCount + 1 else {
            throw SnapshotError.damaged("\(lines.count - 1) sensor lines, the header says \(header.engine.sensorCount)")
        }
        let sensors = try decodeInParallel(Array(lines.dropFirst()))
        return EngineSnapshot(
            inputFrom: header.inputFrom, publicationsThrough: header.publicationsThrough,
            engine: RecoveryEngine(header: header.engine, sensors: sensors), pending: header.pending)
    }

    /// The sensor lines decoded on every core (JSON decoding is most of a restart's work at
    /// plant scale), in order.
    private static func decodeInParallel(_ lines: [ArraySlice<UInt8>]) throws -> [RecoveryEngine.SensorSnapshot] {
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, lines.count / 256))
        let decoded = Mutex<[Int: Result<[RecoveryEngine.SensorSnapshot], any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let range = (lines.count * part / parts)..<(lines.count * (part + 1) / parts)
            let result = Result { try lines[range].map { try decoder.decode(RecoveryEngine.SensorSnapshot.self, from: Data($0)) } }
            decoded.withLock { $0[part] = result }
        }
        return try decoded.withLock { results in try (0..<parts).flatMap { try results[$0]!.get() } }
    }

    static func load(_ path: String, fileSystem: FileSystem) throws -> EngineSnapshot? {
        guard let bytes = try AtomicFile.read(path, fileSystem: fileSystem) else { return nil }
        return try decode(bytes)
    }
}

enum SnapshotError: Error, CustomStringConvertible {
    case damaged(String)
    var description: String {
        switch self {
        case .damaged(let why): "engine snapshot damaged: \(why)"
        }
    }
}
