import MQTT

/// Pumps a client's events into a list that a test can wait on with a deadline.
public actor EventRecorder {
    public private(set) var events: [MQTTEvent] = []
    private var pump: Task<Void, Never>?
    private var waiters: [(id: Int, check: @Sendable ([MQTTEvent]) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextWaiter = 0

    public init() {}

    /// Starts pumping the client's events (call once per client).
    public func record(_ client: MQTTClient) {
        pump = Task { [weak self] in
            while !Task.isCancelled {
                let batch = await client.nextEvents()
                if batch.isEmpty { return }
                await self?.append(batch)
            }
        }
    }

    public func stop() { pump?.cancel() }

    private func append(_ batch: [MQTTEvent]) {
        events.append(contentsOf: batch)
        let snapshot = events
        waiters.removeAll { waiter in
            guard waiter.check(snapshot) else { return false }
            waiter.continuation.resume(returning: true)
            return true
        }
    }

    /// Messages received so far, in order.
    public var messages: [MQTTMessage] {
        events.compactMap { if case .message(let m) = $0 { return m } else { return nil } }
    }

    /// Waits until `condition` holds over all events recorded so far; throws `TimedOut` after `timeout`.
    public func wait(for what: String, timeout: Duration = .seconds(60), _ condition: @escaping @Sendable ([MQTTEvent]) -> Bool) async throws {
        if condition(events) { return }
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        let met = await withCheckedContinuation { continuation in
            waiters.append((id, condition, continuation))
        }
        timer.cancel()
        if !met { throw TimedOut(what) }
    }

    private func expire(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }
}

extension Array where Element == MQTTEvent {
    public var messages: [MQTTMessage] {
        compactMap { if case .message(let m) = $0 { return m } else { return nil } }
    }
    public func count(where predicate: (MQTTEvent) -> Bool) -> Int {
        reduce(0) { $0 + (predicate($1) ? 1 : 0) }
    }
    public var connectedCount: Int { count { if case .connected = $0 { true } else { false } } }
}
