import Foundation
import Synchronization
import Waiting

/// A value computed on a thread of its own while the caller goes on with other work, for the
/// start-up's independent steps (the engine snapshot's load beside the journal's open; the
/// broker's retained `latest/` values beside the journal's replay). `wait()` blocks until it is in.
final class ThreadedResult<Value: Sendable>: Sendable {
    private let outcome = Mutex<Value?>(nil)
    /// Broadcast once the value is in.
    private let done = MonotonicCondition()

    init(_ body: @escaping @Sendable () -> Value) {
        Thread.detachNewThread { [self] in
            let value = body()
            outcome.withLock { $0 = value }
            done.broadcast()
        }
    }

    /// The value, once computed.
    func wait() -> Value {
        while true {
            if let value = outcome.withLock({ $0 }) { return value }
            done.wait { outcome.withLock { $0 != nil } }
        }
    }
}
