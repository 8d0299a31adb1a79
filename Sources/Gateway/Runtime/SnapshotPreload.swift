import Dispatch
import Foundation
import Journal
import Synchronization

/// Loads the engine snapshot on a thread of its own while the journal is being opened: at plant
/// scale these are a restart's two biggest costs, and neither needs the other.
final class SnapshotPreload: Sendable {
    private let outcome = Mutex<Result<EngineSnapshot?, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(path: String) {
        Thread.detachNewThread { [self] in
            let loaded = Result { try EngineSnapshot.load(path, fileSystem: POSIXFileSystem()) }
            outcome.withLock { $0 = loaded }
            done.signal()
        }
    }

    /// The snapshot (nil when there is none), once loaded; throws what loading threw.
    func wait() throws -> EngineSnapshot? {
        done.wait()
        done.signal()  // later callers do not wait
        return try outcome.withLock { $0 ?? .success(nil) }.get()
    }
}
