import Synchronization

/// Set when the gateway should drain and stop (by the service group's graceful shutdown on
/// SIGTERM/SIGINT, or by a test); the service loop is woken at once by it.
public final class ShutdownSignal: Sendable {
    private struct State {
        var requested = false
        var observers: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var isRequested: Bool { state.withLock { $0.requested } }

    public func request() {
        let observers = state.withLock { s -> [@Sendable () -> Void] in
            guard !s.requested else { return [] }
            s.requested = true
            return s.observers
        }
        for observer in observers { observer() }
    }

    /// Runs `observer` when shutdown is requested (at once if it already was).
    func onRequest(_ observer: @escaping @Sendable () -> Void) {
        let already = state.withLock { s -> Bool in
            if !s.requested { s.observers.append(observer) }
            return s.requested
        }
        if already { observer() }
    }
}
