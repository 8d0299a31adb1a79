import Foundation
import Journal
import Synchronization
import Waiting

/// Loads the engine snapshot on a thread of its own while the journal is being opened: at plant
/// scale these are a restart's two biggest costs, and neither needs the other.
final class SnapshotPreload: Sendable {
    private let outcome = Mutex<Result<(snapshot: EngineSnapshot, bytes: Int)?, any Error>?>(nil)
    /// Broadcast once the outcome is in.
    private let loaded = MonotonicCondition()

    init(path: String) {
        Thread.detachNewThread { [self] in
            let loaded = Result { try EngineSnapshot.loadSized(path, fileSystem: POSIXFileSystem()) }
            outcome.withLock { $0 = loaded }
            self.loaded.broadcast()
        }
    }

    /// The snapshot (nil when there is none), once loaded; throws what loading threw.
    func wait() throws -> EngineSnapshot? {
        try loadedWithSize()?.snapshot
    }

    /// The snapshot's size in bytes, once loaded; nil when there is none or it did not load.
    func loadedBytes() -> Int? { (try? loadedWithSize())??.bytes }

    private func loadedWithSize() throws -> (snapshot: EngineSnapshot, bytes: Int)? {
        loaded.wait { outcome.withLock { $0 != nil } }
        return try outcome.withLock { $0 ?? .success(nil) }.get()
    }
}
