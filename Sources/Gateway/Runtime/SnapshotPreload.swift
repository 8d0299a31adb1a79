import Foundation
import Journal

/// Loads the engine snapshot on a thread of its own while the journal is being opened: at plant
/// scale these are a restart's two biggest costs, and neither needs the other.
final class SnapshotPreload: Sendable {
    private let load: ThreadedResult<Result<(snapshot: EngineSnapshot, bytes: Int)?, any Error>>

    init(path: String) {
        load = ThreadedResult { Result { try EngineSnapshot.loadSized(path, fileSystem: POSIXFileSystem()) } }
    }

    /// The snapshot (nil when there is none), once loaded; throws what loading threw.
    func wait() throws -> EngineSnapshot? {
        try load.wait().get()?.snapshot
    }

    /// The snapshot's size in bytes, once loaded; nil when there is none or it did not load.
    func loadedBytes() -> Int? { (try? load.wait().get())??.bytes }
}
