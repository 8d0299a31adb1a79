import Foundation
import Journal
import Recovery

/// The engine's state at a journal position, saved now and then so a restart replays only the
/// journal after it. Taken between batches, after the batch's publications are journaled and
/// the journal is synced, so the snapshot never refers to data the journal could lose.
struct EngineSnapshot: Codable {
    static let version = 1
    var version = EngineSnapshot.version
    /// The first journal seq not reflected in `engine`.
    var nextSeq: UInt64
    var engine: RecoveryEngine

    static func load(_ path: String, fileSystem: FileSystem) throws -> EngineSnapshot? {
        guard let bytes = try AtomicFile.read(path, fileSystem: fileSystem) else { return nil }
        let snapshot = try JSONDecoder().decode(EngineSnapshot.self, from: Data(bytes))
        guard snapshot.version == version else { return nil }
        return snapshot
    }

    func save(_ path: String, fileSystem: FileSystem) throws {
        try AtomicFile.write(Array(try JSONEncoder().encode(self)), to: path, fileSystem: fileSystem)
    }
}
