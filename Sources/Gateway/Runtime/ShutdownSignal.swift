import Synchronization

/// Set when the gateway should drain and stop (by the service group's graceful shutdown on
/// SIGTERM/SIGINT, or by a test); the service loop notices within one wait.
public final class ShutdownSignal: Sendable {
    private let requested = Mutex(false)

    public init() {}

    public var isRequested: Bool { requested.withLock { $0 } }

    public func request() { requested.withLock { $0 = true } }
}
