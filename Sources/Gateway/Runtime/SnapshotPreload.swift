import Foundation
import Journal
import Synchronization
import Waiting

/// Loads the engine snapshot on a thread of its own while the journal is being opened: at plant
/// scale these are a restart's two biggest costs, and neither needs the other.
final class SnapshotPreload: Sendable {
    private let outcome = Mutex<Result<EngineSnapshot?, any Error>?>(nil)
    /// Broadcast once the outcome is in.
    private let loaded = MonotonicCondition()

    init(path: String) {
        Thread.detachNewThread { [self] in
            let loaded = Result { try EngineSnapshot.load(path, fileSystem: POSIXFileSystem()) }
            outcome.withLock { $0 = loaded }
            self.loaded.broadcast()
        }
    }

    /// The snapshot (nil when there is none), once loaded; throws what loading threw.
    func wait() throws -> EngineSnapshot? {
        loaded.wait { outcome.withLock { $0 != nil } }
        return try outcome.withLock { $0 ?? .success(nil) }.get()
    }
}
