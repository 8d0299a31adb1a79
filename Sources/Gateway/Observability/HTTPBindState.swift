import Synchronization
import Waiting

/// Whether the HTTP endpoint listens, and how many attempts to bind its address failed: the
/// endpoint retries a taken address (`HTTPEndpoint`), and this is what a metric or a test reads
/// meanwhile (`/healthz` cannot say it: nothing answers there until the address is free).
public final class HTTPBindState: Sendable {
    private let failures = Atomic<Int>(0)
    private let listening = Atomic<Bool>(false)
    /// Broadcast when the endpoint starts listening (`waitUntilListening`).
    private let started = MonotonicCondition()

    public init() {}

    /// Failed binds since start.
    public var failedAttempts: Int { failures.load(ordering: .relaxed) }
    /// The endpoint is bound and serving.
    public var isListening: Bool { listening.load(ordering: .relaxed) }

    /// Counts a failed bind; returns the attempt's number.
    func noteFailure() -> Int { failures.add(1, ordering: .relaxed).newValue }
    func noteListening() {
        listening.store(true, ordering: .relaxed)
        started.broadcast()
    }
    func noteStopped() { listening.store(false, ordering: .relaxed) }

    /// Blocks the calling thread (one of its own) until the endpoint listens, for `milliseconds`
    /// at most; returns whether it listens.
    func waitUntilListening(atMost milliseconds: Int64) -> Bool {
        started.wait(atMost: milliseconds) { isListening }
    }
}

/// How the HTTP endpoint stands against its configured address, across SIGHUP rebinds
/// (`RebindingHTTPEndpoint`): the endpoint now serving (each has its own `HTTPBindState`), and
/// whether it serves an older address because the configured one could not be bound. What
/// `sensor_gateway_http_bound` and `sensor_gateway_http_bind_failures_total` show.
public final class HTTPBinding: Sendable {
    private struct State {
        var endpoint: HTTPBindState?
        var keptOld = false
        var failedRebinds = 0
        var earlierFailures = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Listening on the configured address.
    public var bound: Bool { state.withLock { s in s.endpoint?.isListening == true && !s.keptOld } }
    /// Binds that failed since start: the endpoints' own attempts, and rebinds refused.
    public var failures: Int { state.withLock { s in s.earlierFailures + (s.endpoint?.failedAttempts ?? 0) + s.failedRebinds } }
    /// Serving an older address: the configured one could not be bound.
    public var keptOld: Bool { state.withLock { $0.keptOld } }

    /// `endpoint` now serves the configured address (nil: HTTP is off).
    func serving(_ endpoint: HTTPBindState?) {
        state.withLock { s in
            s.earlierFailures += s.endpoint?.failedAttempts ?? 0
            s.endpoint = endpoint
            s.keptOld = false
        }
    }

    /// A new address could not be bound; the old one goes on serving.
    func rebindFailed() {
        state.withLock { s in
            s.failedRebinds += 1
            s.keptOld = s.endpoint != nil
        }
    }
}
