import Synchronization

/// Whether the HTTP endpoint listens, and how many attempts to bind its address failed: the
/// endpoint retries a taken address (`HTTPEndpoint`), and this is what a metric or a test reads
/// meanwhile (`/healthz` cannot say it: nothing answers there until the address is free).
public final class HTTPBindState: Sendable {
    private let failures = Atomic<Int>(0)
    private let listening = Atomic<Bool>(false)

    public init() {}

    /// Failed binds since start.
    public var failedAttempts: Int { failures.load(ordering: .relaxed) }
    /// The endpoint is bound and serving.
    public var isListening: Bool { listening.load(ordering: .relaxed) }

    /// Counts a failed bind; returns the attempt's number.
    func noteFailure() -> Int { failures.add(1, ordering: .relaxed).newValue }
    func noteListening() { listening.store(true, ordering: .relaxed) }
    func noteStopped() { listening.store(false, ordering: .relaxed) }
}
