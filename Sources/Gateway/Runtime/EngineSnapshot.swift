import Foundation
import Journal
import Recovery

/// The engine's state at a journal position, saved now and then so a restart replays only the
/// journal after it (an optimisation: without it, the journal alone rebuilds the state).
///
/// Every value the engine can hold encodes, infinities and NaN included (as the strings
/// `inf`, `-inf`, `nan`), so no reading can make a snapshot fail to save.
struct EngineSnapshot: Codable, Sendable {
    static let version = 2
    var version = EngineSnapshot.version
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

    static func decode(_ bytes: [UInt8]) throws -> EngineSnapshot? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let snapshot = try decoder.decode(EngineSnapshot.self, from: Data(bytes))
        return snapshot.version == version ? snapshot : nil
    }

    func encode() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try encoder.encode(self))
    }

    static func load(_ path: String, fileSystem: FileSystem) throws -> EngineSnapshot? {
        guard let bytes = try AtomicFile.read(path, fileSystem: fileSystem) else { return nil }
        return try decode(bytes)
    }
}
